"""The database modules are configuration, not actions: importing them builds no engine, sets no
environment variable and creates no file; migrating leaves the environment as it found it."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from server.db.migrate import migrate
from tests.common.paths import REPO

DATABASE_MODULES = ("server.db.engine", "server.db.migrate", "server.db.piccolo_conf", "server.db.piccolo_app", "server.db.tables")


def test_importing_the_database_modules_changes_nothing(tmp_path: Path) -> None:
    script = (
        "import gc, importlib, json, os\n"
        "before = dict(os.environ)\n"
        f"for name in {DATABASE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "from piccolo.engine.base import Engine\n"
        "print(json.dumps({\n"
        "    'environment': sorted(set(os.environ.items()) ^ set(before.items())),\n"
        "    'engines': [repr(o) for o in gc.get_objects() if isinstance(o, Engine)],\n"
        "}))\n"
    )
    # In an empty folder without STUDIO_* variables: a default SQLite engine would be data/studio.sqlite here.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STUDIO_", "PICCOLO_"))}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout) == {"environment": [], "engines": []}
    assert list(tmp_path.iterdir()) == []


def test_migrating_leaves_the_environment_as_it_was(tmp_path: Path) -> None:
    before = dict(os.environ)
    asyncio.run(migrate(f"sqlite:///{tmp_path / 'studio.sqlite'}"))
    assert dict(os.environ) == before
    with sqlite3.connect(tmp_path / "studio.sqlite") as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"jobs", "uploads", "migration"} <= tables
