"""ComfyDoubleProcess: the double in a child process, so that kill() is a real SIGKILL."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import msgspec

from ..net import free_port
from .settings import DoubleSettings

REPO_ROOT = Path(__file__).resolve().parents[2]


class ComfyDoubleProcess:
    """Same contract as ComfyDouble's lifecycle (start/kill/restart/stop, url, ws_url).

    Settings are passed at start(); later changes to `settings` apply from the next (re)start.
    """

    def __init__(
        self,
        settings: DoubleSettings | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        data_dir: Path | str | None = None,
    ) -> None:
        self.settings = settings or DoubleSettings()
        self.host = host
        self.port = port or free_port(host)
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir) if data_dir is not None else Path(tempfile.mkdtemp(prefix="comfyui-double-"))
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/ws"

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def start(self, timeout: float = 20.0) -> ComfyDoubleProcess:
        settings_file = self.data_dir / "settings.json"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        settings_file.write_bytes(msgspec.json.encode(self.settings))
        cmd = [sys.executable, "-m", "tests.comfyui_double", "--host", self.host, "--port", str(self.port)]
        cmd += ["--data-dir", str(self.data_dir), "--settings", str(settings_file)]
        with open(self.data_dir / "double.log", "ab") as log:
            self._proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready(timeout)
        return self

    def kill(self) -> None:
        """SIGKILL: clients see their sockets drop without a close frame (1006)."""
        self._signal(signal.SIGKILL)

    def terminate(self) -> None:
        """SIGTERM: also no close frame, like ComfyUI."""
        self._signal(signal.SIGTERM)

    def restart(self, timeout: float = 20.0) -> ComfyDoubleProcess:
        self.kill()
        return self.start(timeout)

    def stop(self) -> None:
        self.terminate()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> ComfyDoubleProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _signal(self, sig: signal.Signals) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.send_signal(sig)
        self._proc.wait(10)
        self._proc = None

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"ComfyUI double exited with {self._proc.returncode}; see {self.data_dir}/double.log"
                )
            try:
                if httpx.get(f"{self.url}/queue", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.kill()
        raise TimeoutError("ComfyUI double process did not answer /queue")
