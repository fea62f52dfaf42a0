"""error_details as rows hold them: what Studio always wrote reads as its typed failure and is
served unchanged; shapes this version does not know read as a generic failure, never an error."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from server.comfy.node_errors import NodeError, NodeErrorItem
from server.jobs.failures import (
    ComfyUnreachable,
    ExecutionError,
    Failure,
    Interrupted,
    InvalidPrompt,
    Lost,
    MissingNodeType,
    NoOutputs,
    OtherRejection,
    OutputsFailedValidation,
    PartiallyInvalid,
    UnknownFailure,
    Unrunnable,
    WorkerError,
    from_stored,
    rejected,
)

# ComfyUI's node_errors for a checkpoint it does not have, as the worker stored them.
NODE_ERRORS = {
    "4": {
        "errors": [
            {
                "type": "value_not_in_list",
                "message": "Value not in list",
                "details": "ckpt_name: 'x.safetensors' not in ['a.safetensors']",
                "extra_info": {"input_name": "ckpt_name", "input_config": [["a.safetensors"], {}], "received_value": "x.safetensors"},
            }
        ],
        "class_type": "CheckpointLoaderSimple",
        "dependent_outputs": ["9"],
    }
}
TYPED_NODE_ERRORS = {
    "4": NodeError(
        errors=[
            NodeErrorItem(
                type="value_not_in_list",
                message="Value not in list",
                details="ckpt_name: 'x.safetensors' not in ['a.safetensors']",
                extra_info={"input_name": "ckpt_name", "input_config": [["a.safetensors"], {}], "received_value": "x.safetensors"},
            )
        ],
        class_type="CheckpointLoaderSimple",
        dependent_outputs=["9"],
    )
}
TRACEBACK = ['  File "execution.py", line 496, in execute\n', '  File "nodes.py", line 1525, in sample\n']

# Each kind of failure as the worker wrote error_details before they were typed.
OLD_ROWS: list[tuple[dict[str, Any], Failure]] = [
    ({"type": "prompt_outputs_failed_validation", "node_errors": NODE_ERRORS}, OutputsFailedValidation(node_errors=TYPED_NODE_ERRORS)),
    ({"type": "prompt_partially_invalid", "node_errors": NODE_ERRORS}, PartiallyInvalid(node_errors=TYPED_NODE_ERRORS)),
    ({"type": "invalid_prompt", "node_errors": {}}, InvalidPrompt()),
    ({"type": "missing_node_type", "node_errors": {}}, MissingNodeType()),
    ({"type": "prompt_no_outputs", "node_errors": {}}, NoOutputs()),
    (
        {
            "type": "execution_error", "node_id": "3", "node_type": "KSampler", "exception_type": "torch.OutOfMemoryError",
            "exception_message": "CUDA out of memory.\n", "traceback": TRACEBACK,
        },
        ExecutionError(
            node_id="3", node_type="KSampler", exception_type="torch.OutOfMemoryError",
            exception_message="CUDA out of memory.\n", traceback=TRACEBACK,
        ),
    ),
    (
        {"type": "execution_error", "node_id": None, "node_type": None, "exception_type": "E", "exception_message": "m", "traceback": []},
        ExecutionError(node_id=None, node_type=None, exception_type="E", exception_message="m", traceback=[]),
    ),
    ({"type": "interrupted", "node_id": "3"}, Interrupted(node_id="3")),
    ({"type": "interrupted", "node_id": None}, Interrupted()),
    ({"type": "lost", "attempts": 3}, Lost(attempts=3)),
    ({"type": "comfyui_unreachable"}, ComfyUnreachable()),
    ({"type": "unrunnable"}, Unrunnable()),
    ({"type": "worker_error"}, WorkerError()),
]


@pytest.mark.parametrize(("stored", "typed"), OLD_ROWS, ids=[f"{row['type']}-{i}" for i, (row, _) in enumerate(OLD_ROWS)])
def test_an_old_row_reads_as_its_typed_failure_and_is_served_unchanged(stored: dict[str, Any], typed: Failure) -> None:
    assert from_stored(stored) == typed
    assert msgspec.to_builtins(typed) == stored, "clients read the JSON they always read"
    assert msgspec.json.decode(msgspec.json.encode(typed), type=Failure) == typed  # type: ignore[arg-type]


def test_a_rejection_words_its_problems_as_the_error_sentence_does() -> None:
    failure = from_stored({"type": "prompt_outputs_failed_validation", "node_errors": NODE_ERRORS})
    assert isinstance(failure, OutputsFailedValidation)
    assert failure.problems() == ["Node 4 (CheckpointLoaderSimple) input 'ckpt_name': value 'x.safetensors' not in list ['a.safetensors']"]


def test_a_comfyui_error_type_unknown_here_keeps_its_node_errors() -> None:
    stored = {"type": "prompt_refused_by_policy", "node_errors": NODE_ERRORS}
    failure = from_stored(stored)
    assert failure == OtherRejection(comfy_type="prompt_refused_by_policy", node_errors=TYPED_NODE_ERRORS)
    assert rejected("prompt_refused_by_policy", TYPED_NODE_ERRORS) == failure
    assert rejected("invalid_prompt", {}) == InvalidPrompt()


@pytest.mark.parametrize(
    "stored",
    [
        {"node": "3"},  # no type at all
        {"type": "lost"},  # a known type without its fields
        {"type": "execution_error", "node_id": 3},  # fields of the wrong type
        {"type": "from_a_newer_studio", "detail": "x"},
        {"type": "prompt_outputs_failed_validation", "node_errors": {"4": "not a node error"}},
        "a sentence",
        ["a", "list"],
    ],
)
def test_a_shape_unknown_here_reads_as_a_generic_failure_holding_it(stored: Any) -> None:
    assert from_stored(stored) == UnknownFailure(stored=stored)


def test_no_details_read_as_none() -> None:
    assert from_stored(None) is None
