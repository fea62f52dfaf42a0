"""Which node runs next: a port of ComfyUI's ExecutionList (comfy_execution/graph.py).

The exact algorithm matters because clients see it: e.g. capture 02 runs 1,2,7,4,3,5,6 because an
output node (PreviewImage 7) is picked as soon as it is ready, and capture 06 runs 2 before 1.
Nodes served from cache are never added, so a fully cached prompt only "runs" its output nodes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def is_link(value: Any) -> bool:
    return (
        isinstance(value, list) and len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], (int, float))
    )


class DependencyCycle(Exception):
    pass


class ExecutionList:
    def __init__(
        self, prompt: dict[str, Any], is_output: Callable[[str], bool], is_cached: Callable[[str], bool]
    ) -> None:
        self._prompt = prompt
        self._is_output = is_output
        self._is_cached = is_cached
        # Insertion order matters: ready nodes are considered in the order they were added.
        self._pending: dict[str, None] = {}
        self._block_count: dict[str, int] = {}
        self._blocking: dict[str, dict[str, set[Any]]] = {}

    def add_node(self, unique_id: str) -> None:
        node_ids = [unique_id]
        links: list[tuple[str, Any, str]] = []
        while node_ids:
            uid = node_ids.pop()
            if uid in self._pending:
                continue
            self._pending[uid] = None
            self._block_count[uid] = 0
            self._blocking[uid] = {}
            for value in self._prompt[uid]["inputs"].values():
                if is_link(value):
                    from_id, socket = value
                    if not self._is_cached(from_id):
                        node_ids.append(from_id)
                    links.append((from_id, socket, uid))
        for from_id, socket, to_id in links:
            if not self._is_cached(from_id):
                self.add_node(from_id)
                if to_id not in self._blocking[from_id]:
                    self._blocking[from_id][to_id] = set()
                    self._block_count[to_id] += 1
                self._blocking[from_id][to_id].add(socket)

    def is_empty(self) -> bool:
        return not self._pending

    def pending(self) -> list[str]:
        return list(self._pending)

    def next_node(self) -> str:
        ready = [n for n in self._pending if self._block_count[n] == 0]
        if not ready:
            raise DependencyCycle(next(iter(self._pending)))
        return self._ux_friendly_pick(ready)

    def complete(self, node_id: str) -> None:
        del self._pending[node_id]
        for blocked in self._blocking.pop(node_id):
            self._block_count[blocked] -= 1

    def _ux_friendly_pick(self, ready: list[str]) -> str:
        # Output nodes first, then nodes feeding an output, then nodes two steps away from one.
        for node_id in ready:
            if self._is_output(node_id):
                return node_id
        for node_id in ready:
            if any(self._is_output(b) for b in self._blocking[node_id]):
                return node_id
        for node_id in ready:
            for b in self._blocking[node_id]:
                if any(self._is_output(b1) for b1 in self._blocking[b]):
                    return node_id
        return ready[0]
