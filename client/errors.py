from __future__ import annotations


class ClientError(Exception):
    """Studio could not be asked, or refused: the message is one sentence for the user.

    `usage` marks refusals of what the user asked (4xx, unknown job) as opposed to failures to
    reach Studio at all.
    """

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage
