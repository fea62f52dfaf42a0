"""Studio's refusals: each is an HTTP status plus a sentence naming the field and the reason.

A refusal stays small whatever was sent: it lists at most MAX_LISTED field errors (then
"and N more") and quotes the client's values only through `echo`, cut to a few dozen characters.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Iterable

import msgspec
from litestar.openapi import ResponseSpec

MAX_LISTED = 20

_echo = reprlib.Repr()
_echo.maxstring = _echo.maxother = _echo.maxlong = 40
_echo.maxlevel = 2


def clip(text: str, limit: int = 60) -> str:
    """Client-chosen text (an unknown parameter's name, a path) as a refusal names it: cut short."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def echo(value: object) -> str:
    """`value` as a refusal quotes it: its repr, cut short (strings, numbers, nested lists alike)."""
    return clip(_echo.repr(value), 80)


def has_nul(text: str) -> bool:
    # PostgreSQL cannot store U+0000 in text, and no prompt or name needs it: refused everywhere.
    return "\x00" in text


NUL_MESSAGE = "must not contain NUL (U+0000) characters"


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str


class ErrorBody(msgspec.Struct):
    status_code: int
    detail: str
    errors: list[FieldError] = msgspec.field(default_factory=list)


# What each refusal means, for the OpenAPI description of the routes that can answer it.
_MEANINGS = {
    400: "Bad input: the field and the reason, in `detail` and `errors` (or a Host Studio is not served as)",
    401: "No API key, or one that is unknown or revoked (only while Studio has keys or listens beyond loopback)",
    403: "The route needs an admin key",
    404: "No such job, workflow, upload or file",
    409: "The job's status does not allow this action",
    413: "The body is over the size limit",
    429: "A limit of the key is reached; `Retry-After` says when to try again",
    426: "Not a WebSocket handshake",
    503: "A store or ComfyUI is unreachable, or the queue is full",
}


def error_response(description: str) -> ResponseSpec:
    """One refusal in a route's OpenAPI `responses`: an ErrorBody."""
    return ResponseSpec(ErrorBody, description=description, generate_examples=False)


def error_responses(*codes: int) -> dict[int, ResponseSpec]:
    """The OpenAPI `responses` of a route's refusals. 400 is always one: any request can be
    malformed (a bad Host, a bad parameter)."""
    return {code: error_response(_MEANINGS[code]) for code in sorted({400, *codes})}


class StudioError(Exception):
    status_code = 400
    # Response headers the refusal needs (WWW-Authenticate, Retry-After).
    headers: dict[str, str] = {}

    def __init__(self, detail: str, errors: Iterable[FieldError] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)

    @classmethod
    def from_fields(cls, errors: list[FieldError], unlisted: int = 0) -> StudioError:
        """The first MAX_LISTED errors in full; the rest (and `unlisted` ones never built) counted."""
        listed = errors[:MAX_LISTED]
        more = unlisted + len(errors) - len(listed)
        detail = "; ".join(f"{e.field}: {e.message}" for e in listed)
        if more:
            detail += f"; and {more} more"
        return cls(detail, listed)


class BadRequest(StudioError):
    status_code = 400


class Unauthorized(StudioError):
    status_code = 401
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(StudioError):
    status_code = 403


class NotFound(StudioError):
    status_code = 404


class Conflict(StudioError):
    status_code = 409


class PayloadTooLarge(StudioError):
    status_code = 413


def retry_after_header(seconds: float) -> dict[str, str]:
    # HTTP's Retry-After is whole seconds; never 0, which would invite a retry storm.
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


class TooManyRequests(StudioError):
    status_code = 429

    def __init__(self, detail: str, *, retry_after: float) -> None:
        super().__init__(detail)
        self.headers = retry_after_header(retry_after)


class Unavailable(StudioError):
    status_code = 503

    def __init__(self, detail: str, errors: Iterable[FieldError] = (), *, retry_after: float | None = None) -> None:
        super().__init__(detail, errors)
        if retry_after is not None:
            self.headers = retry_after_header(retry_after)
