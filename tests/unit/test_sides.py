"""Studio's sides stay apart: the server loads neither the client nor the TUI, and they load neither
its database nor its worker (from the server they take only the wire types, its schema modules).
Only the `studio` command (studio/cli.py) puts the three together, and reading its command line
loads none of the heavy parts: each side imports those when one of its commands runs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.common.paths import REPO

# What only the server runs on: its databases and its job queue.
DATABASE_AND_WORKER = {"piccolo", "asyncpg", "aiosqlite", "dramatiq", "redis"}
# The server's client of ComfyUI (httpx calls, one socket per lane).
COMFYUI_CLIENT = {"server.comfy.http", "server.comfy.session"}
# What each command loads only when it runs: the API server, the terminal UI.
RUNNING = {"uvicorn", "textual", "textual_image", *DATABASE_AND_WORKER}

LOAD = """
import importlib, pkgutil, sys
for name in sys.argv[1:]:
    module = importlib.import_module(name)
    for found in pkgutil.walk_packages(getattr(module, "__path__", []), name + "."):
        importlib.import_module(found.name)
print(" ".join(sys.modules))
"""


def loaded_modules(*modules: str) -> set[str]:
    """The modules Python holds after importing `modules` and every module below them."""
    result = subprocess.run(
        [sys.executable, "-c", LOAD, *modules],
        cwd=REPO, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return set(result.stdout.split())


def loaded_packages(*modules: str) -> set[str]:
    """The top-level packages Python holds after importing `modules` and every module below them."""
    return {name.partition(".")[0] for name in loaded_modules(*modules)}


def test_the_server_loads_neither_the_client_nor_the_tui() -> None:
    loaded = loaded_packages("server")
    assert "piccolo" in loaded, "every module of the server was imported"
    assert loaded & {"client", "tui"} == set()


@pytest.mark.parametrize("package", ["client", "tui"])
def test_a_client_loads_neither_the_database_nor_the_worker(package: str) -> None:
    assert loaded_packages(package) & DATABASE_AND_WORKER == set()


@pytest.mark.parametrize("package", ["client", "tui"])
def test_a_client_reads_failures_without_loading_the_comfyui_client(package: str) -> None:
    """A rejected job's node errors are ComfyUI's shape, worded as the server words them; the
    client and the TUI read them without Studio's HTTP and socket client of ComfyUI."""
    loaded = loaded_modules(package)
    assert "server.comfy.node_errors" in loaded, "the job's failures were imported"
    assert loaded & COMFYUI_CLIENT == set()


def test_reading_the_command_line_loads_nothing_a_command_runs_on() -> None:
    loaded = loaded_packages("studio.cli", "server.cli", "client.cli", "tui.cli")
    assert loaded & RUNNING == set()
