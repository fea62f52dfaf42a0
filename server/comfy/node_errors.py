"""ComfyUI's node errors: their wire shape (in POST /prompt answers, and kept in a rejected job's
`error_details`) and the sentence a user gets for each.

Only msgspec here: the job schema's users (the client, the TUI) read these without loading the
ComfyUI client (httpx, websockets).
"""

from __future__ import annotations

from typing import Any

import msgspec

_MAX_LISTED_OPTIONS = 12


class NodeErrorItem(msgspec.Struct):
    type: str
    message: str
    details: str = ""
    extra_info: dict[str, Any] = {}


class NodeError(msgspec.Struct):
    errors: list[NodeErrorItem]
    class_type: str
    dependent_outputs: list[str] = []


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
