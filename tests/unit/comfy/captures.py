"""Read the recorded ComfyUI 0.3.64 traffic in tests/data/comfyui/captures/."""

from __future__ import annotations

import base64
import io
import json
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image

DATA = Path(__file__).resolve().parents[2] / "data" / "comfyui"
CAPTURES = DATA / "captures"

Frame = str | bytes


@cache
def load(name: str) -> dict[str, Any]:
    """A capture by full name or by number ("12" is 12_upload_image, not 12b_...)."""
    exact = CAPTURES / f"{name}.json"
    path = exact if exact.exists() else next(iter(sorted(CAPTURES.glob(f"{name}_*.json"))))
    return json.loads(path.read_text())


def capture_names() -> list[str]:
    return sorted(p.stem for p in CAPTURES.glob("*.json"))


def events(name: str, direction: str, socket: str | None = None) -> list[dict[str, Any]]:
    return [
        e
        for e in load(name).get("events", [])
        if e["dir"] == direction and (socket is None or e.get("socket") == socket)
    ]


def frame_of(event: dict[str, Any]) -> Frame:
    """The frame as the server put it on the wire."""
    if event["frame"] == "text":
        return json.dumps(event["message"])
    binary = event["binary"]
    if "base64" in binary:
        return base64.b64decode(binary["base64"])
    # Frames over 4 KiB were recorded without their bytes (09a/09b): rebuild one with the
    # recorded header and an image of the recorded size.
    spec = binary["image"]
    return bytes.fromhex(binary["first8_hex"]) + _image(
        spec["mode"], spec["width"], spec["height"], spec["pil_format"]
    )


@cache
def _image(mode: str, width: int, height: int, fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (width, height)).save(buf, fmt)
    return buf.getvalue()


def ws_frames(name: str, socket: str = "ws") -> list[Frame]:
    return [frame_of(e) for e in events(name, "ws_in", socket)]


def http_json(name: str, path: str, label: str | None = None) -> Any:
    """Response body of the first recorded exchange on `path` (and label, if given)."""
    for e in events(name, "http"):
        if e["request"]["path"] == path and (label is None or label in e.get("label", "")):
            return e["response"]["json"]
    raise KeyError((name, path, label))


def submitted_graphs(name: str) -> dict[str, dict[str, Any]]:
    """prompt_id -> graph, for every accepted POST /prompt of a capture."""
    graphs = {}
    for e in events(name, "http"):
        request, response = e["request"], e["response"]
        if request["path"] == "/prompt" and request["method"] == "POST" and response["status"] == 200:
            graphs[response["json"]["prompt_id"]] = request["json"]["prompt"]
    return graphs
