"""Every recorded text frame and HTTP body decodes into its typed shape."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import msgspec
import pytest

from server.comfy import messages as m
from tests.unit.comfy.captures import DATA, capture_names, events, load

KNOWN = {
    "status": m.StatusFrame,
    "feature_flags": m.FeatureFlags,
    "execution_start": m.ExecutionStart,
    "execution_cached": m.ExecutionCached,
    "executing": m.Executing,
    "progress_state": m.ProgressState,
    "progress": m.Progress,
    "executed": m.Executed,
    "execution_success": m.ExecutionSuccess,
    "execution_error": m.ExecutionError,
    "execution_interrupted": m.ExecutionInterrupted,
}


def text_frames() -> list[tuple[str, dict[str, Any]]]:
    frames = []
    for name in capture_names():
        for direction in ("ws_in", "ws_out"):
            frames += [(name, e["message"]) for e in events(name, direction) if e.get("frame") == "text"]
    return frames


def test_every_recorded_text_frame_decodes() -> None:
    seen: Counter[str] = Counter()
    for name, message in text_frames():
        decoded = m.decode_message(json.dumps(message))
        assert isinstance(decoded, KNOWN[message["type"]]), (name, message["type"])
        seen[message["type"]] += 1
    # the captures hold every type modelled here
    assert set(seen) == set(KNOWN)


def test_frames_decode_to_their_fields() -> None:
    executing = m.decode_message('{"type":"executing","data":{"node":null,"prompt_id":"p"}}')
    assert executing == m.Executing(node=None, prompt_id="p")
    replayed = m.decode_message('{"type":"executing","data":{"node":"3"}}')  # after reconnect
    assert replayed == m.Executing(node="3")
    status = m.decode_message(json.dumps(load("01")["events"][1]["message"]))
    assert status == m.StatusFrame(m.StatusInfo(m.ExecInfo(0)), sid=load("01")["client_id"])


def test_history_messages_decode_as_frames() -> None:
    count = 0
    for name in capture_names():
        for e in events(name, "http"):
            if e["request"]["path"].startswith("/history") and e["response"].get("json"):
                for entry in e["response"]["json"].values():
                    for kind, data in entry["status"]["messages"]:
                        frame = json.dumps({"type": kind, "data": data})
                        assert isinstance(m.decode_message(frame), KNOWN[kind])
                        count += 1
    assert count > 50


@pytest.mark.parametrize(
    "frame",
    [
        '{"type": "executing", "data": null}',
        '{"type": "logs", "data": {"entries": [], "size": {"cols": 80}}}',
        '{"type": "crystools.monitor", "data": {"cpu_utilization": 3}}',
        '{"type": "progress", "data": {"value": "not a number"}}',
        '{"type": "status"}',
    ],
)
def test_unknown_null_and_malformed_data_are_tolerated(frame: str) -> None:
    assert isinstance(m.decode_message(frame), m.UnknownMessage)


def test_not_an_envelope_raises_value_error() -> None:
    with pytest.raises(ValueError):
        m.decode_message("not json")


def test_feature_flags_frame() -> None:
    assert json.loads(m.FEATURE_FLAGS_FRAME) == {
        "type": "feature_flags",
        "data": {"supports_preview_metadata": True},
    }


def http_bodies() -> list[tuple[str, str, int, Any]]:
    return [
        (e["request"]["method"], e["request"]["path"], e["response"]["status"], e["response"]["json"])
        for name in capture_names()
        for e in events(name, "http")
        if "json" in e["response"]
    ]


def _shape(method: str, path: str, status: int) -> Any:
    if (method, path) == ("POST", "/prompt"):
        return m.PromptAccepted if status == 200 else m.PromptRejected
    if path.startswith("/history"):
        return dict[str, m.HistoryEntry]
    if path == "/queue":
        return m.QueueState
    if path == "/upload/image":
        return m.UploadedImage
    if path == "/system_stats":
        return m.SystemStats
    if re.fullmatch(r"/models/\w+", path):
        return list[str]
    return None


def test_every_recorded_http_body_decodes() -> None:
    seen: Counter[Any] = Counter()
    for method, path, status, body in http_bodies():
        shape = _shape(method, path, status)
        if shape is not None:
            msgspec.convert(body, shape)
            seen[str(shape)] += 1
    assert len(seen) == 7, seen


def test_history_entry_fields() -> None:
    pid = load("02")["prompt_id"]
    body = next(b for _, p, _, b in http_bodies() if p == f"/history/{pid}")
    entry = msgspec.convert(body, dict[str, m.HistoryEntry])[pid]
    assert entry.prompt.prompt_id == pid and entry.prompt.outputs_to_execute == ["7", "6"]
    assert entry.outputs["7"].images == [m.ImageRef("ComfyUI_temp_corvl_00001_.png", "", "temp")]
    assert entry.status == m.HistoryStatus("success", True, entry.status.messages)


def test_queue_find() -> None:
    body = next(b for _, p, _, b in http_bodies() if p == "/queue" and b["queue_pending"])
    queue = msgspec.convert(body, m.QueueState)
    running = queue.queue_running[0]
    assert queue.find(running.prompt_id) == ("running", running)
    assert queue.find(queue.queue_pending[0].prompt_id) == ("pending", queue.queue_pending[0])
    assert queue.find("no-such-prompt") is None
    # extra_data sent with the prompt comes back in the queue item
    assert any(i.extra_data.get("studio_job") == "job-123" for i in queue.queue_pending)


def test_object_info_is_a_plain_catalogue() -> None:
    info = msgspec.json.decode((DATA / "http" / "object_info.json").read_bytes(), type=dict[str, Any])
    assert len(info) == 496 and "SaveImage" in info
