"""The line above every screen: where you are, and whether the live feed is connected."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rich.text import Text
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


class Tab(NamedTuple):
    """One of the app's main screens (its modes), and the key that shows it."""

    key: str
    mode: str
    title: str


class ConnectionBadge(Static):
    def on_mount(self) -> None:
        self.watch(self.app, "connection", self._show)

    def _show(self, state: str) -> None:
        self.update(BADGES[state])
        for name in BADGES:
            self.set_class(name == state, f"-{name}")


class TopBar(Horizontal):
    """`place` is where you are; on a main screen, `tabs` name all of them with their keys."""

    def __init__(self, place: str, tabs: Sequence[Tab] = ()) -> None:
        super().__init__()
        self.place = place
        self.tabs = tabs

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="place")
        yield ConnectionBadge(id="connection")

    def _title(self) -> Text:
        if not self.tabs:
            return Text(f"Studio › {self.place}")
        title = Text("Studio ")
        for tab in self.tabs:
            title.append(f" {tab.key} {tab.title} ", style="reverse" if tab.title == self.place else "not bold")
        return title
