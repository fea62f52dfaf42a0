"""How `studio serve` and `studio worker` stop on SIGTERM or SIGINT (Ctrl-C, a container's stop).

The first signal stops gracefully: no new connections or queue messages, in-flight HTTP requests
get GRACE_SECONDS to finish, WebSockets close with 1001 (server/http/ws_protocol.py), running
jobs stay processing in ComfyUI and are re-attached on the next start. A second signal exits at
once: nothing is lost by it either, the jobs are re-attached just the same.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType

import uvicorn

# In-flight HTTP requests get this long to finish; below the 10 s a container runtime waits
# between SIGTERM and SIGKILL, so the stop stays graceful.
GRACE_SECONDS = 8
SIGNALS = (signal.SIGINT, signal.SIGTERM)


def exit_now(signum: int) -> None:
    # In a signal handler: os.write, not logging, whose lock the interrupted code may hold.
    os.write(2, b"studio: second stop signal: exiting now; running jobs are re-attached on the next start.\n")
    os._exit(128 + signum)


class Server(uvicorn.Server):
    """uvicorn's server, but a second SIGTERM exits at once too (uvicorn: only a second SIGINT)."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit:
            exit_now(sig)
        super().handle_exit(sig, frame)


def wait_for_signal() -> None:
    """Block until the first SIGTERM or SIGINT; from then on a second one exits at once."""
    stop = threading.Event()

    def handle(signum: int, _: FrameType | None) -> None:
        if stop.is_set():
            exit_now(signum)
        stop.set()

    for signum in SIGNALS:
        signal.signal(signum, handle)
    stop.wait()
