"""Where the milliseconds of a job and of a submit go: py-spy samples of `studio serve`, or a timeline.

    .venv/bin/python bench/profiling/jobs.py [--phases job,submit] [--jobs 50] [--submits 2000] [--clients 32]
                                      [--timeline] [--out /tmp/studio-profile] [--py-spy PATH]

Starts the ComfyUI double and `studio serve` (single process: SQLite, in-memory broker) and runs:

- job:    --jobs zero-time jobs one at a time (POST /api/jobs, wait for its job.finished on
          one /ws/events socket); the double answers at once, so all that is left is Studio's own cost;
- submit: --submits POST /api/jobs from --clients concurrent clients, against a double that
          takes an hour per prompt: the worker holds its two slots and claims nothing more, so
          the samples are the submit path's.

Without --timeline, py-spy (installed outside the project: `python3 -m venv /tmp/tools &&
/tmp/tools/bin/pip install py-spy`) samples the server's GIL-holding thread during each phase;
the script prints those milliseconds per job (or submit) by the library that burned them (the
innermost known frame), by the step of Studio's that was running and by thread, and keeps the
raw stacks (open them in https://www.speedscope.app) in --out. With --timeline, the server runs under
bench/profiling/trace.py instead: the script prints each step's calls and wall milliseconds per
job, and the SQLite statements per job.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from websockets.sync.client import connect

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.comfyui_double.process import ComfyDoubleProcess  # noqa: E402
from tests.comfyui_double.settings import DoubleSettings  # noqa: E402
from tests.integration.worker.stack import Stack, StudioProcess  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
from submit import level  # noqa: E402  (bench/submit.py's lean keep-alive client)

MODELS = {"checkpoints": ["sd_xl_base_1.0.safetensors"]}
# Production timings, not the tests' fast recovery settings.
ENV = {"STUDIO_WORKFLOWS_DIR": str(REPO / "workflows"), "STUDIO_LEASE_SECONDS": "30", "STUDIO_RECOVERY_INTERVAL": "10"}

# A frame's file -> the library that burned the CPU (innermost frame with a known file wins).
LIBRARIES = [
    ("aiosqlite/", "aiosqlite threads (sqlite3 connect/execute/commit)"),
    ("piccolo/", "piccolo (query build, rows)"),
    ("asyncpg/", "asyncpg"),
    ("dramatiq/", "dramatiq"),
    ("h11/", "h11 (HTTP parsing)"),
    ("uvicorn/", "uvicorn"),
    ("litestar/", "litestar"),
    ("websockets/", "websockets (frames, permessage-deflate)"),
    ("httpx/", "httpx/httpcore (ComfyUI client)"),
    ("httpcore/", "httpx/httpcore (ComfyUI client)"),
    ("anyio/", "anyio (thread hand-offs)"),
    ("redis/", "redis"),
    ("PIL/", "PIL"),
    ("logging/", "logging"),
    ("asyncio/", "asyncio event loop"),
]
# Frames of Studio's code, by function and file: the step of a job it belongs to. The first rule
# found anywhere in the stack wins (py-spy cuts coroutine stacks short, so order is no guide).
STEPS = [
    ("create", "service.py", "submit: JobService.create"),
    ("run_message", "runtime.py", "worker: run_message (claim + run)"),
    ("_send_all", "bus.py", "events: bus sender + fan-out"),
    ("_write", "routes.py", "events: websocket writers"),
    ("events_socket", "routes.py", "events: /ws/events connect + snapshot"),
    ("job_socket", "routes.py", "events: /ws/jobs connect + snapshot"),
    ("_run", "session.py", "worker: ComfyUI socket reader"),
    ("_guard", "runner.py", "worker: lease/cancel guard"),
    ("__call__", "middleware.py", "http: access check (server/access)"),
]
# Outside Studio's steps: the layer the stack went through.
LAYERS = [
    ("litestar/", "http: litestar (routing, middleware, encoding)"),
    ("h11/", "http: h11 parsing"),
    ("uvicorn/", "http: uvicorn"),
    ("websockets/", "http: websockets protocol"),
    ("aiosqlite/", "database: aiosqlite connection threads"),
    ("dramatiq/", "dramatiq threads (worker loop callbacks, consumers)"),
    ("anyio/", "anyio worker threads"),
    ("asyncio/", "event loop callbacks (wake-ups, hand-offs)"),
]
# py-spy shows some of Studio's files by their bare name, like the standard library's.
STUDIO_FILES = {path.name for path in (REPO / "server").rglob("*.py")} - {"__init__.py"}


# --- the server ---------------------------------------------------------------------------


class TracedStudio(StudioProcess):
    """`studio` under bench/profiling/trace.py, writing its timeline to `timeline`."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, timeline: Path) -> None:
        super().__init__(args, env, log)
        self.timeline = timeline

    def start(self) -> TracedStudio:
        self.timeline.unlink(missing_ok=True)
        handle = self.log.open("ab")
        command = [sys.executable, str(REPO / "bench" / "profiling" / "trace.py"), str(self.timeline), *self.args]
        self.process = subprocess.Popen(command, cwd=REPO, env=self.env, stdout=handle, stderr=subprocess.STDOUT)
        return self


