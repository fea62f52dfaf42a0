"""`studio workflows check`: each manifest against ComfyUI's /object_info, as a real subprocess
reading the recorded one from a file (--object-info)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.common.paths import REPO
from tests.integration.workflows.planted import (
    MISSING_CLASS,
    OBJECT_INFO,
    plant_missing_class,
    plant_renamed_input,
    plant_unknown_choice,
)


def check(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    return subprocess.run(
        [sys.executable, "-m", "studio", "workflows", "check", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )


def test_the_built_ins_only_warn_of_the_models_the_recorded_comfyui_lacks() -> None:
    done = check("--object-info", str(OBJECT_INFO), "--workflows-dir", str(REPO / "workflows"))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    # Every model default: the recording ComfyUI had no model files.
    assert len(lines) == 7
    assert all(": warning: model " in line for line in lines), lines
    assert "workflows/text_to_image/manifest.json: params.model.default: warning: model 'sd_xl_base_1.0.safetensors'" in done.stdout
    assert "0 problem(s), 7 warning(s)" in done.stderr


def test_planted_mismatches_are_reported_with_file_field_and_reason(tmp_path: Path) -> None:
    plant_renamed_input(tmp_path)
    plant_unknown_choice(tmp_path)
    plant_missing_class(tmp_path)
    done = check("--object-info", str(OBJECT_INFO), "--workflows-dir", str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    problems = [line for line in done.stdout.splitlines() if ": warning: " not in line]
    assert sorted(problems) == sorted([
        f"{tmp_path}/missing_class/manifest.json: graph.9: node class '{MISSING_CLASS}' is not on this ComfyUI "
        "(a custom node not installed there?)",
        f"{tmp_path}/renamed_input/manifest.json: params.cfg.bind: node 3 (KSampler) has no input 'cfg_scale' on this "
        "ComfyUI; it takes: seed, steps, cfg, sampler_name, scheduler, denoise",
        f"{tmp_path}/unknown_choice/manifest.json: params.sampler.choices: 'warp_drive' not offered by node 3 (KSampler) "
        f"'sampler_name'; it offers: " + problems_offered(done.stdout),
        f"{tmp_path}/unknown_choice/manifest.json: params.steps.max: 20000 is above the maximum of node 3 (KSampler) "
        "'steps', 10000",
    ])
    assert done.stderr.startswith("4 problem(s), 3 warning(s)")


def problems_offered(stdout: str) -> str:
    """The sampler list as printed, checked to start with ComfyUI's own first names."""
    offered = stdout.split("it offers: ", 1)[1].splitlines()[0]
    assert offered.startswith("'euler', 'euler_cfg_pp', 'euler_ancestral'")
    return offered


def test_an_unreadable_object_info_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "object_info.json").write_text("[1, 2]")
    done = check("--object-info", str(tmp_path / "object_info.json"), "--workflows-dir", str(REPO / "workflows"))
    assert done.returncode == 2
    assert done.stderr.startswith("studio: ") and "not ComfyUI's /object_info" in done.stderr
    assert done.stdout == ""
