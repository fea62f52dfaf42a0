"""What the screens share: typed access to the app; the main screens' tabs and keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, TypeVar, cast

from textual.binding import Binding
from textual.screen import Screen

from tui.widgets.top_bar import Tab, TopBar

if TYPE_CHECKING:
    from tui.app import StudioApp

Result = TypeVar("Result")

# The app's modes, in key order.
TABS = (Tab("1", "queue", "Queue"), Tab("2", "history", "History"), Tab("3", "stats", "Stats"))


class StudioScreen(Screen[Result]):
    @property
    def studio(self) -> StudioApp:
        return cast("StudioApp", self.app)


class MainScreen(StudioScreen[None]):
    """A mode of the app: its top bar shows the tabs, and their keys switch between them (the
    footer leaves them out: the tabs say them)."""

    BINDINGS = [Binding(tab.key, f"app.switch_mode('{tab.mode}')", tab.title, show=False) for tab in TABS]
    PLACE: ClassVar[str]

    def top_bar(self) -> TopBar:
        return TopBar(self.PLACE, TABS)
