"""Binary frames: every recorded one, and malformed ones."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from server.comfy.binary import PreviewImage, ProgressText, UnknownBinary, decode_binary
from tests.unit.comfy.captures import capture_names, events, frame_of


def recorded_binaries() -> list[tuple[str, dict, bytes]]:
    return [
        (name, e["binary"], frame_of(e))
        for name in capture_names()
        for e in events(name, "ws_in")
        if e.get("frame") == "binary" and "base64" in e["binary"]
    ]


def test_every_recorded_binary_frame_decodes() -> None:
    kinds = set()
    for name, header, frame in recorded_binaries():
        decoded = decode_binary(frame)
        kinds.add(header["event_type"])
        if header["event_type"] == 3:
            assert decoded == ProgressText(header["node_id"], header["text"]), name
            continue
        assert isinstance(decoded, PreviewImage), name
        image = Image.open(io.BytesIO(decoded.image))
        assert (image.format, image.size) == (
            header["image"]["pil_format"],
            (header["image"]["width"], header["image"]["height"]),
        )
        assert decoded.mime == "image/png"
        if header["event_type"] == 4:
            meta = header["metadata"]
            assert (decoded.node_id, decoded.prompt_id) == (meta["node_id"], meta["prompt_id"])
        else:
            assert (decoded.node_id, decoded.prompt_id) == (None, None)
    assert kinds == {1, 3, 4}


def test_jpeg_and_unknown_formats() -> None:
    assert decode_binary(struct.pack(">II", 1, 1) + b"\xff\xd8").mime == "image/jpeg"
    assert decode_binary(struct.pack(">II", 1, 9) + b"x").mime == "application/octet-stream"
    assert decode_binary(struct.pack(">I", 2) + b"x") == UnknownBinary(2)


@pytest.mark.parametrize(
    "frame",
    [
        b"\x00\x00",
        struct.pack(">I", 1),
        struct.pack(">II", 3, 10) + b"2",
        struct.pack(">II", 4, 50) + b"{}",
        struct.pack(">II", 4, 3) + b"{x}" + b"png",
    ],
)
def test_malformed_frames_raise_value_error(frame: bytes) -> None:
    with pytest.raises(ValueError):
        decode_binary(frame)
