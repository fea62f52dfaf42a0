# The README's receiver snippet (section "Webhooks"), verbatim: the tests verify Studio's signatures with it.
import base64, hashlib, hmac, time

def verify(secret: str, headers: dict, body: bytes) -> bool:
    """True when Studio signed this body; `headers` with lower-case names, `secret` the whsec_... one."""
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > 300:  # an old delivery replayed by someone else
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, sig.partition(",")[2]) for sig in headers["webhook-signature"].split())
