"""Event latency from publish to receipt with many concurrent /ws/events subscribers.

    .venv/bin/python bench/events.py [--subscribers 500] [--events 200] [--rate 20] [--redis-url redis://127.0.0.1:6379/13]

Starts real `studio serve` processes on free loopback ports (SQLite in a temp folder), opens
the subscribers in two lean client processes (raw sockets, see Subscriber), publishes events at
a steady rate and measures, in every subscriber, the arrival time of each event's bytes (the
kernel's timestamp) minus the event's `ts` (stamped when it was published). Modes:

- single:        `studio serve`; each POST /api/jobs publishes job.created in the server's memory bus;
- redis:         `studio serve --no-worker` on Redis; the same job.created travels through Redis;
- redis-worker:  the same server; this process publishes job.status through its own EventBus,
                 as a `studio worker` process does.

Bounded: --events per mode, a deadline per mode, loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime
import multiprocessing
import os
import selectors
import socket
import statistics
import struct
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

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from server.config import load_settings  # noqa: E402
from server.events.bus import EventBus  # noqa: E402
from server.events.schemas import JobStatus  # noqa: E402
from server.storage import LocalStorage  # noqa: E402
from tests.net import free_port, wait_until_healthy  # noqa: E402

# One per core: each process's epoll loop reads its share of the sockets.
CLIENT_PROCESSES = 2
DEADLINE_SECONDS = 60


class Received(msgspec.Struct):
    """Only what the measurement needs of each message."""

    type: str
    ts: datetime.datetime | None = None


_decode = msgspec.json.Decoder(Received).decode


# --- subscribers (in client processes) ---------------------------------------------------
# A lean client, so the bench measures Studio and not its own clients (they share the 2 cores):
# raw non-blocking sockets in one epoll loop per process, frames parsed by hand, and each message
# timed twice: when its bytes reached the client's socket (the kernel's receive timestamp, the
# figure the table reports: it does not depend on how soon the client process gets the CPU) and
# when the client read it (the "as read" column; the gap between the two is the client's own lag).

# Linux's SO_TIMESTAMPNS (Python's socket module does not name it): each recvmsg() carries the
# arrival time of its first byte as a struct timespec.
SO_TIMESTAMPNS = 35
_TIMESPEC = struct.Struct("@qq")
# Answers the server's keepalive pings (a client frame must be masked: a zero mask leaves it as is).
_PONG = 0x8A


class Subscriber:
    """One /ws/events socket: the handshake and the snapshot blocking, then frames as they come."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET /ws/events HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise SystemExit(f"/ws/events refused: {head.decode(errors='replace')}")
        while not self.messages():  # the queue snapshot
            self.buffer += self._recv()
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.setblocking(False)
        self.seen = 0

    def _recv(self) -> bytes:
        data = self.sock.recv(1 << 20)
        if not data:
            raise SystemExit("/ws/events closed during the handshake")
        return data

    def read(self) -> float:
        """Adds what arrived to the buffer; returns when it reached the socket (0.0: closed)."""
        try:
            data, ancillary, _, _ = self.sock.recvmsg(1 << 16, 64)
        except OSError:
            return 0.0
        self.buffer += data
        arrived = time.time()
        for level, kind, value in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                seconds, nanoseconds = _TIMESPEC.unpack_from(value)
                arrived = seconds + nanoseconds / 1e9
        return arrived if data else 0.0

    def messages(self) -> list[bytes]:
        """The whole text messages in the buffer (pings answered, the rest left for later)."""
        found = []
        while len(self.buffer) >= 2:
            opcode, length = self.buffer[0] & 0x0F, self.buffer[1] & 0x7F
            start = 2
            if length == 126:
                (length,), start = struct.unpack_from("!H", self.buffer, 2), 4
            elif length == 127:
                (length,), start = struct.unpack_from("!Q", self.buffer, 2), 10
            if len(self.buffer) < start + length:
                break
            payload, self.buffer = self.buffer[start : start + length], self.buffer[start + length :]
            if opcode == 0x1:
                found.append(payload)
            elif opcode == 0x9 and length < 126:
                self.sock.sendall(bytes([_PONG, 0x80 | length, 0, 0, 0, 0]) + payload)
            elif opcode == 0x8:
                print(f"/ws/events closed by Studio: {payload[2:].decode(errors='replace')}", file=sys.stderr)
        return found


