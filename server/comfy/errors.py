"""Exceptions of the ComfyUI client, and the sentence a user gets for a rejected prompt."""

from __future__ import annotations

from typing import Any

from server.comfy.messages import NodeError, NodeErrorItem, PromptRejected

_MAX_LISTED_OPTIONS = 12


class ComfyError(Exception):
    """Base class; also raised as is for a response of unexpected shape."""


class ComfyUnavailable(ComfyError):
    """ComfyUI did not answer or failed (refused, reset, timeout, 5xx): the one exception for
    "ComfyUI is unreachable", whether one call failed (retryable) or a caller gave up on it.

    `attempts` is how many tries the caller made before giving up (None: one call, as raised by
    the client itself).
    """

    def __init__(self, message: str, *, attempts: int | None = None) -> None:
        super().__init__(message)
        self.attempts = attempts


class ComfyNotFound(ComfyError):
    """404: no such file for /view, unknown folder for /models."""


class ComfyBadRequest(ComfyError):
    """Any other 4xx (bad /view parameters, upload refused, ...)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ComfyRejected(ComfyError):
    """ComfyUI refused the prompt (400), or accepted only part of it (200 + node_errors).

    `sentences` holds one actionable line per problem, e.g.
    "Node 4 (CheckpointLoaderSimple) input 'ckpt_name': value 'x.safetensors' not in list []".
    """

    def __init__(
        self,
        error_type: str,
        message: str,
        node_errors: dict[str, NodeError],
        *,
        details: str = "",
        prompt_id: str | None = None,
    ) -> None:
        self.error_type = error_type
        self.node_errors = node_errors
        self.prompt_id = prompt_id
        self.sentences = describe_node_errors(node_errors) or [_top_level(message, details)]
        super().__init__("; ".join(self.sentences))

    @classmethod
    def from_body(cls, body: PromptRejected) -> ComfyRejected:
        """From a POST /prompt 400 body."""
        error = body.error
        return cls(error.type, error.message, body.node_errors, details=error.details)


def _top_level(message: str, details: str) -> str:
    if details and details not in message:
        return f"{message} ({details})"
    return message


def describe_node_errors(node_errors: dict[str, NodeError]) -> list[str]:
    return [
        describe_node_error(node_id, node.class_type, item)
        for node_id, node in node_errors.items()
        for item in node.errors
    ]


def describe_node_error(node_id: str, class_type: str, item: NodeErrorItem) -> str:
    info = item.extra_info
    input_name = info.get("input_name")
    where = f"Node {node_id} ({class_type})"
    if input_name:
        where += f" input '{input_name}'"
    return f"{where}: {_reason(item, input_name)}"


def _reason(item: NodeErrorItem, input_name: str | None) -> str:
    info = item.extra_info
    config = info.get("input_config")
    spec = config[0] if isinstance(config, list) and config else None
    if item.type == "value_not_in_list" and "received_value" in info:
        return f"value {info['received_value']!r} not in list {_options(spec)}"
    if item.type == "invalid_input_type" and "received_value" in info:
        reason = f"value {info['received_value']!r} is not a valid {spec or 'value'}"
        if info.get("exception_message"):
            reason += f" ({info['exception_message']})"
        return reason
    if item.type == "return_type_mismatch" and "received_type" in info:
        linked = info.get("linked_node") or ["?", "?"]
        return (
            f"linked to output {linked[1]} of node {linked[0]}, which gives "
            f"{info['received_type']} but {spec} is expected"
        )
    if item.type == "exception_during_validation":
        return f"validation raised {info.get('exception_type', 'an exception')}: {item.details}"
    details = item.details
    for sep in (" - ", ": ", ", "):
        if input_name and details.startswith(input_name + sep):
            details = details[len(input_name) + len(sep) :]
    if details and details != input_name and item.type == "custom_validation_failed":
        return _lower_first(details)
    if details and details != input_name:
        return f"{_lower_first(item.message)}: {details}"
    return _lower_first(item.message)


def _options(spec: Any) -> str:
    if not isinstance(spec, list):
        return "[]"
    if len(spec) <= _MAX_LISTED_OPTIONS:
        return repr(spec)
    shown = ", ".join(repr(o) for o in spec[:_MAX_LISTED_OPTIONS])
    return f"[{shown}, ... {len(spec) - _MAX_LISTED_OPTIONS} more]"


def _lower_first(text: str) -> str:
    # "Value -5 smaller..." -> "value -5 smaller...", but keep acronyms such as "INT".
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text
