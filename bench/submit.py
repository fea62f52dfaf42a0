"""What a submit costs: `POST /api/jobs` per second and its p50/p99 latency at 1, 8, 32 and 128
concurrent clients.

    .venv/bin/python bench/submit.py [--modes single,scaled] [--levels 1,8,32,128] [--submits 2000]

Modes: single (`studio serve`: SQLite, in-memory broker, embedded worker) and scaled (`studio
serve --no-worker` on PostgreSQL in a scratch database and Redis db 14, flushed). Studio runs in
front of the ComfyUI double, whose prompts take an hour: the worker holds its two slots and the
figures are the submits' alone. Each level sends `--submits` submissions (after a warm-up) or
stops at its deadline, and prints a markdown table.

The client is one asyncio task per concurrent client, each on its own keep-alive connection,
sending one pre-encoded request and reading the status line, the headers and the
Content-Length body: no HTTP library on the client's side of the 2 cores. Its own cost was
checked with `--client-check`, which points the same client at a bare asyncio server in another
process that answers 202 with a job-sized body: 53,000 answers/s at 32 clients on the 2-core
machine (one run), so at 2,000 submits/s the client takes ~4% of a core: not the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path


REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.pipeline import MODELS, bench_stack, percentile  # noqa: E402
from tests.comfyui_double.process import ComfyDoubleProcess  # noqa: E402
from tests.comfyui_double.settings import DoubleSettings  # noqa: E402
from tests.net import free_port  # noqa: E402

LEVEL_DEADLINE_SECONDS = 60
WARM_UP = 50
BODY = json.dumps({"workflow": "text_to_image", "params": {"prompt": "a red fox"}}).encode()


def request_bytes(port: int) -> bytes:
    head = (
        f"POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n"
    )
    return head.encode() + BODY


async def _client(port: int, request: bytes, left: list[int], latencies: list[float], deadline: float) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while left[0] > 0 and time.monotonic() < deadline:
            left[0] -= 1
            began = time.perf_counter()
            writer.write(request)
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - began)
            if status.split(b" ", 2)[1] != b"202":
                raise AssertionError(f"submit answered {status!r}")
    finally:
        writer.close()


async def level(port: int, clients: int, submits: int) -> tuple[float, list[float]]:
    """(submits per second, latencies in seconds) of `submits` submissions by `clients` at once."""
    request = request_bytes(port)
    latencies: list[float] = []
    left = [submits]
    began = time.perf_counter()
    deadline = time.monotonic() + LEVEL_DEADLINE_SECONDS
    await asyncio.gather(*(_client(port, request, left, latencies, deadline) for _ in range(clients)))
    return len(latencies) / (time.perf_counter() - began), latencies


def measure(port: int, levels: list[int], submits: int) -> list[tuple[int, float, float, float]]:
    asyncio.run(level(port, 4, WARM_UP))
    rows = []
    for clients in levels:
        rate, latencies = asyncio.run(level(port, clients, max(submits, clients * 4)))
        rows.append((clients, rate, percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000))
    return rows


def run_mode(mode: str, comfy_url: str, levels: list[int], submits: int) -> list[tuple[int, float, float, float]]:
    with bench_stack(mode, comfy_url, with_worker=False) as stack:  # scaled: no worker, the jobs wait
        return measure(stack.port, levels, submits)


def print_table(results: dict[str, list[tuple[int, float, float, float]]]) -> None:
    print("| mode | clients | submits/s | p50 ms | p99 ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for mode, rows in results.items():
        for clients, rate, p50, p99 in rows:
            print(f"| {mode} | {clients} | {rate:,.0f} | {p50:.1f} | {p99:.1f} |")


# --- the client's own cost --------------------------------------------------------------------


def _bare_server(port: int) -> None:
    body = json.dumps({"id": "0" * 32, "workflow": "text_to_image", "params": {}, "status": "queued"}).ljust(1500).encode()
    answer = b"HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError):  # the client closed its connection
            while head := await reader.readuntil(b"\r\n\r\n"):
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                writer.write(answer)

    async def main() -> None:
        server = await asyncio.start_server(serve, "127.0.0.1", port)
        await server.serve_forever()

    asyncio.run(main())


def client_check(levels: list[int], submits: int) -> None:
    port = free_port()
    server = multiprocessing.Process(target=_bare_server, args=(port,), daemon=True)
    server.start()
    try:
        time.sleep(0.5)
        print_table({"bare asyncio server": measure(port, levels, submits)})
    finally:
        server.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default="single,scaled")
    parser.add_argument("--levels", default="1,8,32,128")
    parser.add_argument("--submits", type=int, default=2000, help="submissions per level")
    parser.add_argument("--client-check", action="store_true", help="measure the client against a bare server instead")
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]
    if args.client_check:
        client_check(levels, args.submits)
        return
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        # Prompts that run for an hour: the worker holds two and the rest wait in the queue.
        double = ComfyDoubleProcess(DoubleSettings(models=MODELS, job_seconds=3600), data_dir=Path(folder))
        double.start()
        try:
            for mode in args.modes.split(","):
                results[mode] = run_mode(mode, double.url, levels, args.submits)
        finally:
            double.stop()
    print_table(results)


if __name__ == "__main__":
    main()
