"""The loader refuses a manifest that does not fit its graph, naming the file and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.workflows.loader import WorkflowError, load_workflow, load_workflows
from tests.common.paths import REPO

GRAPH = {
    "3": {"class_type": "KSampler", "inputs": {"seed": 0, "steps": 20, "cfg": 7.0}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": ""}},
    "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "x"}},
}


def make(tmp_path: Path, params: dict, graph: dict = GRAPH, **manifest) -> Path:
    folder = tmp_path / "wf"
    folder.mkdir(exist_ok=True)
    (folder / "workflow.json").write_text(json.dumps(graph))
    (folder / "manifest.json").write_text(json.dumps({"title": "Test", "params": params, **manifest}))
    return folder


def test_built_in_workflows_load() -> None:
    workflows = load_workflows(REPO / "workflows")
    assert set(workflows) == {"text_to_image", "text_to_image_unet", "image_edit", "image_compose", "upscale"}


def test_valid_manifest(tmp_path: Path) -> None:
    workflow = load_workflow(make(tmp_path, {"steps": {"type": "integer", "default": 20, "min": 1, "max": 50, "bind": ["3.steps"]}}))
    assert workflow.name == "wf" and "steps" in workflow.manifest.params


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"steps": {"type": "integer", "default": 20, "bind": ["4.steps"]}}, "params.steps.bind: node '4' is not in the graph"),
        ({"steps": {"type": "integer", "default": 20, "bind": ["3.stepz"]}}, "params.steps.bind: node 3 (KSampler) has no input 'stepz'"),
        ({"steps": {"type": "integer", "default": 20, "bind": ["3"]}}, "is not of the form '<node id>.<input>'"),
        ({"steps": {"type": "integer", "default": 20}}, "params.steps.bind: binds to no node input"),
        ({"steps": {"type": "integer", "default": 200, "max": 150, "bind": ["3.steps"]}}, "params.steps.default: 200 is above max 150"),
        ({"steps": {"type": "integer", "default": 0, "min": 1, "bind": ["3.steps"]}}, "params.steps.default: 0 is below min 1"),
        ({"steps": {"type": "integer", "default": 5, "min": 9, "max": 1, "bind": ["3.steps"]}}, "params.steps.min: 9 is above max 1"),
        ({"s": {"type": "choice", "choices": ["a"], "default": "b", "bind": ["3.cfg"]}}, "params.s.default: 'b' is not one of the choices"),
        ({"seed": {"type": "seed", "default": -5, "bind": ["3.seed"]}}, "params.seed.default"),
        ({"ar": {"type": "aspect_ratio", "presets": {"1:1": [512, 512]}, "default": "2:1", "width": ["5.width"], "height": ["5.height"]}}, "params.ar.default: '2:1' is not one of the presets"),
        ({"ar": {"type": "aspect_ratio", "presets": {"1:1": [512, 512]}, "default": "1:1", "width": ["5.width"]}}, "params.ar.width"),
        ({"steps": {"type": "integer", "default": "twenty", "bind": ["3.steps"]}}, "params.steps.default: Expected 'int', got 'str'"),
        ({"steps": {"type": "slider", "default": 1, "bind": ["3.steps"]}}, "params.steps.type: Invalid value 'slider'"),
        ({"steps": {"type": "integer", "default": 1, "bind": ["3.steps"], "maximum": 3}}, "unknown field 'maximum'"),
    ],
)
def test_broken_manifest_names_file_and_field(tmp_path: Path, params: dict, words: str) -> None:
    folder = make(tmp_path, params)
    with pytest.raises(WorkflowError) as error:
        load_workflow(folder)
    message = str(error.value)
    assert str(folder / "manifest.json") in message
    assert words in message


def test_missing_graph_and_non_api_graph(tmp_path: Path) -> None:
    with pytest.raises(WorkflowError, match="graph: file workflow.json not found"):
        folder = make(tmp_path, {})
        (folder / "workflow.json").rename(folder / "moved.json")
        load_workflow(folder)
    with pytest.raises(WorkflowError, match="not an API-format graph"):
        load_workflow(make(tmp_path, {}, graph={"nodes": [], "links": []}))


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WorkflowError, match="does not exist"):
        load_workflows(tmp_path / "nowhere")
