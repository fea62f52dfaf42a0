"""SIGTERM stops Studio gracefully and loses no job; a database migrated by a newer Studio is refused."""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.comfyui_double.double import ComfyDouble
from tests.common.paths import REPO
from tests.integration.worker.stack import PRODUCTION_TIMINGS, Stack, StudioProcess, runs_of
from tests.integration.worker.test_cancel import SLOW, slow, wait_until
from tests.net import PrivateRedis, free_port, unused_url

NEWER = "2099-01-01T00:00:00:000000"


def terminate(process: StudioProcess) -> subprocess.Popen[bytes]:
    assert process.process is not None
    process.process.send_signal(signal.SIGTERM)
    return process.process


@pytest.mark.studio_env(PRODUCTION_TIMINGS)
def test_a_job_running_at_sigterm_finishes_after_the_restart(stack: Stack, double: ComfyDouble) -> None:
    slow(double)
    job = stack.submit(**SLOW)
    stack.wait(job["id"], {"processing"}, progress_at_least=31)
    runner = terminate(stack.worker or stack.api)
    assert runner.wait(timeout=30) is not None
    if stack.worker:  # the API still answers: the job is left as it was
        assert stack.job(job["id"])["status"] == "processing"
    stack.restart_worker()
    done = stack.wait(job["id"], timeout=60)
    assert done["status"] == "finished", done["error"]
    assert runs_of(double, job["id"]) == 1, "re-attached to its prompt, not run again"
    assert f"job {job['id']} is left running in ComfyUI" in stack.log.read_text()


def test_sigterm_closes_the_event_feed_with_1001(single_stack: Stack) -> None:
    with connect(f"ws://127.0.0.1:{single_stack.port}/ws/events", open_timeout=10) as feed:
        feed.recv(timeout=10)  # the snapshot: the feed is open
        runner = terminate(single_stack.api)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                feed.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    assert runner.wait(timeout=30) is not None


def test_an_in_flight_request_finishes_and_a_second_sigterm_exits_at_once(single_stack: Stack) -> None:
    body = b'{"workflow": "text_to_image", "params": {"prompt": "a red fox"}}'
    head = (
        f"POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1:{single_stack.port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", single_stack.port), timeout=10) as sock:
        sock.sendall(head + body[:10])
        time.sleep(0.5)  # the request has begun: its head is read
        runner = terminate(single_stack.api)
        time.sleep(1)
        assert runner.poll() is None, "Studio waits for the request in flight"
        sock.sendall(body[10:])
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 202 "), answer[:300]
    assert runner.wait(timeout=30) is not None
    # Again, with a request that never finishes: the second SIGTERM does not wait for it.
    single_stack.restart_worker()
    with socket.create_connection(("127.0.0.1", single_stack.port), timeout=10) as sock:
        sock.sendall(head + body[:10])
        time.sleep(0.5)
        runner = terminate(single_stack.api)
        time.sleep(1)
        assert runner.poll() is None
        stopped = time.monotonic()
        runner.send_signal(signal.SIGTERM)
        runner.wait(timeout=5)
    assert time.monotonic() - stopped < 3
    assert runner.returncode == 128 + signal.SIGTERM
    assert "second stop signal: exiting now" in single_stack.log.read_text()


def studio(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "studio", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


def test_a_database_migrated_by_a_newer_studio_is_refused(tmp_path: Path, session_redis: PrivateRedis) -> None:
    data = tmp_path / "data"
    with unused_url() as comfy_url:
        env = {"PATH": "/usr/bin:/bin", "STUDIO_DATA_DIR": str(data), "STUDIO_COMFY_URL": comfy_url}
        assert studio(["migrate"], env).returncode == 0
        database = data / "studio.sqlite"
        with sqlite3.connect(database) as db:
            db.execute("INSERT INTO migration (name, app_name, ran_on) VALUES (?, 'studio', CURRENT_TIMESTAMP)", (NEWER,))
        sentence = (
            f"studio: The database at sqlite:///{database} was migrated by a newer Studio (migration {NEWER}); "
            "run that version, or restore a backup.\n"
        )
        for args in (["migrate"], ["serve", "--port", str(free_port())], ["worker", "--redis-url", session_redis.url]):
            done = studio(args, env)
            assert (done.returncode, done.stderr) == (2, sentence), args
