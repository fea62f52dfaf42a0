"""`studio workflows import` as a real subprocess (the recorded /object_info from a file), and
POST /api/workflows on a running Studio in front of the ComfyUI double: each model-free graph
imported, then run as a job without a restart (single process, and API + worker apart)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.comfyui_double.double import ComfyDouble
from tests.common.paths import REPO
from tests.integration.access.test_keys_api import bearer, make_key
from tests.integration.worker.stack import Stack

GRAPHS = REPO / "tests/data/comfyui/workflows"
OBJECT_INFO = REPO / "tests/data/comfyui/http/object_info.json"
# Each model-free graph and how its job ends on the double (one blends batches of 2 and 3 on purpose).
MODEL_FREE = {
    "cache_probe_scale_invert_save": "finished",
    "empty_image_save_batch2": "finished",
    "exec_error_blend_batch_mismatch": "failed",
    "getimagesize_savewebsocket": "finished",
    "loadimage_save": "finished",
    "loadimage_scale_invert_blend_save": "finished",
    "savewebsocket_large_batch": "finished",
    "slow_blur_chain": "finished",
    "string_regex_previewany": "finished",
}


def studio_import(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    return subprocess.run(
        [sys.executable, "-m", "studio", "workflows", "import", *args, "--object-info", str(OBJECT_INFO)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )


def test_dry_run_prints_the_manifest_and_writes_nothing(tmp_path: Path) -> None:
    done = studio_import(str(GRAPHS / "needs_model_sd15_txt2img.json"), "sd15", "--dry-run", "--workflows-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    manifest = json.loads(done.stdout)
    assert list(manifest["params"])[:3] == ["prompt", "negative_prompt", "model"]
    assert list(tmp_path.iterdir()) == []


def test_import_writes_the_folder_and_refuses_a_second_time(tmp_path: Path) -> None:
    graph = str(GRAPHS / "slow_blur_chain.json")
    done = studio_import(graph, "blur", "--expose", "2.sigma", "--workflows-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "sigma (number) <- 2.sigma" in done.stdout
    assert sorted(path.name for path in (tmp_path / "blur").iterdir()) == ["manifest.json", "workflow.json"]
    again = studio_import(graph, "blur", "--workflows-dir", str(tmp_path))
    assert again.returncode == 1 and "'blur' exists already" in again.stderr and again.stderr.startswith("studio: ")


def test_a_ui_format_graph_is_refused_with_the_way_out(tmp_path: Path) -> None:
    ui_graph = tmp_path / "ui.json"
    ui_graph.write_text(json.dumps({"last_node_id": 2, "nodes": [], "links": [], "version": 0.4}))
    done = studio_import(str(ui_graph), "ui", "--workflows-dir", str(tmp_path / "workflows"))
    assert done.returncode == 1 and "Export (API)" in done.stderr
    assert not (tmp_path / "workflows" / "ui").exists()


def test_a_workflows_folder_studio_cannot_write_is_named_with_the_setting(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "workflows"
    not_a_folder.write_text("a file where the folder should be")
    done = studio_import(str(GRAPHS / "slow_blur_chain.json"), "blur", "--workflows-dir", str(not_a_folder))
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"studio: the workflows folder {not_a_folder} cannot be written (")
    assert "STUDIO_WORKFLOWS_DIR" in done.stderr and "Traceback" not in done.stderr


def png() -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (96, 64), "red").save(picture, format="PNG")
    return picture.getvalue()


def test_model_free_graphs_import_and_run_without_a_restart(stack: Stack, double: ComfyDouble) -> None:
    for name, outcome in MODEL_FREE.items():
        answer = stack.http.post("/api/workflows", json={"name": name, "graph": json.loads((GRAPHS / f"{name}.json").read_text())})
        assert answer.status_code == 201, answer.text
        params = {param["name"] for param in answer.json()["params"]}
        submitted = {}
        if "image" in params:
            submitted["image"] = stack.http.post("/api/uploads", files={"file": ("in.png", png(), "image/png")}).json()["name"]
        accepted = stack.http.post("/api/jobs", json={"workflow": name, "params": submitted})
        assert accepted.status_code == 202, accepted.text
        job = stack.wait(accepted.json()["id"], timeout=60)
        assert job["status"] == outcome, (name, job["error"])
        if outcome == "failed":
            assert "must match the size of tensor b" in job["error"], job["error"]
        else:
            assert job["outputs"] or name == "string_regex_previewany", job  # text only: no image
    listed = {workflow["name"] for workflow in stack.http.get("/api/workflows").json()}
    assert set(MODEL_FREE) <= listed


def test_post_refusals_are_400_and_409_with_sentences(single_stack: Stack) -> None:
    graph = json.loads((GRAPHS / "empty_image_save_batch2.json").read_text())
    taken = single_stack.http.post("/api/workflows", json={"name": "text_to_image", "graph": graph})
    assert taken.status_code == 409 and "exists already" in taken.json()["detail"]
    ui = single_stack.http.post("/api/workflows", json={"name": "ui", "graph": {"nodes": [], "links": []}})
    assert ui.status_code == 400 and "Export (API)" in ui.json()["detail"]
    exposed = single_stack.http.post("/api/workflows", json={"name": "x", "graph": graph, "expose": ["1.colour"]})
    assert exposed.status_code == 400 and "node 1 (EmptyImage) has no input 'colour'" in exposed.json()["detail"]
    assert single_stack.http.get("/api/workflows/x").status_code == 404


def test_only_admins_import(single_stack: Stack) -> None:
    graph = json.loads((GRAPHS / "empty_image_save_batch2.json").read_text())
    admin = make_key(single_stack.http, "root", role="admin")["key"]
    user = make_key(single_stack.http, "ana", admin, role="user")["key"]
    refused = single_stack.http.post("/api/workflows", json={"name": "empty", "graph": graph}, headers=bearer(user))
    assert refused.status_code == 403 and "needs an admin key" in refused.json()["detail"]
    done = single_stack.http.post("/api/workflows", json={"name": "empty", "graph": graph}, headers=bearer(admin))
    assert done.status_code == 201 and done.json()["name"] == "empty"
