"""Pending heap, running item and history, like ComfyUI's PromptQueue (all in memory)."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from dataclasses import dataclass, field
from typing import Any

from .hub import Hub

MAXIMUM_HISTORY_SIZE = 10000


@dataclass(order=True)
class QueueItem:
    """[number, prompt_id, prompt, extra_data, outputs_to_execute] plus the secrets kept out of /queue."""

    number: float
    prompt_id: str
    seq: int  # tie-breaker: ComfyUI would compare the prompt dicts (and crash) here
    prompt: dict[str, Any] = field(compare=False)
    extra_data: dict[str, Any] = field(compare=False)
    outputs: list[str] = field(compare=False)
    sensitive: dict[str, Any] = field(compare=False)

    def public(self) -> list[Any]:
        return [self.number, self.prompt_id, self.prompt, self.extra_data, self.outputs]


class PromptQueue:
    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._heap: list[QueueItem] = []
        self._seq = itertools.count()
        self._not_empty = asyncio.Event()
        self.running: QueueItem | None = None
        self.history: dict[str, dict[str, Any]] = {}

    # -- queue ---------------------------------------------------------------------------------
    def put(
        self,
        number: float,
        prompt_id: str,
        prompt: dict[str, Any],
        extra_data: dict[str, Any],
        outputs: list[str],
        sensitive: dict[str, Any],
    ) -> None:
        item = QueueItem(number, prompt_id, next(self._seq), prompt, extra_data, outputs, sensitive)
        heapq.heappush(self._heap, item)
        self._not_empty.set()
        self.notify()

    async def get(self) -> QueueItem:
        while not self._heap:
            self._not_empty.clear()
            await self._not_empty.wait()
        self.running = heapq.heappop(self._heap)
        self.notify()  # second status of a submission: "taken by the worker"
        return self.running

    def complete(self, item: QueueItem, outputs: dict[str, Any], meta: dict[str, Any], status: dict[str, Any]) -> None:
        """Store the history entry and free the worker. The caller sends `status` afterwards."""
        self.running = None
        if len(self.history) > MAXIMUM_HISTORY_SIZE:
            self.history.pop(next(iter(self.history)))
        self.history[item.prompt_id] = {"prompt": item.public(), "outputs": outputs, "status": status, "meta": meta}

    def remaining(self) -> int:
        return len(self._heap) + (self.running is not None)

    def notify(self) -> None:
        self._hub.send_json("status", {"status": self.info()}, None)

    def info(self) -> dict[str, Any]:
        return {"exec_info": {"queue_remaining": self.remaining()}}

    def snapshot(self) -> dict[str, list[list[Any]]]:
        # Pending items in heap order, not sorted, like the real /queue.
        running = [self.running.public()] if self.running is not None else []
        return {"queue_running": running, "queue_pending": [item.public() for item in self._heap]}

    def delete(self, prompt_id: str) -> None:
        """Only pending items can be deleted; the running one is untouched."""
        for i, item in enumerate(self._heap):
            if item.prompt_id == prompt_id:
                self._heap.pop(i)
                heapq.heapify(self._heap)
                self.notify()
                return

    def wipe(self) -> None:
        self._heap.clear()
        self.notify()

    # -- history -------------------------------------------------------------------------------
    def history_page(self, max_items: int | None, offset: int) -> dict[str, Any]:
        # PromptQueue.get_history: oldest first; max_items alone means the last N.
        if offset < 0 and max_items is not None:
            offset = len(self.history) - max_items
        out: dict[str, Any] = {}
        for i, (prompt_id, entry) in enumerate(self.history.items()):
            if i >= offset:
                out[prompt_id] = entry
                if max_items is not None and len(out) >= max_items:
                    break
        return out

    def delete_history(self, prompt_id: str) -> None:
        self.history.pop(prompt_id, None)

    def wipe_history(self) -> None:
        self.history.clear()
