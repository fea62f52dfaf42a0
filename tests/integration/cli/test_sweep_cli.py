"""`studio sweep`, a real subprocess against a real Studio in front of the ComfyUI double: the grid
reaches every cell, the contact sheet's URL, the exit status; Ctrl+C; --help."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

from tests.comfyui_double.double import ComfyDouble
from tests.comfyui_double.settings import DEFAULT_FAIL_VALUE
from tests.common.paths import REPO
from tests.integration.worker.stack import Stack

# At 100 columns.
HELP = """\
usage: studio sweep [-h] --axis NAME=V1,V2,... [--style NAME] [--no-wait] [--json]
                    [--cancel-on-interrupt] [--url URL] [--api-key KEY]
                    workflow [KEY=VALUE ...]

Submit one job per combination of the axes' values: each is the KEY=VALUE parameters (given right
after the workflow) with its axis values laid over them. Prints the sweep's id, follows the cells
live as a grid (. queued, > running, # finished, x failed, - cancelled), then prints the contact
sheet's URL. Values are typed as `studio submit` types them. Ctrl+C stops watching; on a terminal
it first asks whether to cancel the sweep's unfinished jobs. Exit status: 0 all finished, 1 any
failed, 2 cancelled, 130 interrupted.

positional arguments:
  workflow              workflow name, e.g. text_to_image (GET /api/workflows lists them)
  KEY=VALUE             parameters every cell shares

options:
  -h, --help            show this help message and exit
  --axis NAME=V1,V2,...
                        a parameter and the values it takes, e.g. cfg=4,6,8 or prompt='["a fox,
                        red", "a wolf"]' (a JSON list for values with commas); up to three: the
                        first down the rows, the second across
  --style NAME          apply the prompt style NAME to every cell (GET /api/styles lists them)
  --no-wait             print the sweep's id and return
  --json                print the sweep as JSON (as GET /api/sweeps/ID gives it) instead of its id
                        and contact sheet URL: at the end, or at once with --no-wait
  --cancel-on-interrupt
                        Ctrl+C cancels the sweep's unfinished jobs without asking
  --url URL             Studio's base URL (default http://127.0.0.1:8000)
  --api-key KEY         your API key, sent as 'Authorization: Bearer KEY' (default
                        $STUDIO_API_KEY); Studio asks for one once it has keys or listens beyond
                        this machine
"""


def _command(studio: Stack, *args: str) -> list[str]:
    return [sys.executable, "-m", "studio", "sweep", "--url", studio.url, *args]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "STUDIO_API_KEY"} | {"COLUMNS": "100"}


def sweep(studio: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_command(studio, *args), cwd=REPO, env=_env(), capture_output=True, text=True, timeout=120)


def test_a_3x3_sweep_fills_its_grid_and_prints_the_contact_sheet(single_stack: Stack) -> None:
    done = sweep(single_stack, "text_to_image", "prompt=a red fox", "--axis", "cfg=4,6,8", "--axis", "seed=1,2,3")
    assert done.returncode == 0, done.stderr
    sweep_id, sheet = done.stdout.splitlines()
    # Not a terminal: one line per change, from the sweep as Studio made it to every cell finished.
    lines = done.stderr.splitlines()
    assert all(re.fullmatch(r"[.>#]{3}\|[.>#]{3}\|[.>#]{3}  .+", line) for line in lines), lines
    assert lines[-1] == "###|###|###  9 finished"
    assert len(lines) >= 10 and any(">" in line for line in lines), "each cell was seen ending, one running"

    stored = single_stack.http.get(f"/api/sweeps/{sweep_id}").json()
    assert stored["state"] == "finished" and stored["counts"] == {"finished": 9}
    assert [cell["values"] for cell in stored["cells"][:4]] == [
        {"cfg": 4, "seed": 1}, {"cfg": 4, "seed": 2}, {"cfg": 4, "seed": 3}, {"cfg": 6, "seed": 1},
    ]
    assert sheet.startswith(f"{single_stack.url}/outputs/sweeps/{sweep_id}/")
    image = single_stack.http.get(sheet.removeprefix(single_stack.url))
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


def test_a_failed_cell_exits_1_and_says_which(single_stack: Stack) -> None:
    done = sweep(single_stack, "text_to_image", "--axis", f"prompt=a fox,{DEFAULT_FAIL_VALUE}")
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[-3:-1] == ["#|x  1 finished · 1 failed", "studio: 1 of 2 cells failed."]
    assert done.stderr.splitlines()[-1].startswith(f"  cell 1 (prompt={DEFAULT_FAIL_VALUE}): ")
    assert len(done.stdout.splitlines()) == 2  # the id and the contact sheet: a failed cell is marked on it


def test_no_wait_json_prints_the_sweep_as_made(single_stack: Stack) -> None:
    done = sweep(single_stack, "text_to_image", "prompt=a fox", "--axis", 'prompt=["a fox, red", "a wolf"]', "--no-wait", "--json")
    assert done.returncode == 0, done.stderr
    made = json.loads(done.stdout)
    assert [cell["values"] for cell in made["cells"]] == [{"prompt": "a fox, red"}, {"prompt": "a wolf"}]
    assert made["state"] == "running" and done.stderr == ""


def test_ctrl_c_with_cancel_on_interrupt_cancels_the_unfinished_cells(single_stack: Stack, double: ComfyDouble) -> None:
    double.settings.step_seconds = 0.5  # 10 s a job: the sweep is far from done when interrupted
    with subprocess.Popen(
        _command(single_stack, "text_to_image", "prompt=a fox", "--axis", "seed=1,2,3", "--cancel-on-interrupt"),
        cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        sweep_id = process.stdout.readline().strip()
        assert re.fullmatch(r"[.>]\|\.\|\.  .* queued\n", process.stderr.readline())  # watching: a cell running or about to
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 130
        assert process.stderr.read().splitlines()[-1] == f"studio: Cancelled the sweep {sweep_id}'s unfinished jobs."
    deadline = time.monotonic() + 30
    while (stored := single_stack.http.get(f"/api/sweeps/{sweep_id}").json())["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stored["state"] == "cancelled" and stored["counts"] == {"cancelled": 3}


def test_mistakes_in_axes_are_one_sentence_and_exit_2(single_stack: Stack) -> None:
    done = sweep(single_stack, "text_to_image", "prompt=a fox", "--axis", "cfg")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "studio: 'cfg' is not NAME=V1,V2,... (e.g. cfg=4,6,8 or prompt=[\"a fox, red\", \"a wolf\"]).\n"

    # Studio's refusal, in its words.
    done = sweep(single_stack, "text_to_image", "prompt=a fox", "--axis", "cgf=4,6")
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr.startswith("studio: ") and "cgf" in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr


def test_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "studio", "sweep", "--help"], cwd=REPO, env=_env(), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    assert done.stdout == HELP
