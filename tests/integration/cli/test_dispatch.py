"""The `studio` command as installed (pyproject's console script), run from any folder: one list of
every side's commands - the server's, the client's, the TUI's - each reaching the side that owns it."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

STUDIO = Path(sys.executable).parent / "studio"
COMMANDS = ["serve", "worker", "migrate", "keys", "workflows", "submit", "watch", "sweep", "tui"]


def run_studio(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STUDIO_", "PICCOLO_"))}
    return subprocess.run([str(STUDIO), *args], cwd=folder, env=env, capture_output=True, text=True, timeout=60)


def test_help_lists_every_sides_commands(tmp_path: Path) -> None:
    result = run_studio(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    assert re.findall(r"^    (\w+)\s{2,}\S", result.stdout, re.MULTILINE) == COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_its_help(tmp_path: Path, command: str) -> None:
    result = run_studio(tmp_path, command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: studio {command} ")


def test_a_missing_command_is_a_usage_error(tmp_path: Path) -> None:
    result = run_studio(tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == "studio: error: the following arguments are required: COMMAND"


def test_migrate_works_outside_the_repository(tmp_path: Path) -> None:
    """No piccolo_conf.py on the path there: Studio names its own to Piccolo's runner."""
    result = run_studio(tmp_path, "migrate", "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 0, result.stdout + result.stderr
    with sqlite3.connect(tmp_path / "data" / "studio.sqlite") as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"jobs", "uploads", "migration"} <= tables
