from __future__ import annotations

import msgspec

# What to do about a 401 when no key was sent (with a key, Studio's own sentence says what is wrong with it).
NO_KEY = (
    "Studio wants an API key: pass --api-key KEY or set STUDIO_API_KEY "
    "(an admin makes one with `studio keys create NAME`)."
)


class ClientError(Exception):
    """Studio could not be asked, or refused: the message is one sentence for the user.

    `usage` marks refusals of what the user asked (4xx, unknown job) as opposed to failures to
    reach Studio at all.
    """

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


class KeyRefused(ClientError):
    """Studio answered 401: no key was sent, or it does not take this one. Asking again will not help."""

    def __init__(self, message: str) -> None:
        super().__init__(message, usage=True)


class _ErrorBody(msgspec.Struct):
    detail: str


def detail_of(body: bytes) -> str | None:
    """The `detail` sentence of Studio's ErrorBody; None for a body that is not one."""
    try:
        return msgspec.json.decode(body, type=_ErrorBody).detail
    except msgspec.DecodeError:
        return None


def key_refused(body: bytes, api_key: str | None) -> KeyRefused:
    """A 401 as a sentence the user can act on."""
    return KeyRefused((detail_of(body) or "Studio refused the API key.") if api_key else NO_KEY)
