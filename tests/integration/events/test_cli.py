"""`studio submit` and `studio watch` as users run them, against a real API host."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.common.paths import REPO
from tests.integration.events.scaled import Api, job_json, publisher


def studio(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "studio", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def watch(api: Api, job_id: str) -> tuple[subprocess.Popen[str], str]:
    """Start `studio watch`; returns once it printed its snapshot line (also returned), so the
    events published next cannot race its connection."""
    process = subprocess.Popen(
        [sys.executable, "-m", "studio", "watch", job_id, "--url", api.url],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    return process, process.stderr.readline().rstrip("\n")


def test_submit_prints_the_id_and_reads_values_as_json_or_text(api: Api) -> None:
    result = studio("submit", "text_to_image", "prompt=a red fox", "steps=30", "cfg=6.5", "--url", api.url)
    assert result.returncode == 0, result.stderr
    job_id = result.stdout.strip()
    job = api.job(job_id)
    assert (job["prompt"], job["steps"], job["cfg"]) == ("a red fox", 30, 6.5)


@pytest.mark.parametrize(
    ("outcome", "code", "expected"),
    [
        ("finished", 0, "/outputs/{id}/fox_00001_.png"),
        ("failed", 1, "Job {id} failed: ComfyUI ran out of memory on node 3 (KSampler)."),
        ("cancelled", 2, "Job {id} was cancelled."),
    ],
)
def test_watch_shows_progress_and_exits_with_the_outcome(api: Api, env: dict[str, str], outcome: str, code: int, expected: str) -> None:
    job = api.submit()
    watcher, first_line = watch(api, job["id"])
    worker = publisher(env, "run", job_json(job), outcome)
    stdout, stderr = watcher.communicate(timeout=60)
    assert worker.wait(timeout=30) == 0
    assert watcher.returncode == code, stderr
    lines = [first_line, *stderr.splitlines()]
    # Not a terminal: one line per change, from the snapshot to the last progress.
    assert lines[0] == "queued 0%" and "processing 10%" in lines
    steps = [line for line in lines if line.startswith("processing") and "KSampler" in line]  # an outcome may supersede the last
    assert len(steps) >= 5 and steps == sorted(steps, key=lambda line: int(line.split()[1].rstrip("%")))
    assert expected.format(id=job["id"]) in (stdout if outcome == "finished" else stderr)
    if outcome == "finished":
        assert stdout.strip().partition("?")[0] == f"{api.url}/outputs/{job['id']}/fox_00001_.png"  # signed by the API


def test_watch_of_a_job_already_done_returns_at_once(api: Api) -> None:
    job = api.submit()
    api.cancel(job["id"])
    result = studio("watch", job["id"], "--url", api.url, timeout=20)
    assert result.returncode == 2 and f"Job {job['id']} was cancelled." in result.stderr


def test_errors_are_one_sentence_with_the_right_exit_status(api: Api) -> None:
    refused = studio("submit", "text_to_image", "steps=500", "--url", api.url)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith("studio: params.prompt: required") or "must be at most 150" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    unknown = studio("watch", "5b0c0000-0000-4000-8000-000000000000", "--url", api.url)
    assert unknown.returncode == 2 and unknown.stderr.strip() == "studio: No job with id 5b0c0000-0000-4000-8000-000000000000."

    bad_pair = studio("submit", "text_to_image", "prompt", "--url", api.url)
    assert bad_pair.returncode == 2 and "'prompt' is not KEY=VALUE" in bad_pair.stderr


def test_an_unreachable_studio_is_one_sentence(unused_url: str) -> None:
    result = studio("submit", "text_to_image", "prompt=fox", "--url", unused_url)
    assert result.returncode == 1 and result.stderr.startswith(f"studio: Could not reach Studio at {unused_url}")
    result = studio("watch", "5b0c0000-0000-4000-8000-000000000000", "--url", unused_url)
    assert result.returncode == 1 and result.stderr.startswith(f"studio: Could not reach Studio at {unused_url}")


def test_help_describes_both_commands() -> None:
    for command in ("submit", "watch"):
        result = studio(command, "--help")
        assert result.returncode == 0 and "--url" in result.stdout
