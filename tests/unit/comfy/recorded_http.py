"""A minimal real HTTP/1.1 server on 127.0.0.1 answering with recorded ComfyUI responses.

Routes map (method, path) to a Reply, or to a list of replies served in turn (the last one
repeats). Every request is kept for assertions.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    hang: bool = False  # never answer (read timeout)
    reset: bool = False  # close the connection without answering

    @classmethod
    def json(cls, value: Any, status: int = 200) -> Reply:
        return cls(status, json.dumps(value).encode())


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class RecordedHttp:
    routes: dict[tuple[str, str], Reply | list[Reply]]
    requests: list[Seen] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _reply(self, method: str, path: str) -> Reply:
        reply = self.routes.get((method, path), Reply(404, b"", "application/octet-stream"))
        if isinstance(reply, list):
            return reply.pop(0) if len(reply) > 1 else reply[0]
        return reply

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            method, target, _ = request_line.split(" ", 2)
            headers = {
                k.strip().lower(): v.strip()
                for k, v in (line.split(":", 1) for line in header_lines if ":" in line)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            url = urlsplit(target)
            self.requests.append(Seen(method, url.path, parse_qs(url.query), headers, body))
            reply = self._reply(method, url.path)
            if reply.hang:
                await reader.read()  # until the client gives up and closes
            if not reply.reset:
                writer.write(
                    f"HTTP/1.1 {reply.status} X\r\nContent-Type: {reply.content_type}\r\n"
                    f"Content-Length: {len(reply.body)}\r\nConnection: close\r\n\r\n".encode()
                    + reply.body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def recorded_http(routes: dict[tuple[str, str], Reply | list[Reply]]) -> AsyncIterator[RecordedHttp]:
    server = RecordedHttp(routes)
    tcp = await asyncio.start_server(server._handle, "127.0.0.1", 0)
    server.port = tcp.sockets[0].getsockname()[1]
    async with tcp:
        yield server
        tcp.close()
