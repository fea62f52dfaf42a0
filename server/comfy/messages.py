"""Typed shapes of what ComfyUI 0.3.64 sends: WebSocket text frames and HTTP bodies.

Shapes follow the recordings in tests/data/comfyui/. Structs ignore fields they do not
name, so newer servers that add fields still decode.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from server.comfy.node_errors import NodeError

log = logging.getLogger(__name__)


# --- shared pieces -----------------------------------------------------------


class ImageRef(msgspec.Struct, frozen=True):
    """A file the server wrote; fetch it with GET /view?filename&subfolder&type."""

    filename: str
    subfolder: str = ""
    type: str = "output"  # "output" (SaveImage), "temp" (PreviewImage) or "input"


class NodeOutput(msgspec.Struct):
    """UI output of one node (`executed.output`, history `outputs[node]`)."""

    images: list[ImageRef] = []
    text: list[str] = []


# --- WebSocket text frames ({"type": T, "data": D}) ----------------------------


class ExecInfo(msgspec.Struct):
    queue_remaining: int


class StatusInfo(msgspec.Struct):
    exec_info: ExecInfo


class StatusFrame(msgspec.Struct):
    """`status`: the queue's length (all clients'), not a prompt's or a job's status."""

    status: StatusInfo
    sid: str | None = None  # only in the first frame after connecting


class FeatureFlags(msgspec.Struct):
    supports_preview_metadata: bool = False
    max_upload_size: int | None = None


class ExecutionStart(msgspec.Struct):
    prompt_id: str
    timestamp: int | None = None


class ExecutionCached(msgspec.Struct):
    nodes: list[str]
    prompt_id: str
    timestamp: int | None = None


class Executing(msgspec.Struct):
    # node None + prompt_id = the prompt is over; no prompt_id = replay after reconnect.
    node: str | None
    display_node: str | None = None
    prompt_id: str | None = None


class NodeProgress(msgspec.Struct):
    value: float
    max: float
    state: str  # "running" | "finished"
    node_id: str
    prompt_id: str | None = None
    display_node_id: str | None = None
    parent_node_id: str | None = None
    real_node_id: str | None = None


class ProgressState(msgspec.Struct):
    prompt_id: str
    nodes: dict[str, NodeProgress]


class Progress(msgspec.Struct):
    value: float
    max: float
    prompt_id: str | None = None
    node: str | None = None


class Executed(msgspec.Struct):
    node: str
    output: NodeOutput
    prompt_id: str
    display_node: str | None = None


class ExecutionSuccess(msgspec.Struct):
    prompt_id: str
    timestamp: int | None = None


class ExecutionError(msgspec.Struct):
    prompt_id: str
    node_id: str | None = None
    node_type: str | None = None
    exception_message: str = ""
    exception_type: str = ""
    traceback: list[str] = []
    executed: list[str] = []
    current_inputs: dict[str, Any] = {}
    current_outputs: list[str] = []
    timestamp: int | None = None


class ExecutionInterrupted(msgspec.Struct):
    prompt_id: str
    node_id: str | None = None
    node_type: str | None = None
    executed: list[str] = []
    timestamp: int | None = None


class UnknownMessage(msgspec.Struct):
    """A frame type we do not model (e.g. `logs`), or a known type with `data: null`."""

    type: str
    data: Any = None


WsMessage = (
    StatusFrame
    | FeatureFlags
    | ExecutionStart
    | ExecutionCached
    | Executing
    | ProgressState
    | Progress
    | Executed
    | ExecutionSuccess
    | ExecutionError
    | ExecutionInterrupted
    | UnknownMessage
)

_MESSAGE_TYPES: dict[str, type[msgspec.Struct]] = {
    "status": StatusFrame,
    "feature_flags": FeatureFlags,
    "execution_start": ExecutionStart,
    "execution_cached": ExecutionCached,
    "executing": Executing,
    "progress_state": ProgressState,
    "progress": Progress,
    "executed": Executed,
    "execution_success": ExecutionSuccess,
    "execution_error": ExecutionError,
    "execution_interrupted": ExecutionInterrupted,
}


class _Envelope(msgspec.Struct):
    type: str
    data: msgspec.Raw = msgspec.Raw(b"null")


_envelope_decoder = msgspec.json.Decoder(_Envelope)
_data_decoders = {name: msgspec.json.Decoder(cls) for name, cls in _MESSAGE_TYPES.items()}


def decode_message(frame: str | bytes) -> WsMessage:
    """Decode one text frame. Raises msgspec.DecodeError only if it is not an envelope."""
    envelope = _envelope_decoder.decode(frame)
    decoder = _data_decoders.get(envelope.type)
    raw = bytes(envelope.data)
    if decoder is None or raw == b"null":
        return UnknownMessage(envelope.type, msgspec.json.decode(raw))
    try:
        return decoder.decode(raw)
    except msgspec.ValidationError as exc:
        # A changed server must not kill the socket; the frame is dropped, not its payload logged
        # (execution_error data holds huge tensor reprs).
        log.warning("undecodable %r frame from ComfyUI: %s", envelope.type, exc)
        return UnknownMessage(envelope.type, None)


FEATURE_FLAGS_FRAME = msgspec.json.encode(
    {"type": "feature_flags", "data": {"supports_preview_metadata": True}}
).decode()


# --- HTTP bodies ---------------------------------------------------------------
# (node_errors, in both answers to POST /prompt: node_errors.py)


class PromptAccepted(msgspec.Struct):
    """POST /prompt 200."""

    prompt_id: str
    number: float
    node_errors: dict[str, NodeError] = {}


class PromptErrorInfo(msgspec.Struct):
    type: str
    message: str
    details: str = ""
    extra_info: dict[str, Any] = {}


class PromptRejected(msgspec.Struct):
    """POST /prompt 400."""

    error: PromptErrorInfo
    node_errors: dict[str, NodeError] = {}


class QueueItem(msgspec.Struct, array_like=True):
    """`[number, prompt_id, prompt, extra_data, outputs_to_execute]` in /queue and /history."""

    number: float
    prompt_id: str
    prompt: dict[str, Any]
    extra_data: dict[str, Any]
    outputs_to_execute: list[str]


class QueueState(msgspec.Struct):
    queue_running: list[QueueItem]
    queue_pending: list[QueueItem]

    def find(self, prompt_id: str) -> tuple[str, QueueItem] | None:
        """("running" | "pending", item), or None when the queue does not hold the prompt."""
        for position, items in (("running", self.queue_running), ("pending", self.queue_pending)):
            for item in items:
                if item.prompt_id == prompt_id:
                    return position, item
        return None


class HistoryStatus(msgspec.Struct):
    status_str: str  # "success" | "error" (interrupted is "error" too)
    completed: bool
    messages: list[tuple[str, dict[str, Any]]] = []


class NodeMeta(msgspec.Struct):
    node_id: str
    display_node: str | None = None
    parent_node: str | None = None
    real_node_id: str | None = None


class HistoryEntry(msgspec.Struct):
    prompt: QueueItem
    outputs: dict[str, NodeOutput] = {}
    status: HistoryStatus | None = None
    meta: dict[str, NodeMeta] = {}


class UploadedImage(msgspec.Struct, frozen=True):
    """POST /upload/image 200; `name` can differ from the name sent (dedupe renames)."""

    name: str
    subfolder: str
    type: str


class SystemInfo(msgspec.Struct):
    os: str
    ram_total: int
    ram_free: int
    comfyui_version: str
    python_version: str
    pytorch_version: str
    embedded_python: bool = False
    required_frontend_version: str | None = None
    installed_templates_version: str | None = None
    required_templates_version: str | None = None
    argv: list[str] = []


class Device(msgspec.Struct):
    name: str
    type: str
    index: int | None
    vram_total: int
    vram_free: int
    torch_vram_total: int
    torch_vram_free: int


class SystemStats(msgspec.Struct):
    system: SystemInfo
    devices: list[Device]
