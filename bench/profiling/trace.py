"""Runs `studio` with a timeline: every SQLite statement and the wall time of each step of a job.

    python bench/profiling/trace.py TIMELINE_FILE serve      (cwd: the repository; bench/profiling/jobs.py starts it)

Wraps, before Studio starts, the steps named in STEPS (those that no longer exist are skipped
and listed in the file) and sqlite3.connect, so each statement is traced. Each line of the file:
`start_unix_time duration_ms thread step detail`. Instrumentation costs time: read the
timeline for counts and for the order and share of the steps, and take CPU shares from py-spy.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import runpy
import sqlite3
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

# (module, attribute): the steps of a submit and of a job's run, in the order they happen.
STEPS = [
    ("server.jobs.service", "JobService.create"),
    ("server.uploads.repository", "existing_names"),
    ("server.access.limits", "admit_job"),
    ("server.jobs.repository", "insert"),
    ("server.jobs.repository", "get"),
    ("server.events.bus", "EventBus.flush"),
    ("server.worker.broker", "JobQueue.enqueue"),
    ("server.worker.broker", "JobQueue.send"),
    ("server.jobs.transitions", "mark_enqueued"),
    ("server.worker.runtime", "WorkerRuntime.run_message"),
    ("server.jobs.transitions", "claim_next"),
    ("server.worker.runner", "JobRunner.run"),
    ("server.jobs.transitions", "set_progress"),
    ("server.comfy.session", "ComfySession.submit"),
    ("server.worker.runner", "JobRunner._follow"),
    ("server.comfy.http", "ComfyClient.history"),
    ("server.worker.runner", "collect_outputs"),
    ("server.comfy.http", "ComfyClient.view"),
    ("server.storage", "LocalStorage.write"),
    ("server.jobs.transitions", "finish"),
    ("server.jobs.transitions", "cancel_requested"),
    ("server.jobs.transitions", "renew_lease"),
    ("server.events.bus", "EventBus.publish"),
    ("server.events.bus", "EventBus._send"),
    ("server.events.fanout", "Fanout.dispatch"),
    ("litestar.connection.websocket", "WebSocket.send_text"),
    ("piccolo.engine.sqlite", "SQLiteEngine.run_querystring"),
    ("piccolo.engine.postgres", "PostgresEngine.run_querystring"),
]

_fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)


def _line(start: float, took: float, step: str, detail: str = "") -> None:
    # One write per line (O_APPEND): lines from several threads never interleave.
    detail = " ".join(detail.split())[:120]
    os.write(_fd, f"{start:.6f} {took * 1000:.3f} {threading.current_thread().name.replace(' ', '_')} {step} {detail}\n".encode())


def _detail(step: str, args: tuple) -> str:
    if step.endswith("run_querystring") and len(args) > 1:
        return str(args[1])
    if step.startswith("EventBus.") and len(args) > 1:
        return type(args[1]).__name__
    return ""


def _timed(step: str, original):
    if inspect.iscoroutinefunction(original):

        @functools.wraps(original)
        async def timed_async(*args, **kwargs):
            began = time.time()
            try:
                return await original(*args, **kwargs)
            finally:
                _line(began, time.time() - began, step, _detail(step, args))

        return timed_async

    @functools.wraps(original)
    def timed(*args, **kwargs):
        began = time.time()
        try:
            return original(*args, **kwargs)
        finally:
            _line(began, time.time() - began, step, _detail(step, args))

    return timed


def _install() -> None:
    for module_name, attribute in STEPS:
        owner = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part, None)
        if owner is None or not hasattr(owner, name):
            _line(time.time(), 0, "missing", f"{module_name}:{attribute}")
            continue
        setattr(owner, name, _timed(attribute, getattr(owner, name)))

    connect = sqlite3.connect

    def traced_connect(*args, **kwargs):
        began = time.time()
        connection = connect(*args, **kwargs)
        _line(began, time.time() - began, "sqlite.connect")
        connection.set_trace_callback(lambda statement: _line(time.time(), 0, "sqlite.statement", statement))
        return connection

    sqlite3.connect = traced_connect


if __name__ == "__main__":
    _install()
    sys.argv = ["studio", *sys.argv[2:]]
    runpy.run_module("studio", run_name="__main__", alter_sys=True)
