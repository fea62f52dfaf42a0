"""What the TUI told its user: every notification it posted, seen through the message hook of
Textual's `run_test` (its public API) rather than the app's private list of those still shown."""

from __future__ import annotations

from textual.message import Message
from textual.notifications import Notification, Notify


class Notices:
    """Pass as `app.run_test(message_hook=...)`; `posted` holds the notifications in order."""

    def __init__(self) -> None:
        self.posted: list[Notification] = []

    def __call__(self, message: Message) -> None:
        if isinstance(message, Notify):
            self.posted.append(message.notification)
