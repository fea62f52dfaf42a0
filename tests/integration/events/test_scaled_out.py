"""Events crossing processes through Redis: two API hosts, and a worker-like publisher process."""

from __future__ import annotations

import socket
import time

from websockets.exceptions import ConnectionClosed

from server.events.schemas import JobCreated, JobFailed, JobFinished, JobProgress, JobSnapshot, JobStatus, QueueSnapshot, QueueTotals
from tests.integration.events.scaled import Api, job_json, publisher, receive


def test_a_job_submitted_on_one_api_host_is_seen_by_clients_of_the_other(apis: tuple[Api, Api]) -> None:
    first, second = apis
    with second.socket("/ws/events") as events:
        assert isinstance(receive(events), QueueSnapshot)
        job = first.submit()
        message = receive(events)
        while isinstance(message, QueueTotals):
            message = receive(events)
        assert isinstance(message, JobCreated) and str(message.job_id) == job["id"] and message.seq == 1
    with second.socket(f"/ws/jobs/{job['id']}") as watcher:
        snapshot = receive(watcher)
        # The database and the seq counter are shared: the other host's snapshot is complete.
        assert isinstance(snapshot, JobSnapshot) and snapshot.seq == 1 and snapshot.job.status == "queued"


def test_events_published_by_a_separate_process_reach_ws_clients_in_order(apis: tuple[Api, Api], env: dict[str, str]) -> None:
    first, second = apis
    job = first.submit()
    with first.socket(f"/ws/jobs/{job['id']}") as on_first, second.socket(f"/ws/jobs/{job['id']}") as on_second:
        for watcher in (on_first, on_second):
            assert isinstance(receive(watcher), JobSnapshot)
        worker = publisher(env, "run", job_json(job), "finished")
        for watcher in (on_first, on_second):
            received = []
            while True:
                try:
                    received.append(receive(watcher))
                except ConnectionClosed as closed:
                    assert closed.rcvd is not None and closed.rcvd.code == 1000
                    break
            assert isinstance(received[0], JobStatus) and received[0].worker == "stand-in"
            assert all(isinstance(m, JobProgress) for m in received[1:-1]) and len(received) >= 4
            assert isinstance(received[-1], JobFinished) and received[-1].job.outputs[0].filename == "fox_00001_.png"
            seqs = [m.seq for m in received]
            assert seqs == sorted(seqs) and seqs[0] == 2
        assert worker.wait(timeout=30) == 0, worker.stdout.read() if worker.stdout else ""


def stalled_client(port: int) -> socket.socket:
    """A WebSocket client that completes the handshake, then never reads: its buffers fill up."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", port))
    raw.sendall(
        b"GET /ws/events HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    # The server subscribes before it sends the snapshot: once that is here, nothing is missed.
    assert count_until(raw, b'"type":"queue.snapshot"', 1, timeout=10) == 1
    return raw


def test_a_stalled_client_delays_neither_another_client_nor_the_publisher(apis: tuple[Api, Api], env: dict[str, str]) -> None:
    first, _ = apis
    # 12 MB of terminal events: far more than the stalled client's socket buffers can take (at
    # most ~4 MB here), so most of it waits in its queue while the other client reads on.
    count, size = 3000, 4000
    stalled = stalled_client(first.port)
    try:
        with first.socket("/ws/events") as reader:
            assert isinstance(receive(reader), QueueSnapshot)
            started = time.monotonic()
            burst = publisher(env, "burst", str(count), str(size))
            seen = 0
            while seen < count:
                message = receive(reader)
                seen += isinstance(message, JobFailed) and message.workflow == "burst"
            elapsed = time.monotonic() - started
            output = burst.communicate(timeout=30)[0]
        assert burst.returncode == 0, output
        published_in = float(output.split(" in ")[1].split()[0])
        assert published_in < 1.0, output  # publish() never waits for any client
        assert elapsed < 20, elapsed
        # Terminal events are never dropped: once it reads, the stalled client gets every one.
        assert count_until(stalled, b'"type":"job.failed"', count, timeout=20) == count
    finally:
        stalled.close()


def count_until(raw: socket.socket, marker: bytes, count: int, timeout: float) -> int:
    """How often `marker` arrives on `raw`, reading until `count` or the connection ends."""
    raw.settimeout(timeout)
    seen, tail = 0, b""
    while seen < count and (chunk := raw.recv(1 << 20)):
        window = tail + chunk
        seen += window.count(marker)
        tail = window[1 - len(marker) :]  # too short to hold a whole marker: none is counted twice
    return seen
