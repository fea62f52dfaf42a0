"""Jobs is the base layer: the events and worker packages build on it, never the other way round."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.common.paths import REPO

JOBS = REPO / "server" / "jobs"
ABOVE_JOBS = ("server.events", "server.worker")


def imported_modules(path: Path) -> list[str]:
    """Every module a file imports, anywhere in it (TYPE_CHECKING blocks and functions included)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from server import events` imports server.events too.
            names += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    return names


def is_above_jobs(module: str) -> bool:
    return any(module == package or module.startswith(package + ".") for package in ABOVE_JOBS)


def test_no_module_of_the_jobs_package_imports_events_or_worker() -> None:
    files = sorted(JOBS.rglob("*.py"))
    assert len(files) > 5, "the jobs package's modules are found"
    offenders = {
        str(path.relative_to(REPO)): found
        for path in files
        if (found := sorted({name for name in imported_modules(path) if is_above_jobs(name)}))
    }
    assert offenders == {}


def test_importing_the_jobs_package_loads_neither_events_nor_worker() -> None:
    """Not even through another package: the service's other dependencies stay below it too."""
    script = (
        "import importlib, pkgutil, sys, server.jobs\n"
        "for module in pkgutil.iter_modules(server.jobs.__path__):\n"
        "    importlib.import_module('server.jobs.' + module.name)\n"
        f"print(sorted(name for name in sys.modules if name.startswith({ABOVE_JOBS!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "[]"


def test_the_job_runner_takes_the_queue_and_the_events_through_ports() -> None:
    """A runner publishes job events and previews and never touches the queue: it names what it
    needs as protocols, whatever bus and broker the worker runtime built (services.py)."""
    runner = REPO / "server" / "worker" / "runner.py"
    concrete = {"server.events.bus", "server.worker.broker"}
    assert "server.jobs.ports" in imported_modules(runner)
    assert set(imported_modules(runner)) & concrete == set()
