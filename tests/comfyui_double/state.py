"""Everything one server "process" holds (lost on kill/restart), plus what tests observe across restarts."""

from __future__ import annotations

from typing import Any

import msgspec

from .catalog import Catalog
from .executor import Executor
from .files import FileStore
from .hub import Hub
from .prompt_queue import PromptQueue
from .settings import DoubleSettings
from .validation import Validator


class ReceivedPrompt(msgspec.Struct):
    """One POST /prompt as the double saw it (invalid ones included)."""

    body: Any  # parsed JSON body, None when it was not JSON
    status: int
    prompt_id: str | None = None
    number: float | None = None


class InterruptRequest(msgspec.Struct):
    prompt_id: str | None  # None = global interrupt
    applied: bool  # False when a targeted interrupt named a prompt that was not running


class Observations:
    """Kept by ComfyDouble across restarts so tests can assert on what clients sent."""

    def __init__(self) -> None:
        self.prompts: list[ReceivedPrompt] = []
        self.interrupts: list[InterruptRequest] = []
        self.websocket_clients: list[str] = []  # the clientId of every /ws connection, in order


class ServerState:
    def __init__(self, settings: DoubleSettings, files: FileStore, observations: Observations) -> None:
        self.settings = settings
        self.files = files
        self.observations = observations
        self.hub = Hub()
        self.queue = PromptQueue(self.hub)
        self.catalog = Catalog(settings, files)
        self.validator = Validator(self.catalog, files)
        self.executor = Executor(settings, self.hub, self.queue, self.catalog, files)
        self.number = 0  # server.number: per process, bumped by every POST /prompt with a JSON body