@contextmanager
def studio(tmp: Path, job_seconds: float, timeline: Path | None) -> Iterator[Stack]:
    double = ComfyDoubleProcess(DoubleSettings(models=MODELS, job_seconds=job_seconds), data_dir=tmp / "comfy")
    double.start()
    stack = Stack("single", tmp, double.url, f"sqlite:///{tmp / 'data' / 'studio.sqlite'}", None, ENV)
    if timeline is not None:
        stack.api = TracedStudio(stack.api.args, stack.env, stack.log, timeline)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        double.stop()


@contextmanager
def sampled(py_spy: str | None, pid: int, out: Path, rate: int) -> Iterator[None]:
    """py-spy samples the process while the block runs (nothing when py_spy is None)."""
    if py_spy is None:
        yield
        return
    command = [py_spy, "record", "--pid", str(pid), "--rate", str(rate), "--threads", "--gil", "--nonblocking", "--format", "raw", "-o", str(out)]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.5)  # attached and sampling
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        _, err = spy.communicate(timeout=60)
        if not out.exists():
            raise SystemExit(f"py-spy wrote nothing: {err.decode()[-2000:]}")


# --- the load -------------------------------------------------------------------------------


def one_at_a_time(stack: Stack, jobs: int) -> list[tuple[float, float]]:
    """(submitted, finished) unix times of each job, run one after the other, followed on one
    /ws/events socket held throughout (as a UI does)."""
    windows = []
    with connect(f"ws://127.0.0.1:{stack.port}/ws/events", open_timeout=10) as events:
        for seed in range(jobs):
            began = time.time()
            job_id = stack.submit(seed=20_000 + seed)["id"]
            while True:
                message = json.loads(events.recv(timeout=60))
                if message.get("job_id") == job_id and message["type"] in ("job.finished", "job.failed", "job.cancelled"):
                    break
            assert message["type"] == "job.finished", message
            windows.append((began, time.time()))
    return windows


# --- reading the samples --------------------------------------------------------------------


