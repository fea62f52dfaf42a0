"""Start-up as a user meets it: `studio serve | worker | migrate` as real processes.

A problem is one sentence on stderr and exit code 2, never a traceback; a second Studio on a taken
port stops before it touches anything; an API host says where its models come from.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.config import FLAGS
from tests.comfyui_double.double import ComfyDouble
from tests.common.paths import REPO
from tests.common.stacks import MODELS
from tests.integration.events.scaled import redis_ready
from tests.net import free_port, reserved_port, wait_until_healthy


def environment(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    return {**env, **variables}


def studio(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        cwd=REPO, env=env or environment(), capture_output=True, text=True, timeout=timeout,
    )


def assert_one_sentence(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit code 2 and one line on stderr that names the problem and the fix; no traceback."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("studio: ") and lines[0].endswith("."), result.stderr
    for word in words:
        assert word in lines[0]


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port where nothing answers: a PostgreSQL or Redis that is down."""
    with reserved_port() as port:
        yield port


def serve_args(tmp_path: Path, comfy_url: str, *more: str) -> list[str]:
    """`studio serve` on a free port, never the default one, and a ComfyUI that is not the user's."""
    return ["serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "data"), "--comfy-url", comfy_url, *more]


# --- a second Studio on a taken port ---------------------------------------------------------------


def test_a_second_serve_on_a_taken_port_stops_at_once_and_touches_nothing(tmp_path: Path, double: ComfyDouble) -> None:
    port = free_port()
    first_args = ["serve", "--port", str(port), "--data-dir", str(tmp_path / "first"), "--comfy-url", double.url]
    with (tmp_path / "first.log").open("wb") as log:
        first = subprocess.Popen([sys.executable, "-m", "studio", *first_args], cwd=REPO, env=environment(), stdout=log, stderr=log)
    try:
        assert wait_until_healthy(f"http://127.0.0.1:{port}"), (tmp_path / "first.log").read_text()
        deadline = time.monotonic() + 15
        while not double.websocket_clients and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(double.websocket_clients) == 1  # the first Studio's lane

        started = time.monotonic()
        second_data = tmp_path / "second"
        second = studio("serve", "--port", str(port), "--data-dir", str(second_data), "--comfy-url", double.url)
        took = time.monotonic() - started

        assert_one_sentence(second)
        assert second.stderr.strip() == (
            f"studio: 127.0.0.1:{port} is already in use (another Studio?); choose another with --port or STUDIO_PORT."
        )
        assert took < 10
        assert not second_data.exists()  # no migration, no database, no outputs folder
        assert len(double.websocket_clients) == 1  # no socket that would take over the first one's client id
        assert httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
    finally:
        first.terminate()
        first.wait(timeout=15)


# --- one sentence for every start-up problem -------------------------------------------------------


@pytest.mark.parametrize("command", ["serve", "worker", "migrate"])
def test_a_data_dir_that_is_a_file(command: str, tmp_path: Path, comfy_url: str, closed_port: int) -> None:
    data = tmp_path / "data"
    data.write_text("not a folder")
    args = {
        "serve": serve_args(tmp_path, comfy_url),
        "worker": ["worker", "--comfy-url", comfy_url, "--redis-url", f"redis://127.0.0.1:{closed_port}/0"],
        "migrate": ["migrate"],
    }[command]
    result = studio(*args, "--data-dir", str(data))
    assert_one_sentence(result, f"The data dir {data} is a file, not a folder", "set STUDIO_DATA_DIR / --data-dir")


def test_a_data_dir_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "volume").write_text("a file where a folder should be")
    data = tmp_path / "volume" / "data"
    result = studio("migrate", "--data-dir", str(data))
    assert_one_sentence(result, f"The data dir {data} is not usable (Not a directory)", "set STUDIO_DATA_DIR / --data-dir")


