"""The Makefile targets a user runs by hand do what their names say, and nothing more."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _make(folder: Path, target: str, answer: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", target], cwd=folder, input=answer, capture_output=True, text=True, timeout=30
    )


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The Makefile beside a data folder holding a database and an output, as a user has it."""
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    (tmp_path / "data" / "outputs" / "job").mkdir(parents=True)
    (tmp_path / "data" / "studio.sqlite").write_bytes(b"jobs")
    (tmp_path / "data" / "outputs" / "job" / "fox.png").write_bytes(b"png")
    (tmp_path / ".venv").mkdir()
    return tmp_path


def test_clean_removes_the_virtualenv_but_never_the_data(checkout: Path) -> None:
    assert _make(checkout, "clean").returncode == 0
    assert not (checkout / ".venv").exists()
    assert (checkout / "data" / "studio.sqlite").read_bytes() == b"jobs"
    assert (checkout / "data" / "outputs" / "job" / "fox.png").exists()


def test_delete_data_asks_first_and_keeps_everything_unless_told_yes(checkout: Path) -> None:
    refused = _make(checkout, "delete-data", answer="no\n")
    assert refused.returncode != 0
    assert "Nothing deleted" in refused.stdout
    assert (checkout / "data" / "studio.sqlite").exists()

    assert _make(checkout, "delete-data", answer="yes\n").returncode == 0
    assert not (checkout / "data").exists()


def test_bench_runs_every_bench_script() -> None:
    planned = subprocess.run(
        ["make", "-n", "--no-print-directory", "bench"], cwd=REPO, capture_output=True, text=True, timeout=30
    ).stdout
    scripts = sorted(path.name for path in (REPO / "bench").glob("*.py"))
    assert scripts, "bench/ holds the benchmark scripts"
    for script in scripts:
        assert f"bench/{script}" in planned, f"make bench does not run bench/{script}"
