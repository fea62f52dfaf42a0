"""Studio's refusals: each is an HTTP status plus a sentence naming the field and the reason."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str


class ErrorBody(msgspec.Struct):
    status_code: int
    detail: str
    errors: list[FieldError] = msgspec.field(default_factory=list)


class StudioError(Exception):
    status_code = 400

    def __init__(self, detail: str, errors: Iterable[FieldError] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)

    @classmethod
    def from_fields(cls, errors: list[FieldError]) -> StudioError:
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
        return cls(detail, errors)


class BadRequest(StudioError):
    status_code = 400


class NotFound(StudioError):
    status_code = 404


class Conflict(StudioError):
    status_code = 409


class PayloadTooLarge(StudioError):
    status_code = 413


class Unavailable(StudioError):
    status_code = 503
