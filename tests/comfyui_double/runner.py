"""One server "process": a thread with its own event loop running uvicorn, the prompt worker and the state.

Running in a thread keeps the double independent of the test's event loop (sync and async tests can
share it) and lets `kill()` behave like SIGKILL: connections are aborted, so clients get no close
frame (1006, capture 16), and the in-memory queue/history die with the runner.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading

import uvicorn

from .app import build_app
from .files import FileStore
from .origin import OriginCheck
from .settings import DoubleSettings
from .state import Observations, ServerState


class ServerRunner:
    def __init__(self, settings: DoubleSettings, files: FileStore, observations: Observations, sock: socket.socket):
        self._settings = settings
        self._files = files
        self._observations = observations
        self._sock = sock
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._thread_main, name="comfyui-double", daemon=True)
        self.state: ServerState | None = None
        self._server: uvicorn.Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._error: BaseException | None = None

    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("ComfyUI double did not start")
        if self._error is not None:
            raise RuntimeError("ComfyUI double failed to start") from self._error

    def kill(self, timeout: float = 5.0) -> None:
        """Drop every connection without a close frame and forget all state."""
        self._shutdown(close_sockets=False, timeout=timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Like kill, but WebSocket clients get a 1001 close frame first (tidy test teardown)."""
        self._shutdown(close_sockets=True, timeout=timeout)

    # -- internals -----------------------------------------------------------------------------
    def _thread_main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        except BaseException as ex:  # surfaced by start()
            self._error = ex
        finally:
            self._ready.set()
            leftovers = asyncio.all_tasks(self._loop)
            for task in leftovers:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
            self._loop.close()

    async def _main(self) -> None:
        self._files.prepare()
        self.state = ServerState(self._settings, self._files, self._observations)
        app = OriginCheck(build_app(self.state), lambda: self._settings.origin_check)
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        worker = asyncio.create_task(self.state.executor.run_forever())
        serve = asyncio.create_task(self._server.serve(sockets=[self._sock]))
        self._tasks = [worker, serve]
        while not self._server.started and not serve.done():
            await asyncio.sleep(0.002)
        if not self._server.started:
            await serve  # raises the startup error, which start() reports
        self._ready.set()
        with contextlib.suppress(asyncio.CancelledError):
            await serve

    def _shutdown(self, close_sockets: bool, timeout: float) -> None:
        if not self._thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self._abort(close_sockets), self._loop)
        future.result(timeout)
        self._thread.join(timeout)
        self._sock.close()

    async def _abort(self, close_sockets: bool) -> None:
        assert self._server is not None and self.state is not None
        for server in getattr(self._server, "servers", []):
            server.close()  # stop listening: new connections are refused at once
        if close_sockets:
            conns = list(self.state.hub.sockets.values())
            await asyncio.gather(
                *(asyncio.wait_for(c.socket.close(code=1001), 0.2) for c in conns), return_exceptions=True
            )
        for conn in list(self._server.server_state.connections):
            transport = getattr(conn, "transport", None)
            if transport is not None:
                transport.abort()  # RST, no close frame: what a killed process looks like
        for task in self._tasks:
            task.cancel()
