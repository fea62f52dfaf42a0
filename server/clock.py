"""Studio's one clock: timezone-aware UTC, as every timestamp column and event carries it."""

from __future__ import annotations

import datetime


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)
