"""The connection breaks after ComfyUI queued the prompt but before its answer came: the job
follows the prompt ComfyUI has, and never queues it twice."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.comfyui_double.double import ComfyDouble
from tests.common.stacks import running_stack
from tests.integration.worker.stack import Stack, runs_of
from tests.integration.worker.test_cancel import SLOW, slow


class AnswerLosingProxy:
    """A TCP relay to ComfyUI that cuts the connection carrying the first POST /prompt as soon as
    ComfyUI answers it: the prompt is queued, the client hears nothing back."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._cut = False
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> AnswerLosingProxy:
        self._thread.start()
        self._started.wait(5)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._relay, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._started.set()
        self._loop.run_forever()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        cut_here = asyncio.Event()

        async def upstream() -> None:
            while data := await client_reader.read(65536):
                if not self._cut and data.startswith(b"POST /prompt "):
                    self._cut = True
                    cut_here.set()
                upstream_writer.write(data)
                await upstream_writer.drain()
            upstream_writer.close()

        async def downstream() -> None:
            while data := await upstream_reader.read(65536):
                if cut_here.is_set():
                    client_writer.transport.abort()
                    upstream_writer.close()
                    return
                client_writer.write(data)
                await client_writer.drain()
            client_writer.close()

        await asyncio.gather(upstream(), downstream(), return_exceptions=True)


@pytest.fixture
def stack_behind_proxy(request: pytest.FixtureRequest, tmp_path: Path, double: ComfyDouble, workflows_dir: Path) -> Iterator[Stack]:
    proxy = AnswerLosingProxy(double.port).start()
    try:
        with running_stack(request, "single", tmp_path, proxy.url) as studio:
            yield studio
    finally:
        proxy.stop()


def test_a_prompt_whose_answer_was_lost_is_followed_not_queued_again(stack_behind_proxy: Stack, double: ComfyDouble) -> None:
    slow(double)  # still running when the worker asks ComfyUI what became of it
    job = stack_behind_proxy.submit(**SLOW)
    done = stack_behind_proxy.wait(job["id"], timeout=40)
    assert done["status"] == "finished", done["error"]
    assert done["attempts"] == 1 and runs_of(double, job["id"]) == 1
