"""The audit log: one line per key made or revoked, and per admin action on someone else's job."""

from __future__ import annotations

import logging

from server.access.schemas import Caller

log = logging.getLogger("studio.audit")


def record(actor: Caller | str, action: str, target: str) -> None:
    """`actor`: the caller, or who acted outside the API (the `studio keys` command)."""
    name = actor if isinstance(actor, str) else (actor.name or "(open)")
    log.info("audit: key=%s action=%s target=%s", name, action, target, extra={"key": name, "action": action, "target": target})
