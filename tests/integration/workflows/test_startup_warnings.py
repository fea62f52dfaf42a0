"""`studio serve` checks the workflows against ComfyUI once it answers and logs each problem as a
warning; it starts without waiting for ComfyUI either way."""

from __future__ import annotations

import time
from pathlib import Path

from tests.comfyui_double.double import ComfyDouble
from tests.integration.workflows.planted import MISSING_CLASS, plant_missing_class
from tests.net import unused_url
from tests.served import serve_studio


def studio_folder(tmp_path: Path) -> Path:
    (tmp_path / "studio").mkdir()
    return tmp_path / "studio"


def logged(log: Path, words: str, wait: float = 20.0) -> str:
    """The log once it holds `words` (the check runs in the background after start-up)."""
    deadline = time.monotonic() + wait
    while words not in (text := log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return text


def test_each_problem_is_a_warning_in_the_log_once_comfyui_answers(tmp_path: Path, comfy_double: ComfyDouble) -> None:
    plant_missing_class(tmp_path)
    env = {"STUDIO_COMFY_URL": comfy_double.url, "STUDIO_WORKFLOWS_DIR": str(tmp_path)}
    with serve_studio(studio_folder(tmp_path), env) as served:
        text = logged(served.log, MISSING_CLASS)
    assert (
        f"workflow missing_class: cannot run on this ComfyUI: graph.9: node class '{MISSING_CLASS}' is not on this ComfyUI"
        in text
    ), text[-3000:]
    assert "workflow missing_class: warning: params.model.default: model 'sd_xl_base_1.0.safetensors'" in text


def test_an_unreachable_comfyui_neither_blocks_start_up_nor_warns(tmp_path: Path) -> None:
    plant_missing_class(tmp_path)
    with unused_url() as nobody, serve_studio(studio_folder(tmp_path), {"STUDIO_COMFY_URL": nobody, "STUDIO_WORKFLOWS_DIR": str(tmp_path)}) as served:
        text = logged(served.log, "workflows not checked against ComfyUI")
    assert "workflows not checked against ComfyUI (ComfyUI is unreachable: " in text, text[-3000:]
    assert MISSING_CLASS not in text
