"""Studio's overhead in front of ComfyUI: added latency per job, and GPU utilisation.

    .venv/bin/python bench/pipeline.py [--job-seconds 0.2] [--latency-jobs 30] [--jobs 200] [--modes single,scaled]

Starts the ComfyUI double in its own process (each prompt takes --job-seconds) and measures:

(a) added latency: the same text_to_image job run one at a time by a bare client (submit,
    follow the socket, fetch the image through /view) and through Studio (POST /api/jobs, wait
    for its job.finished on a /ws/events socket held throughout, as the bare client holds its
    ComfyUI socket), a bare job and a Studio job in turn so both see the same load on a shared
    machine; Studio's p50 and p99 minus the bare client's;
(b) a burst: --jobs jobs submitted at once (back to back, then waited for together), by the bare
    client straight to ComfyUI and through Studio, one after the other: ms per job (makespan /
    jobs) of each and their ratio; and ComfyUI's utilisation under Studio: its busy time
    (execution_start to execution_success of every prompt, from its /history) divided by the
    makespan (first submit to last job.finished). `--job-seconds 0` makes every prompt take no time: what
    remains is the bookkeeping of ComfyUI, the client and Studio. And the CPU each kind of
    process used during Studio's burst, per job (from /proc): whether the cores were the limit.

Modes: single (`studio serve`, SQLite, in-memory broker) and scaled (`studio serve --no-worker`
+ `studio worker`, PostgreSQL and Redis on 127.0.0.1). Loopback only; every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import httpx
import redis
from websockets.sync.client import ClientConnection, connect

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from server.comfy import ComfyClient, ComfySession, PromptFollower, Succeeded  # noqa: E402
from server.workflows.loader import load_workflow  # noqa: E402
from server.workflows.params import fill_graph, resolve  # noqa: E402
from tests.comfyui_double.process import ComfyDoubleProcess  # noqa: E402
from tests.comfyui_double.settings import DoubleSettings  # noqa: E402
from tests.integration.worker.stack import Stack  # noqa: E402

MODELS = {"checkpoints": ["sd_xl_base_1.0.safetensors"]}
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/14"
DEADLINE_SECONDS = 900


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# --- (a) and (b) the bare client ----------------------------------------------------------


class BareClient:
    """A client of ComfyUI itself, one socket held throughout, on a loop of its own (an
    asyncio.Runner) so that its jobs can alternate with Studio's: both see the same load on a
    shared machine."""

    def __init__(self, comfy_url: str) -> None:
        self.workflow = load_workflow(REPO / "workflows" / "text_to_image")
        self.client = ComfyClient(comfy_url)
        self.session = ComfySession(self.client)
        self.seed = 10_000

    async def open(self) -> None:
        await self.session.start()
        await self.session.wait_connected(10)

    async def close(self) -> None:
        await self.session.close()
        await self.client.aclose()

    async def run(self, jobs: int) -> float:
        """Seconds from the first submit until all `jobs` prompts, submitted at once, are done
        and their images fetched."""
        graphs = [self._graph() for _ in range(jobs)]
        began = time.perf_counter()
        followers = [await self.session.submit(graph) for graph in graphs]
        await asyncio.gather(*(self._fetched(follower) for follower in followers))
        return time.perf_counter() - began

    def _graph(self) -> dict:
        self.seed += 1
        values, _ = resolve(self.workflow, {"prompt": "a red fox", "seed": self.seed})
        return fill_graph(self.workflow, values.values)

    async def _fetched(self, follower: PromptFollower) -> None:
        outcome = await asyncio.wait_for(follower.outcome(), DEADLINE_SECONDS)
        assert isinstance(outcome, Succeeded), outcome
        for image in outcome.images:
            await self.client.view(image.filename, image.subfolder, image.type)


# --- (a) and (b) through Studio ------------------------------------------------------------


def latencies(stack: Stack, bare: BareClient, runner: asyncio.Runner, jobs: int) -> tuple[list[float], list[float]]:
    """Seconds per job, one job at a time, the bare client's and Studio's in turn. Studio's
    client holds one socket too: /ws/events, where job.finished comes."""
    bare_times, studio_times = [], []
    with connect(f"ws://127.0.0.1:{stack.port}/ws/events", open_timeout=10) as events:
        for seed in range(jobs):
            bare_times.append(runner.run(bare.run(1)))
            began = time.perf_counter()
            job_id = stack.submit(seed=20_000 + seed)["id"]
            wait_for_ends(events, {job_id})
            studio_times.append(time.perf_counter() - began)
    return bare_times, studio_times


def wait_for_ends(events: ClientConnection, ids: set[str]) -> None:
    """Read /ws/events until every job of `ids` finished (any other end fails the bench)."""
    finished: set[str] = set()
    deadline = time.monotonic() + DEADLINE_SECONDS
    while finished != ids:
        message = json.loads(events.recv(timeout=max(1.0, deadline - time.monotonic())))
        if message["type"] in ("job.finished", "job.failed", "job.cancelled") and message["job_id"] in ids:
            assert message["type"] == "job.finished", message
            finished.add(message["job_id"])


def utilisation(stack: Stack, comfy_url: str, jobs: int) -> tuple[float, float, float]:
    """(busy seconds, makespan seconds, busy / makespan) for `jobs` jobs submitted at once."""
    history_before = set(httpx.get(f"{comfy_url}/history", timeout=30).json())
    with connect(f"ws://127.0.0.1:{stack.port}/ws/events", open_timeout=10) as events:
        began = time.perf_counter()
        wait_for_ends(events, {stack.submit(seed=30_000 + i)["id"] for i in range(jobs)})
        makespan = time.perf_counter() - began
    history = httpx.get(f"{comfy_url}/history", timeout=30).json()
    busy_ms = 0.0
    for prompt_id, entry in history.items():
        if prompt_id in history_before:
            continue
        stamps = {kind: data["timestamp"] for kind, data in entry["status"]["messages"] if "timestamp" in data}
        busy_ms += stamps["execution_success"] - stamps["execution_start"]
    return busy_ms / 1000, makespan, busy_ms / 1000 / makespan


def cpu_seconds() -> Counter[str]:
    """CPU seconds (user + system) the processes on this machine have used so far, by role: is a
    burst limited by ComfyUI, by Studio, or by the cores they share?"""
    used: Counter[str] = Counter()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # gone meanwhile
        role = next((name for name, marker in ROLES if marker in command), "other")
        used[role] += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return used


ROLES = [("ComfyUI double", "comfyui_double"), ("Studio", "-m studio"), ("PostgreSQL", "postgres"), ("Redis", "redis-server")]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- modes ---------------------------------------------------------------------------------


async def scratch_postgres() -> tuple[str, str]:
    name = f"studio_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    return name, POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"


async def drop_postgres(name: str) -> None:
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@contextmanager
def bench_stack(mode: str, comfy_url: str, *, with_worker: bool = True) -> Iterator[Stack]:
    """Studio started in `mode` in front of `comfy_url`, with production timings, on a scratch
    database (scaled: a PostgreSQL database of its own and Redis db 14 flushed), gone afterwards.
    Scaled without a worker, jobs wait in the queue."""
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        scratch = None
        if mode == "scaled":
            redis.Redis.from_url(REDIS_URL).flushdb()
            scratch, database_url = asyncio.run(scratch_postgres())
            asyncio.run(_migrate(database_url))
        else:
            database_url = f"sqlite:///{tmp / 'data' / 'studio.sqlite'}"
        # Production timings, not the tests' fast recovery settings.
        env = {"STUDIO_WORKFLOWS_DIR": str(REPO / "workflows"), "STUDIO_LEASE_SECONDS": "30", "STUDIO_RECOVERY_INTERVAL": "10"}
        stack = Stack(mode, tmp, comfy_url, database_url, REDIS_URL, env)
        if not with_worker:
            stack.worker = None
        stack.start()
        try:
            yield stack
        finally:
            stack.stop()
            if scratch:
                asyncio.run(drop_postgres(scratch))


def run_mode(mode: str, comfy_url: str, args: argparse.Namespace, bare: BareClient, runner: asyncio.Runner) -> None:
    with bench_stack(mode, comfy_url) as stack:
        latencies(stack, bare, runner, 3)  # warm up: connections, caches, first socket
        bare_times, studio = latencies(stack, bare, runner, args.latency_jobs)
        bare_burst = runner.run(bare.run(args.jobs))
        before = cpu_seconds()
        busy, makespan, ratio = utilisation(stack, comfy_url, args.jobs)
        cpu = cpu_seconds() - before
    bare_p50, bare_p99 = percentile(bare_times, 0.5) * 1000, percentile(bare_times, 0.99) * 1000
    p50, p99 = percentile(studio, 0.5) * 1000, percentile(studio, 0.99) * 1000
    print(f"{mode}:")
    print(f"  per job, bare client   p50 {bare_p50:7.1f} ms  p99 {bare_p99:7.1f} ms")
    print(f"  per job, through Studio p50 {p50:7.1f} ms  p99 {p99:7.1f} ms")
    print(f"  added by Studio        p50 {p50 - bare_p50:7.1f} ms  p99 {p99 - bare_p99:7.1f} ms")
    bare_each, each = bare_burst / args.jobs * 1000, makespan / args.jobs * 1000
    print(f"  {args.jobs} jobs at once, per job: bare client {bare_each:6.1f} ms, through Studio {each:6.1f} ms = {each / bare_each:.2f}x")
    print(f"  {args.jobs} jobs at once: ComfyUI busy {busy:.1f} s of {makespan:.1f} s makespan = {ratio:.1%} utilisation")
    shares = ", ".join(f"{role} {seconds / args.jobs * 1000:.1f}" for role, seconds in cpu.most_common() if seconds > 0)
    print(f"  {args.jobs} jobs at once, CPU ms per job: {shares} (the machine's cores: {os.cpu_count()})")


async def _migrate(url: str) -> None:
    from server.db.migrate import migrate

    await migrate(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--job-seconds", type=float, default=0.2, help="time ComfyUI spends on each prompt")
    parser.add_argument("--latency-jobs", type=int, default=30, help="jobs run one at a time for (a)")
    parser.add_argument("--jobs", type=int, default=200, help="jobs submitted at once for (b)")
    parser.add_argument("--modes", default="single,scaled")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        double = ComfyDoubleProcess(DoubleSettings(models=MODELS, job_seconds=args.job_seconds), data_dir=Path(folder))
        double.start()
        try:
            print(f"ComfyUI double: {args.job_seconds} s per prompt")
            with asyncio.Runner() as runner:
                bare = BareClient(double.url)
                runner.run(bare.open())
                try:
                    for mode in args.modes.split(","):
                        run_mode(mode, double.url, args, bare, runner)
                finally:
                    runner.run(bare.close())
        finally:
            double.stop()


if __name__ == "__main__":
    main()
