"""Event latency from publish to receipt with many concurrent /ws/events subscribers.

    .venv/bin/python bench/events.py [--subscribers 500] [--events 200] [--rate 20] [--redis-url redis://127.0.0.1:6379/13]

Starts real `studio serve` processes on free loopback ports (SQLite in a temp folder), opens
the subscribers in a few client processes, publishes events at a steady rate and measures, in
every subscriber, receipt time minus the event's `ts` (stamped when it was published). Modes:

- single:        `studio serve`; each POST /api/jobs publishes job.created in the server's memory bus;
- redis:         `studio serve --no-worker` on Redis; the same job.created travels through Redis;
- redis-worker:  the same server; this process publishes job.status through its own EventBus,
                 as a `studio worker` process does.

Bounded: --events per mode, a deadline per mode, loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import msgspec
import redis
from websockets.asyncio.client import connect

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from server.config import load_settings  # noqa: E402
from server.events.bus import EventBus  # noqa: E402
from server.events.schemas import JobStatus  # noqa: E402
from server.storage import LocalStorage  # noqa: E402
from tests.net import free_port, wait_until_healthy  # noqa: E402

CLIENT_PROCESSES = 4
DEADLINE_SECONDS = 60


class Received(msgspec.Struct):
    """Only what the measurement needs of each message."""

    type: str
    ts: datetime.datetime | None = None


_decode = msgspec.json.Decoder(Received).decode


# --- subscribers (in client processes) ---------------------------------------------------


async def _subscribe(url: str, count: int, kind: str, expected: int, ready: multiprocessing.Queue) -> list[float]:
    latencies: list[float] = []
    sockets = []
    for _ in range(count):
        socket = await connect(url, open_timeout=30, max_size=None)
        await socket.recv()  # the queue snapshot
        sockets.append(socket)
    ready.put(count)

    async def listen(socket) -> None:
        seen = 0
        async for raw in socket:
            received_at = time.time()
            message = _decode(raw)
            if message.type == kind and message.ts is not None:
                latencies.append((received_at - message.ts.timestamp()) * 1000)
                seen += 1
                if seen == expected:
                    return

    try:
        await asyncio.wait_for(asyncio.gather(*(listen(s) for s in sockets)), DEADLINE_SECONDS)
    except TimeoutError:
        pass
    for socket in sockets:
        await socket.close()
    return latencies


def subscriber_process(url: str, count: int, kind: str, expected: int, ready, results) -> None:
    results.put(asyncio.run(_subscribe(url, count, kind, expected, ready)))


# --- the server and the publishers ------------------------------------------------------


@contextmanager
def studio(folder: Path, redis_url: str | None) -> Iterator[tuple[str, dict[str, str]]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    env |= {"STUDIO_PORT": str(port), "STUDIO_DATA_DIR": str(folder), "STUDIO_WORKFLOWS_DIR": str(REPO / "workflows")}
    # Nothing listens there: the embedded worker (single mode) cannot take the jobs anywhere.
    env["STUDIO_COMFY_URL"] = f"http://127.0.0.1:{free_port()}"
    args = ["serve"]
    if redis_url:
        env["STUDIO_REDIS_URL"] = redis_url
        args.append("--no-worker")
    folder.mkdir(parents=True, exist_ok=True)
    log = (folder / "studio.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "studio", *args], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_healthy(url):
            raise SystemExit(f"studio serve did not start; see {folder / 'studio.log'}")
        yield url, env
    finally:
        process.terminate()
        process.wait(timeout=20)


def submit_jobs(url: str, events: int, rate: float) -> None:
    with httpx.Client(base_url=url, timeout=10) as http:
        pace(events, rate, lambda: http.post("/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": "a red fox"}}).raise_for_status())


def publish_as_worker(env: dict[str, str], events: int, rate: float) -> None:
    async def run() -> None:
        settings = load_settings({k: v for k, v in env.items() if k.startswith("STUDIO_")})
        bus = EventBus(settings, LocalStorage(settings.data_path))
        await bus.start(listen=False)
        job = uuid.uuid4()
        # Status events are never throttled, so every one is sent and measured. Published from
        # another thread, as the worker's event loop thread does in single-process mode.
        def publish() -> None:
            bus.publish(JobStatus(job_id=job, workflow="bench", status="processing", worker="bench"))

        await asyncio.to_thread(pace, events, rate, publish)
        await bus.stop()

    asyncio.run(run())


def pace(events: int, rate: float, action) -> None:
    start = time.monotonic()
    for n in range(events):
        time.sleep(max(0.0, start + n / rate - time.monotonic()))
        action()


# --- one measurement ----------------------------------------------------------------------


def measure(url: str, subscribers: int, kind: str, events: int, publish) -> list[float]:
    ws_url = url.replace("http://", "ws://") + "/ws/events"
    context = multiprocessing.get_context("spawn")
    ready, results = context.Queue(), context.Queue()
    shares = [subscribers // CLIENT_PROCESSES + (i < subscribers % CLIENT_PROCESSES) for i in range(CLIENT_PROCESSES)]
    processes = [
        context.Process(target=subscriber_process, args=(ws_url, share, kind, events, ready, results)) for share in shares if share
    ]
    for process in processes:
        process.start()
    connected = sum(ready.get(timeout=120) for _ in processes)
    assert connected == subscribers
    publish()
    latencies = [value for _ in processes for value in results.get(timeout=DEADLINE_SECONDS + 30)]
    for process in processes:
        process.join(timeout=10)
    return latencies


def report(mode: str, latencies: list[float], expected: int) -> str:
    if not latencies:
        return f"| {mode} | 0 of {expected} received | | | |"
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"| {mode} | {len(latencies)} of {expected} | {statistics.median(ordered):.1f} | {p99:.1f} | {ordered[-1]:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--events", type=int, default=200, help="events per mode")
    parser.add_argument("--rate", type=float, default=20, help="events per second")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="a Redis database this run may flush")
    args = parser.parse_args()

    redis.Redis.from_url(args.redis_url).flushdb()
    expected = args.subscribers * args.events
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        with studio(Path(tmp) / "single", None) as (url, _):
            latencies = measure(url, args.subscribers, "job.created", args.events, lambda: submit_jobs(url, args.events, args.rate))
            rows.append(report("single process (memory bus)", latencies, expected))
        with studio(Path(tmp) / "redis", args.redis_url) as (url, env):
            latencies = measure(url, args.subscribers, "job.created", args.events, lambda: submit_jobs(url, args.events, args.rate))
            rows.append(report("Redis, published by the API", latencies, expected))
            latencies = measure(url, args.subscribers, "job.status", args.events, lambda: publish_as_worker(env, args.events, args.rate))
            rows.append(report("Redis, published by a worker process", latencies, expected))
    print(f"{args.subscribers} subscribers, {args.events} events at {args.rate:g}/s, ms from publish to receipt:")
    print("| mode | received | p50 | p99 | max |\n| --- | --- | --- | --- | --- |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
