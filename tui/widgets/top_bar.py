"""The line above every screen: where you are, and whether the live feed is connected."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

# Connection states of the live feed, as the app's `connection` reactive holds them.
BADGES = {
    "connecting": "◌ connecting",
    "connected": "● live",
    "disconnected": "○ offline · retrying",
    "refused": "✕ no access · API key",
}


class ConnectionBadge(Static):
    def on_mount(self) -> None:
        self.watch(self.app, "connection", self._show)

    def _show(self, state: str) -> None:
        self.update(BADGES[state])
        for name in BADGES:
            self.set_class(name == state, f"-{name}")


class TopBar(Horizontal):
    def __init__(self, place: str) -> None:
        super().__init__()
        self.place = place

    def compose(self) -> ComposeResult:
        yield Static(f"Studio › {self.place}", id="place")
        yield ConnectionBadge(id="connection")