def read_stacks(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text().splitlines():
        frames, _, count = line.rpartition(" ")
        stacks.append((frames.split(";"), int(count)))
    return stacks


def frame_file(frame: str) -> str:
    """`create (server/jobs/service.py:93)` -> `server/jobs/service.py`."""
    match = re.search(r"\(([^()]*):\d+\)$", frame)
    return match.group(1) if match else ""


def is_studio(file: str) -> bool:
    return file.startswith("server/") or "/server/" in file or file in STUDIO_FILES


def library(frames: list[str]) -> str:
    for frame in reversed(frames):
        file = frame_file(frame)
        if is_studio(file):
            return "studio (server/)"
        if name := next((name for needle, name in LIBRARIES if needle in file), None):
            return name
    return "other (standard library, C extensions)"


def step(frames: list[str]) -> str:
    for function, file, title in STEPS:
        for frame in frames:
            name_of = frame.partition(" (")[0]  # py-spy names methods Class.method
            if name_of.rpartition(".")[2] == function and frame_file(frame).endswith(file) and is_studio(frame_file(frame)):
                return title
    stack = ";".join(frames)
    return next((name for needle, name in LAYERS if needle in stack), "other")


def thread_kind(frames: list[str]) -> str:
    """`thread (123): Thread-7 (_connection_worker_thread)` -> `Thread (_connection_worker_thread)`."""
    name = frames[0].partition(": ")[2] if frames else "?"
    return re.sub(r"-?\d+", "", name).strip() or "?"


def print_samples(path: Path, rate: int, per: int, unit: str) -> None:
    stacks = read_stacks(path)
    total = sum(count for _, count in stacks)
    by_library: Counter[str] = Counter()
    by_step: Counter[str] = Counter()
    by_thread: Counter[str] = Counter()
    for frames, count in stacks:
        by_library[library(frames[1:])] += count
        by_step[step(frames[1:])] += count
        by_thread[thread_kind(frames)] += count
    print(f"  {total} samples at {rate}/s = {total / rate * 1000 / per:.2f} ms holding the GIL per {unit} ({per} {unit}s)")
    for title, counts in (("by library (innermost frame)", by_library), ("by step", by_step), ("by thread", by_thread)):
        print(f"  {title}:")
        for name, count in counts.most_common():
            print(f"    {count / total:6.1%}  {count / rate * 1000 / per:7.3f} ms/{unit}  {name}")


# --- reading the timeline ---------------------------------------------------------------------


def read_timeline(path: Path) -> list[tuple[float, float, str, str, str]]:
    lines = []
    for raw in path.read_text().splitlines():
        start, took, thread, step, *detail = raw.split(" ", 4)
        lines.append((float(start), float(took), thread, step, detail[0] if detail else ""))
    return lines


def print_timeline(path: Path, windows: list[tuple[float, float]], unit: str) -> None:
    lines = read_timeline(path)
    if missing := [detail for _, _, _, step, detail in lines if step == "missing"]:
        print(f"  not timed (gone from the code): {', '.join(missing)}")
    calls: Counter[str] = Counter()
    wall: defaultdict[str, float] = defaultdict(float)
    statements: Counter[str] = Counter()
    first, last = windows[0][0], windows[-1][1]
    for start, took, _, step, detail in lines:
        if not first <= start <= last:
            continue
        if step == "sqlite.statement":
            statements[detail.split(" ")[0].upper()] += 1
        elif step == "run_querystring" or step.endswith(".run_querystring"):
            key = f"{step} {' '.join(detail.split(' ')[:3])}"
            calls[key] += 1
            wall[key] += took
        else:
            calls[step] += 1
            wall[step] += took
    count = len(windows)
    spans = [(end - began) * 1000 for began, end in windows]
    print(f"  {count} {unit}s, client-side wall p50 {statistics.median(spans):.2f} ms (timed, so slower than untimed)")
    print(f"  SQLite statements per {unit}: {sum(statements.values()) / count:.1f}: "
          + ", ".join(f"{kind} {n / count:.1f}" for kind, n in statements.most_common()))
    print(f"  steps (calls per {unit}, wall ms per {unit}; nested steps overlap):")
    for step, n in sorted(calls.items(), key=lambda item: -wall[item[0]]):
        print(f"    {n / count:5.1f}  {wall[step] / count:8.3f} ms  {step}")


def print_one(path: Path, window: tuple[float, float]) -> None:
    """Every timed line of one job, from its submit (ms), for reading the order of things."""
    began, ended = window
    print(f"  one job, {(ended - began) * 1000:.2f} ms from POST to job.finished received:")
    for start, took, thread, step, detail in read_timeline(path):
        if began <= start <= ended:
            print(f"    +{(start - began) * 1000:7.2f} {took:7.3f} ms  {thread[:22]:22} {step} {detail[:70]}")


# --- phases -----------------------------------------------------------------------------------


def job_phase(args: argparse.Namespace, tmp: Path) -> None:
    timeline = args.out / "job-timeline.txt" if args.timeline else None
    with studio(tmp / "job", 0, timeline) as stack:
        one_at_a_time(stack, 5)  # warm up: connections, caches, first socket
        samples = args.out / "job.raw.txt"
        with sampled(args.py_spy, stack.api.process.pid, samples, args.rate):
            windows = one_at_a_time(stack, args.jobs)
    spans = sorted((end - began) * 1000 for began, end in windows)
    print(f"job: {args.jobs} zero-time jobs one at a time, POST -> job.finished p50 {statistics.median(spans):.2f} ms")
    if timeline is not None:
        print_timeline(timeline, windows, "job")
        print_one(timeline, sorted(windows, key=lambda w: w[1] - w[0])[len(windows) // 2])
    else:
        print_samples(samples, args.rate, args.jobs, "job")


def submit_phase(args: argparse.Namespace, tmp: Path) -> None:
    timeline = args.out / "submit-timeline.txt" if args.timeline else None
    with studio(tmp / "submit", 3600, timeline) as stack:
        asyncio.run(level(stack.port, args.clients, 50))  # warm up
        samples = args.out / "submit.raw.txt"
        with sampled(args.py_spy, stack.api.process.pid, samples, args.rate):
            began = time.time()
            rate, latencies = asyncio.run(level(stack.port, args.clients, args.submits))
            ended = time.time()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
    print(
        f"submit: {len(latencies)} POST /api/jobs from {args.clients} clients: {rate:.0f}/s,"
        f" p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"
    )
    if timeline is not None:
        # One window for the whole burst: per-submit figures are the totals over the count.
        print_timeline(timeline, [(began, ended)], "burst")
        print(f"  (divide by {len(latencies)} for one submit)")
    else:
        print_samples(samples, args.rate, len(latencies), "submit")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phases", default="job,submit")
    parser.add_argument("--jobs", type=int, default=50, help="jobs run one at a time (job phase)")
    parser.add_argument("--submits", type=int, default=2000, help="submits in the burst (submit phase)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (submit phase)")
    parser.add_argument("--rate", type=int, default=500, help="py-spy samples per second")
    parser.add_argument("--timeline", action="store_true", help="time each step instead of sampling")
    parser.add_argument("--out", type=Path, default=Path("/tmp/studio-profile"), help="where the samples and timelines go")
    parser.add_argument("--py-spy", default=shutil.which("py-spy") or "/tmp/tools/bin/py-spy")
    args = parser.parse_args()
    if args.timeline:
        args.py_spy = None
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        for phase in args.phases.split(","):
            {"job": job_phase, "submit": submit_phase}[phase](args, Path(folder))


if __name__ == "__main__":
    main()
