"""What the screens share: typed access to the app."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

from textual.screen import Screen

if TYPE_CHECKING:
    from tui.app import StudioApp

Result = TypeVar("Result")


class StudioScreen(Screen[Result]):
    @property
    def studio(self) -> StudioApp:
        return cast("StudioApp", self.app)
