"""Browser sessions: the web page signs in with an API key once and then sends a cookie instead.

- The cookie `studio_session` holds 256 random bits; Studio keeps only their SHA-256 (a random
  secret needs no salt or slow hash, like the keys' own secrets in tokens.py). It is HttpOnly (no
  script reads it), SameSite=Strict (no other site's page sends it), Path=/, and Secure when the
  request came over https (X-Forwarded-Proto from STUDIO_TRUSTED_PROXIES counts).
- A session acts as its key: revoking the key ends it at the next request (the key is read with
  the session), and closes its sockets like the key's.
- CSRF: a cookie-authenticated request that changes state must carry `X-CSRF-Token` with the
  session's token (a synchronizer token). The page gets it in the body of POST and GET
  /api/session, which no other site's page can read (no CORS); it is never in a cookie, so
  neither a script injected elsewhere nor a sibling subdomain can plant or read one, which a
  double-submit cookie would allow.
- Rotation: a cookie older than ROTATE_AFTER is replaced on a request (a new row, a new
  Set-Cookie); the old one keeps working for GRACE, for the requests already under way. The
  sign-in as a whole (its rows share the CSRF token) ends STUDIO_SESSION_HOURS after it began,
  or when signed out.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
import uuid
from typing import Annotated

import msgspec
from litestar.datastructures import Cookie
from litestar.types import Scope

from server.access.schemas import Role
from server.clock import utc_now
from server.db.tables import Session as SessionRow

COOKIE = "studio_session"
CSRF_HEADER = "x-csrf-token"
ROTATE_AFTER = datetime.timedelta(hours=1)
GRACE = datetime.timedelta(seconds=60)


class SignIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """POST /api/session: the API key to sign in with."""

    key: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class SessionView(msgspec.Struct, kw_only=True):
    """A browser's sign-in: whom it acts as, and the token its state-changing requests send as X-CSRF-Token."""

    name: str
    role: Role
    csrf_token: str


class StoredSession(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    key_id: uuid.UUID
    csrf_token: str
    created_at: datetime.datetime
    expires_at: datetime.datetime


class NewCookie(msgspec.Struct, kw_only=True, frozen=True):
    token: str
    expires_at: datetime.datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


async def start(key_id: uuid.UUID, hours: int) -> tuple[StoredSession, NewCookie]:
    """A new sign-in of the key, for `hours`."""
    now = utc_now()
    return await _insert(key_id, secrets.token_urlsafe(32), now, now + datetime.timedelta(hours=hours))


async def _insert(key_id: uuid.UUID, csrf_token: str, now: datetime.datetime, expires_at: datetime.datetime) -> tuple[StoredSession, NewCookie]:
    token = secrets.token_urlsafe(32)
    row = SessionRow(
        key_id=key_id, token_hash=_hash(token), csrf_token=csrf_token, created_at=now, last_seen_at=now, expires_at=expires_at
    )
    await SessionRow.insert(row)
    stored = StoredSession(id=row.id, key_id=key_id, csrf_token=csrf_token, created_at=now, expires_at=expires_at)
    return stored, NewCookie(token=token, expires_at=expires_at)


async def find(token: str) -> StoredSession | None:
    """The live session the cookie `token` opens: not signed out, not expired."""
    if len(token) > 100:
        return None
    row = await SessionRow.select(*_COLUMNS).where(
        (SessionRow.token_hash == _hash(token)) & SessionRow.revoked_at.is_null() & (SessionRow.expires_at > utc_now())
    ).first()
    return msgspec.convert(row, StoredSession) if row else None


async def rotate(session: StoredSession) -> NewCookie | None:
    """A new cookie for a session older than ROTATE_AFTER; None when it is younger, or when another
    request replaced it first (the old cookie lasts GRACE more: that request's answer carries the new one)."""
    now = utc_now()
    if now - session.created_at < ROTATE_AFTER:
        return None
    fading = now + GRACE
    won = await SessionRow.update({SessionRow.expires_at: fading}).where(
        (SessionRow.id == session.id) & (SessionRow.expires_at > fading)
    ).returning(SessionRow.id)
    if not won:
        return None
    _, cookie = await _insert(session.key_id, session.csrf_token, now, session.expires_at)
    return cookie


async def touch(session_id: uuid.UUID) -> None:
    await SessionRow.update({SessionRow.last_seen_at: utc_now()}).where(SessionRow.id == session_id)


async def end(csrf_token: str) -> None:
    """Sign out: every cookie of the sign-in (rotated ones too) stops working."""
    await SessionRow.update({SessionRow.revoked_at: utc_now()}).where(
        (SessionRow.csrf_token == csrf_token) & SessionRow.revoked_at.is_null()
    )


async def remove_ended(before: datetime.datetime) -> None:
    """Delete the rows of sessions that expired or were signed out before `before`."""
    await SessionRow.delete().where((SessionRow.expires_at < before) | (SessionRow.revoked_at < before))


def csrf_matches(sent: str | None, session: StoredSession) -> bool:
    return sent is not None and hmac.compare_digest(sent.encode("utf-8", "surrogatepass"), session.csrf_token.encode())


def is_https(scope: Scope) -> bool:
    """Whether the request came over https (its scheme, as ProxyHeaders set it from a trusted proxy)."""
    return scope["scheme"] in ("https", "wss")


def cookie(new: NewCookie | None, *, secure: bool) -> Cookie:
    """The Set-Cookie of a new session cookie; of an emptied one (Max-Age=0) for None."""
    max_age = 0 if new is None else max(0, int((new.expires_at - utc_now()).total_seconds()))
    return Cookie(
        key=COOKIE, value="" if new is None else new.token, max_age=max_age, path="/", secure=secure, httponly=True, samesite="strict"
    )


_COLUMNS = [SessionRow.id, SessionRow.key_id, SessionRow.csrf_token, SessionRow.created_at, SessionRow.expires_at]
