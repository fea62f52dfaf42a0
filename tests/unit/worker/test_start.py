"""A worker whose runtime cannot start says so and stops, instead of consuming messages it cannot run."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.common.paths import REPO
from tests.net import free_port

# In a process of its own: the runtime binds the database tables process-wide.
SCRIPT = textwrap.dedent(
    """
    import sys

    from server.config import load_settings
    from server.db.engine import bind
    from server.services import build_services
    from server.worker.runtime import WorkerRuntime, start_worker

    data, database, comfy = sys.argv[1:]
    settings = load_settings({}, {"data_dir": data, "database_url": database, "comfy_urls": [comfy]})
    bind(database)
    runtime = WorkerRuntime(build_services(settings), embedded=True)
    try:
        start_worker(runtime)
    except OSError as exc:
        print("raised:", type(exc).__name__)
    """
)


def test_a_runtime_that_cannot_start_raises_its_error_from_start_worker(tmp_path: Path) -> None:
    nobody = free_port()  # a PostgreSQL that is not there
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), f"postgres://studio@127.0.0.1:{nobody}/studio", f"http://127.0.0.1:{free_port()}"],
        cwd=REPO, capture_output=True, text=True, timeout=30,
    )
    # It exits by itself: no Dramatiq thread was left running a worker without lanes.
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "raised: ConnectionRefusedError", result.stderr[-3000:]
