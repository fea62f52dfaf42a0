"""API key secrets: made once, shown once, stored as a keyed hash.

A key reads `studio_<prefix>_<secret>`. The prefix finds the row (and tells keys apart in
listings); the secret, 256 random bits, is checked against HMAC-SHA256(salt, key) in constant
time. A slow hash (argon2, scrypt) protects guessable passwords; a random 256-bit secret is not
guessable, and a fast check keeps every request cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import msgspec

PREFIX_BYTES = 6  # 12 hex digits
START = "studio_"


class Token(msgspec.Struct, frozen=True):
    prefix: str
    secret: str

    @property
    def text(self) -> str:
        return f"{START}{self.prefix}_{self.secret}"


class StoredSecret(msgspec.Struct, frozen=True):
    salt: str
    key_hash: str


def new_token() -> Token:
    return Token(secrets.token_hex(PREFIX_BYTES), secrets.token_urlsafe(32))


def parse(text: str) -> Token | None:
    """The parts of a key as a client sent it; None when it is not shaped like one."""
    if not text.startswith(START):
        return None
    prefix, _, secret = text.removeprefix(START).partition("_")
    if len(prefix) != 2 * PREFIX_BYTES or not secret or len(secret) > 100:
        return None
    return Token(prefix, secret)


def stored(token: Token) -> StoredSecret:
    salt = secrets.token_hex(16)
    return StoredSecret(salt, _digest(salt, token))


def matches(token: Token, secret: StoredSecret) -> bool:
    return hmac.compare_digest(_digest(secret.salt, token), secret.key_hash)


def _digest(salt: str, token: Token) -> str:
    return hmac.new(salt.encode(), token.text.encode(), hashlib.sha256).hexdigest()
