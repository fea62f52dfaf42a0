"""The `piccolo` CLI, run in the repository as a developer does (`piccolo migrations ...`), works on
the database `studio` itself uses: STUDIO_DATABASE_URL, else the SQLite file in STUDIO_DATA_DIR."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.common.paths import REPO

MIGRATIONS = sorted(path for path in (REPO / "server" / "db" / "migrations").glob("studio_*.py"))


def piccolo(*args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STUDIO_", "PICCOLO_"))}
    return subprocess.run(
        [str(Path(sys.executable).parent / "piccolo"), *args],
        cwd=REPO, env={**env, **variables}, capture_output=True, text=True, timeout=120,
    )


def migrations_ran(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT count(*) FROM migration WHERE app_name = 'studio'").fetchone()[0]


def test_piccolo_migrates_the_database_named_by_its_url(tmp_path: Path) -> None:
    database = tmp_path / "studio.sqlite"
    url = f"sqlite:///{database}"
    forwards = piccolo("migrations", "forwards", "studio", STUDIO_DATABASE_URL=url)
    assert forwards.returncode == 0, forwards.stdout + forwards.stderr
    assert len(MIGRATIONS) >= 4 and migrations_ran(database) == len(MIGRATIONS)
    check = piccolo("migrations", "check", STUDIO_DATABASE_URL=url)
    assert check.returncode == 0, check.stdout + check.stderr
    listed = [line for line in check.stdout.splitlines() if line.startswith("studio ")]
    assert len(listed) == len(MIGRATIONS) and all(line.rstrip().endswith("| True") for line in listed), check.stdout


def test_piccolo_finds_the_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    forwards = piccolo("migrations", "forwards", "studio", STUDIO_DATA_DIR=str(tmp_path))
    assert forwards.returncode == 0, forwards.stdout + forwards.stderr
    assert migrations_ran(tmp_path / "studio.sqlite") == len(MIGRATIONS)