@pytest.mark.parametrize("command", ["serve", "worker", "migrate"])
def test_an_unreachable_postgresql(command: str, tmp_path: Path, comfy_url: str, closed_port: int) -> None:
    database = f"postgres://studio:secret@127.0.0.1:{closed_port}/studio"
    args = {
        "serve": serve_args(tmp_path, comfy_url),
        "worker": ["worker", "--comfy-url", comfy_url, "--data-dir", str(tmp_path / "data")],
        "migrate": ["migrate"],
    }[command]
    env = environment(STUDIO_REDIS_URL=redis_ready()) if command == "worker" else None
    result = studio(*args, "--database-url", database, env=env)
    assert_one_sentence(
        result,
        f"PostgreSQL at postgres://studio:***@127.0.0.1:{closed_port}/studio does not answer (Connection refused)",
        "start it or fix STUDIO_DATABASE_URL / --database-url",
    )
    assert "secret" not in result.stderr


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_an_unreachable_redis(command: str, tmp_path: Path, comfy_url: str, closed_port: int) -> None:
    args = {"serve": serve_args(tmp_path, comfy_url, "--no-worker"), "worker": ["worker", "--comfy-url", comfy_url]}[command]
    redis_url = f"redis://127.0.0.1:{closed_port}/0"
    result = studio(*args, "--data-dir", str(tmp_path / "data"), "--redis-url", redis_url)
    assert_one_sentence(
        result, f"Redis at {redis_url} does not answer (Connection refused)", "start it or fix STUDIO_REDIS_URL / --redis-url"
    )


def test_an_unresolvable_host(tmp_path: Path, comfy_url: str) -> None:
    result = studio(*serve_args(tmp_path, comfy_url, "--host", "nosuchhost.invalid"))
    assert_one_sentence(result, "Cannot listen on 'nosuchhost.invalid': no such host", "set STUDIO_HOST / --host")
    assert not (tmp_path / "data").exists()


def test_a_bad_setting_names_no_flag_the_command_lacks(tmp_path: Path) -> None:
    result = studio("migrate", "--data-dir", str(tmp_path), env=environment(STUDIO_PORT="eighty"))
    assert_one_sentence(result)
    assert result.stderr.strip() == "studio: Invalid setting STUDIO_PORT: 'eighty' is not valid (expected int, got str)."


# --- --help lists what each command uses -----------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "flags"),
    [
        ("serve", {*FLAGS.values(), "--no-worker", "--insecure-open"}),
        ("worker", {"--data-dir", "--database-url", "--redis-url", "--comfy-url", "--workflows-dir"}),
        ("migrate", {"--data-dir", "--database-url"}),
    ],
)
def test_help_lists_only_the_flags_a_command_uses(command: str, flags: set[str]) -> None:
    result = studio(command, "--help")
    assert result.returncode == 0
    assert set(re.findall(r"(--[a-z][a-z-]+)", result.stdout)) == {"--help", *flags}


# --- scaled out: the API host's models ----------------------------------------------------------------


def test_an_api_host_takes_models_from_its_comfy_url_and_says_so(tmp_path: Path, double: ComfyDouble) -> None:
    """The README's recipe: `studio serve --no-worker` with STUDIO_COMFY_URL naming the GPU hosts' ComfyUI."""
    port = free_port()
    env = environment(STUDIO_REDIS_URL=redis_ready(), STUDIO_COMFY_URL=double.url, STUDIO_DATA_DIR=str(tmp_path / "data"))
    log = tmp_path / "api.log"
    with log.open("wb") as handle:
        api = subprocess.Popen(
            [sys.executable, "-m", "studio", "serve", "--no-worker", "--port", str(port)],
            cwd=REPO, env=env, stdout=handle, stderr=handle,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        assert wait_until_healthy(url), log.read_text()
        database = f"sqlite:///{tmp_path / 'data' / 'studio.sqlite'}"
        assert log.read_text().splitlines()[0] == (
            f"Studio on {url} (database {database}; models from ComfyUI at {double.url}; jobs run by `studio worker` processes)"
        )
        assert httpx.get(f"{url}/api/models").json()["models"] == sorted(MODELS["checkpoints"])
        refused = httpx.post(f"{url}/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": "x", "model": "sd15.safetensors"}})
        assert refused.status_code == 400 and "sd_xl_base_1.0.safetensors" in refused.text
    finally:
        api.terminate()
        api.wait(timeout=15)
