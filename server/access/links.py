"""Signed output links: `/outputs/<job id>/<file>?exp=<unix time>&sig=<HMAC>` opens that one file
without a key until `exp`, so a browser tab or an image viewer can show it.

The signature is HMAC-SHA256 over the path and `exp`, keyed with STUDIO_SECRET or, when that is
empty, 32 random bytes kept in `<data dir>/secret` (made by whichever process starts first). Scaled
out, every API host must sign with the same key: set STUDIO_SECRET on every API host (or give them
one data dir). Workers never sign: the API signs the jobs it hands out.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path
from urllib.parse import urlencode

from server.config import ConfigError, Settings

SECRET_BYTES = 32
SECRET_FILE = "secret"
# exp is rounded up to a multiple of lifetime / STEPS, so the same link repeats for that long
# (browsers cache it) and lives between link_seconds and link_seconds + step.
STEPS = 24


class LinkSigner:
    def __init__(self, secret: bytes, lifetime: int) -> None:
        self._secret = secret
        self.lifetime = lifetime
        self.step = max(1, lifetime // STEPS)

    @classmethod
    def from_settings(cls, settings: Settings) -> LinkSigner:
        """Raises ConfigError when the secret file can neither be read nor made."""
        secret = settings.secret.encode() if settings.secret else load_secret(settings.data_path / SECRET_FILE)
        return cls(secret, settings.link_seconds)

    def sign(self, url: str, exp: int | None = None) -> str:
        """`url` (a path, no query) with `exp` (default: link_seconds from now, rounded up) and its signature."""
        if exp is None:
            exp = (int(time.time()) + self.lifetime + self.step - 1) // self.step * self.step
        return f"{url}?{urlencode({'exp': exp, 'sig': self._signature(url, exp)})}"

    def verify(self, path: str, exp: int, sig: str) -> bool:
        """Whether `sig` signs exactly `path` until `exp`, and `exp` has not passed."""
        # As bytes: compare_digest refuses text that is not ASCII, and a request may send any.
        return not self.expired(exp) and hmac.compare_digest(self._signature(path, exp).encode(), _bytes(sig))

    def expired(self, exp: int) -> bool:
        return exp < time.time()

    def _signature(self, path: str, exp: int) -> str:
        digest = hmac.new(self._secret, _bytes(f"{path}\n{exp}"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # a URL's lone surrogates too


def load_secret(path: Path, what: str = "link secret", setting: str = "STUDIO_SECRET") -> bytes:
    """The key kept in `path`, made first if missing; errors name it `what`, set instead by `setting`."""
    try:
        if not path.exists():
            _make_secret(path)
        secret = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"Could not read or make the {what} {path} ({exc.strerror or exc}); "
            f"make the data dir writable, or set {setting}."
        ) from None
    if not secret:
        raise ConfigError(f"The {what} {path} is empty: delete it and Studio makes a new one, or set {setting}.")
    return secret


def _make_secret(path: Path) -> None:
    """Two processes starting together agree on the key: each writes one whole to a file of its
    own, then links it into place, which only the first can do."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(secrets.token_bytes(SECRET_BYTES))
        with contextlib.suppress(FileExistsError):  # another process was first: its key is the key
            os.link(partial, path)
    finally:
        partial.unlink(missing_ok=True)
