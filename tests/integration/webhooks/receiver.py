"""A real HTTP receiver of webhooks on a free loopback port, answering each path as scripted."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived


@dataclass(frozen=True)
class Answer:
    status: int = 204
    delay: float = 0.0  # seconds to hang before answering


@dataclass
class Receiver:
    port: int = 0
    # Per path, the answers to its next requests in order; once used up, 204.
    script: dict[str, list[Answer]] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def to(self, path: str) -> list[Hit]:
        with self.lock:
            return [hit for hit in self.hits if hit.path == path]

    def wait(self, what: Callable[[], bool], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not what():
            assert time.monotonic() < deadline, f"timed out; received {[(h.path, h.headers.get('webhook-id')) for h in self.hits]}"
            time.sleep(0.02)

    def _answer(self, path: str) -> Answer:
        with self.lock:
            queued = self.script.get(path, [])
            return queued.pop(0) if queued else Answer()


@contextmanager
def receiving() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            with receiver.lock:
                receiver.hits.append(Hit(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic()))
            answer = receiver._answer(self.path)
            time.sleep(answer.delay)
            self.send_response(answer.status)
            if 300 <= answer.status < 400:
                self.send_header("location", receiver.url("/elsewhere"))
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
