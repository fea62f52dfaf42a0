"""Whose jobs to show: an admin's choice among the key names; hidden from everyone else."""

from __future__ import annotations

from textual.widgets import Select


class OwnerSelect(Select[str]):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__([], prompt="any owner", id=id, compact=True)

    def on_mount(self) -> None:
        self.watch(self.app, "owners", self._offer)

    def _offer(self, owners: tuple[str, ...] | None) -> None:
        self.display = owners is not None
        chosen = self.value
        self.set_options((name, name) for name in owners or ())
        if isinstance(chosen, str) and chosen in (owners or ()):
            self.value = chosen  # the key list was reloaded: the choice stays

    @property
    def owner(self) -> str | None:
        return self.value if isinstance(self.value, str) else None
