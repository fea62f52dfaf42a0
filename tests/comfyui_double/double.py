"""ComfyDouble: the in-process handle tests use (start/stop/kill/restart + observation helpers)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from .files import FileStore
from .runner import ServerRunner
from .settings import DoubleSettings
from .state import InterruptRequest, Observations, ReceivedPrompt, ServerState


def bind_socket(host: str, port: int) -> socket.socket:
    family, type_, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, type_, proto)
    # Lets restart() rebind the same port right after kill(), like a restarted ComfyUI.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    return sock


class ComfyDouble:
    """A fake ComfyUI 0.3.64 on localhost. `settings` may be changed while it runs."""

    def __init__(
        self,
        settings: DoubleSettings | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        data_dir: Path | str | None = None,
    ) -> None:
        self._settings = settings or DoubleSettings()
        self.host = host
        self.port = port  # 0 = any free port, fixed at the first start() and kept by restart()
        self._own_dir = data_dir is None
        root = Path(data_dir) if data_dir is not None else Path(tempfile.mkdtemp(prefix="comfyui-double-"))
        self.files = FileStore(root)
        self.observations = Observations()
        self._runner: ServerRunner | None = None

    @property
    def settings(self) -> DoubleSettings:
        """Live settings: change their fields (the server reads them as it goes), not the object."""
        return self._settings

    # -- lifecycle -----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/ws"

    @property
    def running(self) -> bool:
        return self._runner is not None

    def start(self) -> ComfyDouble:
        if self._runner is not None:
            raise RuntimeError("already running")
        sock = bind_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        runner = ServerRunner(self._settings, self.files, self.observations, sock)
        runner.start()
        self._runner = runner
        return self

    def kill(self) -> None:
        """Die like SIGKILL mid-job: sockets dropped without close frame (1006), queue and history lost."""
        if self._runner is not None:
            self._runner.kill()
            self._runner = None

    def restart(self) -> ComfyDouble:
        """kill() if running, then start on the same port: empty queue and history, `number` from 0."""
        self.kill()
        return self.start()

    def stop(self) -> None:
        """Shut down for good (clients get a 1001 close) and remove the data dir if we made it."""
        if self._runner is not None:
            self._runner.stop()
            self._runner = None
        if self._own_dir:
            shutil.rmtree(self.files.root, ignore_errors=True)

    def __enter__(self) -> ComfyDouble:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None):
        self.stop()

    # -- what clients did ----------------------------------------------------------------------
    @property
    def received_prompts(self) -> list[ReceivedPrompt]:
        """Every POST /prompt since creation (across restarts), invalid ones included."""
        return list(self.observations.prompts)

    @property
    def interrupts(self) -> list[InterruptRequest]:
        return list(self.observations.interrupts)

    @property
    def global_interrupts(self) -> int:
        return sum(1 for i in self.observations.interrupts if i.prompt_id is None)

    @property
    def targeted_interrupts(self) -> int:
        return sum(1 for i in self.observations.interrupts if i.prompt_id is not None)

    @property
    def websocket_clients(self) -> list[str]:
        """The clientId of every WebSocket connection since creation (across restarts), in order."""
        return list(self.observations.websocket_clients)

    # -- live server state (read-only views) -----------------------------------------------------
    @property
    def state(self) -> ServerState:
        if self._runner is None or self._runner.state is None:
            raise RuntimeError("not running")
        return self._runner.state

    @property
    def running_prompt_id(self) -> str | None:
        running = self.state.queue.running
        return None if running is None else running.prompt_id

    @property
    def executing_node(self) -> str | None:
        return self.state.executor.current_node

    @property
    def queue_remaining(self) -> int:
        return self.state.queue.remaining()

    def history(self, prompt_id: str) -> dict[str, Any] | None:
        return self.state.queue.history.get(prompt_id)

    async def wait_running(self, prompt_id: str | None = None, timeout: float = 5.0) -> str:
        """Until `prompt_id` (or any prompt) is the running one; returns its id."""
        await self._wait(
            lambda: self.running_prompt_id is not None and prompt_id in (None, self.running_prompt_id),
            timeout,
            f"prompt {prompt_id or '(any)'} running",
        )
        return self.running_prompt_id  # type: ignore[return-value]

    async def wait_executing(self, node_id: str, prompt_id: str | None = None, timeout: float = 5.0) -> None:
        """Until node `node_id` has started executing (of `prompt_id`, if given)."""
        await self._wait(
            lambda: self.executing_node == node_id and prompt_id in (None, self.running_prompt_id),
            timeout,
            f"node {node_id} executing",
        )

    async def wait_idle(self, timeout: float = 5.0) -> None:
        """Until nothing is pending or running."""
        await self._wait(lambda: self.queue_remaining == 0, timeout, "idle")

    async def _wait(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError(f"ComfyUI double: timed out waiting for {what}")
            await asyncio.sleep(0.002)

    # -- files ---------------------------------------------------------------------------------
    @property
    def input_dir(self) -> Path:
        return self.files.input_dir

    @property
    def output_dir(self) -> Path:
        return self.files.output_dir

    @property
    def temp_dir(self) -> Path:
        return self.files.temp_dir

    def add_input(self, name: str, data: bytes, subfolder: str = "") -> Path:
        """Put a file into the input directory, as if uploaded with overwrite."""
        path = self.files.input_dir / subfolder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path
