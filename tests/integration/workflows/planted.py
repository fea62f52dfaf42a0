"""Workflow folders with planted mismatches against ComfyUI 0.3.64's /object_info (what the
ComfyUI double serves): copies of a built-in, each changed the way a ComfyUI update or a missing
custom node breaks a manifest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.common.paths import REPO

OBJECT_INFO = REPO / "tests" / "data" / "comfyui" / "http" / "object_info.json"
MISSING_CLASS = "SaveImageExtended"


def _copy(folder: Path, name: str) -> tuple[dict, dict]:
    shutil.copytree(REPO / "workflows" / "text_to_image", folder / name)
    manifest = json.loads((folder / name / "manifest.json").read_text())
    graph = json.loads((folder / name / "workflow.json").read_text())
    return manifest, graph


def _save(folder: Path, name: str, manifest: dict, graph: dict) -> None:
    (folder / name / "manifest.json").write_text(json.dumps(manifest, indent=2))
    (folder / name / "workflow.json").write_text(json.dumps(graph, indent=2))


def plant_renamed_input(folder: Path) -> None:
    """The graph and manifest name `cfg_scale`, an input KSampler does not take."""
    manifest, graph = _copy(folder, "renamed_input")
    graph["3"]["inputs"]["cfg_scale"] = graph["3"]["inputs"].pop("cfg")
    manifest["params"]["cfg"]["bind"] = ["3.cfg_scale"]
    _save(folder, "renamed_input", manifest, graph)


def plant_unknown_choice(folder: Path) -> None:
    """A hand-written sampler list with one ComfyUI never had, and steps beyond KSampler's limit."""
    manifest, graph = _copy(folder, "unknown_choice")
    manifest["params"]["sampler"]["choices"] = ["euler", "warp_drive"]
    manifest["params"]["steps"]["max"] = 20000
    _save(folder, "unknown_choice", manifest, graph)


def plant_missing_class(folder: Path) -> None:
    """The output node is a custom node this ComfyUI does not have."""
    manifest, graph = _copy(folder, "missing_class")
    graph["9"]["class_type"] = MISSING_CLASS
    _save(folder, "missing_class", manifest, graph)
