"""ComfyUI's default ("classic") output cache.

Entries are keyed by a node's input signature (class_type, IS_CHANGED, widget values and, through
links, the signatures of its ancestors), not by node id. Starting a prompt drops every entry the new
prompt does not use, so only the previous prompt's results can be reused (tests/data/comfyui/README.md,
"Pitfalls seen" 10).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, NamedTuple

from .graph import is_link


class CacheEntry(NamedTuple):
    ui: dict[str, Any] | None  # {"meta": ..., "output": ...} of a node with UI output
    outputs: tuple[Any, ...]


def to_hashable(value: Any) -> Hashable:
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, to_hashable(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return ("list", tuple(to_hashable(v) for v in value))
    return value


class OutputCache:
    def __init__(self) -> None:
        self._entries: dict[Hashable, CacheEntry] = {}
        self._keys: dict[str, Hashable] = {}

    def set_prompt(
        self,
        prompt: dict[str, Any],
        keyed_by_node_id: Callable[[str], bool],
        is_changed: Callable[[str], Hashable],
    ) -> None:
        memo: dict[str, Hashable] = {}

        def signature(node_id: str, visiting: frozenset[str]) -> Hashable:
            if node_id in memo:
                return memo[node_id]
            if node_id not in prompt or node_id in visiting:
                return object()  # missing node or cycle: never equal to anything, never cached
            node = prompt[node_id]
            parts: list[Hashable] = [node["class_type"], is_changed(node_id)]
            if keyed_by_node_id(node_id):
                parts.append(node_id)
            inputs = node.get("inputs", {})
            for key in sorted(inputs):
                value = inputs[key]
                if is_link(value):
                    parent = signature(value[0], visiting | {node_id})
                    parts.append((key, ("ANCESTOR", parent, value[1])))
                else:
                    parts.append((key, to_hashable(value)))
            memo[node_id] = sig = tuple(parts)
            return sig

        self._keys = {node_id: signature(node_id, frozenset()) for node_id in prompt}
        live = set(self._keys.values())
        self._entries = {k: v for k, v in self._entries.items() if k in live}

    def get(self, node_id: str) -> CacheEntry | None:
        key = self._keys.get(node_id)
        return None if key is None else self._entries.get(key)

    def set(self, node_id: str, entry: CacheEntry) -> None:
        self._entries[self._keys[node_id]] = entry