def _subscribe(url: str, count: int, kind: str, expected: int, ready: multiprocessing.Queue) -> tuple[list[float], list[float], float]:
    host, port = url.split("//")[1].split("/")[0].split(":")
    subscribers = [Subscriber(host, int(port)) for _ in range(count)]
    selector = selectors.DefaultSelector()
    for subscriber in subscribers:
        selector.register(subscriber.sock, selectors.EVENT_READ, subscriber)
    arrived_after: list[float] = []
    read_after: list[float] = []
    ready.put(count)
    cpu = time.process_time()
    deadline, done = time.monotonic() + DEADLINE_SECONDS, 0
    while done < count and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=1):
            subscriber = key.data
            if not (arrived := subscriber.read()):
                selector.unregister(subscriber.sock)
                done += 1
                continue
            for raw in subscriber.messages():
                message = _decode(raw)
                if message.type == kind and message.ts is not None:
                    published = message.ts.timestamp()
                    arrived_after.append((arrived - published) * 1000)
                    read_after.append((time.time() - published) * 1000)
                    subscriber.seen += 1
                    if subscriber.seen == expected:
                        selector.unregister(subscriber.sock)
                        done += 1
    cpu = time.process_time() - cpu
    for subscriber in subscribers:
        subscriber.sock.close()
    return arrived_after, read_after, cpu


def subscriber_process(url: str, count: int, kind: str, expected: int, ready, results) -> None:
    results.put(_subscribe(url, count, kind, expected, ready))


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
        yield url, env, process.pid
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


class Measurement(msgspec.Struct):
    arrived: list[float]  # ms from publish to the bytes reaching a subscriber's socket
    read: list[float]  # ms from publish to the subscriber reading the message
    seconds: float  # from the first publish to the last receipt
    server_cpu: float  # seconds of CPU Studio's process used meanwhile
    client_cpu: float  # seconds of CPU the subscriber processes used meanwhile


def cpu_seconds(pid: int) -> float:
    """User and system time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(url: str, server_pid: int, subscribers: int, kind: str, events: int, publish) -> Measurement:
    context = multiprocessing.get_context("spawn")
    ready, results = context.Queue(), context.Queue()
    shares = [subscribers // CLIENT_PROCESSES + (i < subscribers % CLIENT_PROCESSES) for i in range(CLIENT_PROCESSES)]
    processes = [context.Process(target=subscriber_process, args=(url, share, kind, events, ready, results)) for share in shares if share]
    for process in processes:
        process.start()
    connected = sum(ready.get(timeout=120) for _ in processes)
    assert connected == subscribers
    started, server_cpu = time.monotonic(), cpu_seconds(server_pid)
    publish()
    parts = [results.get(timeout=DEADLINE_SECONDS + 30) for _ in processes]
    seconds, server_cpu = time.monotonic() - started, cpu_seconds(server_pid) - server_cpu
    for process in processes:
        process.join(timeout=10)
    return Measurement(
        arrived=[value for arrived, _, _ in parts for value in arrived],
        read=[value for _, read, _ in parts for value in read],
        seconds=seconds,
        server_cpu=server_cpu,
        client_cpu=sum(cpu for _, _, cpu in parts),
    )


def p99(values: list[float]) -> float:
    return values[min(len(values) - 1, int(len(values) * 0.99))]


def report(mode: str, result: Measurement, events: int, expected: int) -> str:
    if not result.arrived:
        return f"| {mode} | 0 of {expected} received | | | | | | |"
    arrived, read = sorted(result.arrived), sorted(result.read)
    return (
        f"| {mode} | {len(arrived)} of {expected} | {statistics.median(arrived):.1f} | {p99(arrived):.1f} | {arrived[-1]:.1f} "
        f"| {p99(read):.1f} | {result.server_cpu * 1000 / events:.1f} | {result.client_cpu / result.seconds:.0%} |"
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
        with studio(Path(tmp) / "single", None) as (url, _, pid):
            result = measure(url, pid, args.subscribers, "job.created", args.events, lambda: submit_jobs(url, args.events, args.rate))
            rows.append(report("single process (memory bus)", result, args.events, expected))
        with studio(Path(tmp) / "redis", args.redis_url) as (url, env, pid):
            result = measure(url, pid, args.subscribers, "job.created", args.events, lambda: submit_jobs(url, args.events, args.rate))
            rows.append(report("Redis, published by the API", result, args.events, expected))
            result = measure(url, pid, args.subscribers, "job.status", args.events, lambda: publish_as_worker(env, args.events, args.rate))
            rows.append(report("Redis, published by a worker process", result, args.events, expected))
    print(f"{args.subscribers} subscribers, {args.events} events at {args.rate:g}/s, ms from publish to arrival at the subscriber's socket;")
    print("p99 as read: to the subscriber process reading it; server CPU: Studio's process, per event; clients: their CPU share of one core.")
    print("| mode | received | p50 | p99 | max | p99 as read | server CPU ms/event | clients' CPU |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
