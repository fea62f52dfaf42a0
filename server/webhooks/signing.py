"""Standard Webhooks signatures (https://www.standardwebhooks.com): secrets in the `whsec_<base64>`
form, one per key (made with it) or the server's, and the headers every attempt carries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from server.access.links import load_secret
from server.config import Settings, webhook_secret_bytes

SECRET_FILE = "webhook_secret"


def new_secret() -> str:
    """A key's own secret: 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def server_secret(settings: Settings) -> str:
    """STUDIO_WEBHOOK_SECRET, or the one kept in <data dir>/webhook_secret (made by whichever
    process needs it first). Raises ConfigError when that file can neither be read nor made."""
    if settings.webhook_secret:
        return settings.webhook_secret
    return "whsec_" + base64.b64encode(load_secret(settings.data_path / SECRET_FILE, "webhook secret", "STUDIO_WEBHOOK_SECRET")).decode()


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The `webhook-id`, `webhook-timestamp` and `webhook-signature` of one attempt."""
    key = webhook_secret_bytes(secret)
    assert key is not None, "secrets are checked where they are made"
    signed = f"{message_id}.{timestamp}.".encode() + body
    signature = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": f"v1,{signature}"}
