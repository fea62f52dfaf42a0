"""Why a job failed: its `error_details`, one tagged union told apart by `type`.

The `type` values are the ones Studio has always stored, so old rows and old clients read
unchanged. A rejected workflow keeps ComfyUI's own error type (`invalid_prompt`,
`prompt_outputs_failed_validation`, ...): one class per type ComfyUI sends. `error_details`
a row holds in a shape this version does not know (an older or newer Studio, a hand edit)
reads as `UnknownFailure`, never as an error: see `from_stored`.
"""

from __future__ import annotations

from typing import Any, Union

import msgspec

from server.comfy.node_errors import NodeError, describe_node_errors


class _Failure(msgspec.Struct, tag_field="type", kw_only=True, frozen=True):
    pass


class Rejection(_Failure):
    """ComfyUI refused the workflow before running it (HTTP 400, or 200 with node_errors):
    `node_errors` as ComfyUI sent them, by node id. The failures below are its kinds."""

    node_errors: dict[str, NodeError] = {}

    def problems(self) -> list[str]:
        """One sentence per rejected input, as the job's `error` words them."""
        return describe_node_errors(self.node_errors)


class InvalidPrompt(Rejection, tag="invalid_prompt"):
    """The graph itself is wrong, e.g. a node type ComfyUI does not have (ComfyUI 0.3)."""


class MissingNodeType(Rejection, tag="missing_node_type"):
    """A node type ComfyUI does not have: a custom node that is not installed (newer ComfyUI)."""


class NoOutputs(Rejection, tag="prompt_no_outputs"):
    """The graph has no output node (SaveImage, PreviewAny, ...)."""


class OutputsFailedValidation(Rejection, tag="prompt_outputs_failed_validation"):
    """Inputs ComfyUI refused (an unknown model, a value out of range): see `node_errors`."""


class PartiallyInvalid(Rejection, tag="prompt_partially_invalid"):
    """ComfyUI accepted only some outputs and would have run just those; Studio withdrew it."""


class OtherRejection(Rejection, kw_only=True, tag="rejected"):
    """ComfyUI refused it with an error type this version does not know (`comfy_type`)."""

    comfy_type: str


class ExecutionError(_Failure, tag="execution_error"):
    """A node raised while ComfyUI ran the workflow."""

    node_id: str | None
    node_type: str | None
    exception_type: str
    exception_message: str
    # The end of ComfyUI's traceback (its last 20 entries), each possibly several lines.
    traceback: list[str]


class Interrupted(_Failure, tag="interrupted"):
    """Someone stopped the prompt in ComfyUI itself (not a cancel through Studio)."""

    node_id: str | None = None


class Lost(_Failure, tag="lost"):
    """ComfyUI lost the job (it restarted) on each of its `attempts` runs (STUDIO_MAX_ATTEMPTS)."""

    attempts: int


class ComfyUnreachable(_Failure, tag="comfyui_unreachable"):
    """ComfyUI did not answer through every retry (STUDIO_COMFY_RETRIES)."""


class Unrunnable(_Failure, tag="unrunnable"):
    """The job cannot run as it was accepted: its workflow or input image is gone."""


class WorkerError(_Failure, tag="worker_error"):
    """Studio's worker failed (a bug: its log has the traceback)."""


class UnknownFailure(_Failure, tag="unknown"):
    """`error_details` a row holds in a shape this version does not know, as stored."""

    stored: Any = None


REJECTIONS: dict[str, type[Rejection]] = {
    kind.__struct_config__.tag: kind  # type: ignore[misc]
    for kind in (InvalidPrompt, MissingNodeType, NoOutputs, OutputsFailedValidation, PartiallyInvalid)
}

Failure = Union[
    InvalidPrompt, MissingNodeType, NoOutputs, OutputsFailedValidation, PartiallyInvalid, OtherRejection,
    ExecutionError, Interrupted, Lost, ComfyUnreachable, Unrunnable, WorkerError, UnknownFailure,
]


def rejected(comfy_type: str, node_errors: dict[str, NodeError]) -> Rejection:
    """The failure for ComfyUI's rejection of type `comfy_type`."""
    kind = REJECTIONS.get(comfy_type)
    if kind is None:
        return OtherRejection(comfy_type=comfy_type, node_errors=node_errors)
    return kind(node_errors=node_errors)


def from_stored(stored: Any) -> Failure | None:
    """A row's `error_details` as its typed failure: what Studio has always written decodes as
    itself, a rejection of a ComfyUI error type unknown here as OtherRejection, anything else as
    UnknownFailure - a job is still shown when its details are not understood."""
    if stored is None:
        return None
    try:
        return msgspec.convert(stored, Failure)  # type: ignore[arg-type]
    except msgspec.ValidationError:
        pass
    if isinstance(stored, dict) and isinstance(stored.get("type"), str):
        try:
            return rejected(stored["type"], msgspec.convert(stored["node_errors"], dict[str, NodeError]))
        except (KeyError, msgspec.ValidationError):
            pass
    return UnknownFailure(stored=stored)
