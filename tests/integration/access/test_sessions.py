"""Browser sessions: sign in with a key once (POST /api/session), then an HttpOnly SameSite=Strict
cookie acts as the key; requests that change state also carry the session's CSRF token; signing
out, revoking the key or the session's age end it; an old cookie is rotated; other sites' pages
are refused whatever cookie they carry."""

from __future__ import annotations

import asyncio
import datetime
from http.cookies import SimpleCookie
from pathlib import Path

import httpx
import pytest
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient

from server.access import repository
from server.access.middleware import NO_CSRF
from server.access.policy import SESSION_ENDED
from server.access.sessions import COOKIE, GRACE
from server.config import Settings
from server.db.tables import Session as SessionRow
from server.events.schemas import CLOSE_REVOKED, KEY_REVOKED
from server.maintenance import clean_up
from server.storage import LocalStorage
from tests.common.live import receive
from tests.integration.access.test_links import bearer, make_key
from tests.served import serve_studio
from tests.tui.studio_data import make_key as make_stored_key

JOB = {"workflow": "text_to_image", "params": {"prompt": "a fox"}}


def sign_in(client: TestClient, key: str) -> tuple[httpx.Response, str]:
    """Signs `client` in; the answer and its CSRF token (the cookie is in the client's jar)."""
    response = client.post("/api/session", json={"key": key})
    assert response.status_code == 200, response.text
    return response, response.json()["csrf_token"]


def set_cookie(response: httpx.Response) -> SimpleCookie:
    [header] = response.headers.get_list("set-cookie")
    parsed = SimpleCookie()
    parsed.load(header)
    return parsed


def with_cookie(value: str) -> dict[str, str]:
    """Headers sending this session cookie (in place of the client's own)."""
    return {"cookie": f"{COOKIE}={value}"}


def age_sessions(client: TestClient, **changes: datetime.timedelta) -> None:
    """Move every session's timestamps named in `changes` by their deltas (as time passing does)."""

    async def update() -> None:
        for name, delta in changes.items():
            column = getattr(SessionRow, name)
            await SessionRow.update({column: column + delta}, force=True)

    client.blocking_portal.call(update)


def test_a_signed_in_browsers_cookie_acts_as_its_key(client: TestClient, settings: Settings) -> None:
    alice = make_key(client, "alice")
    response, csrf = sign_in(client, alice)
    assert response.json() == {"name": "alice", "role": "user", "csrf_token": csrf}
    cookie = set_cookie(response)[COOKIE]
    assert cookie["httponly"] and cookie["samesite"].lower() == "strict" and cookie["path"] == "/"
    assert not cookie["secure"], "plain http: a Secure cookie would never come back"
    assert int(cookie["max-age"]) == pytest.approx(settings.session_hours * 3600, abs=5)
    assert cookie.value not in (alice, csrf)

    assert client.get("/api/me").json()["name"] == "alice"
    assert client.get("/api/session").json() == response.json()  # a reloaded page gets its CSRF token back
    submitted = client.post("/api/jobs", json=JOB, headers={"X-CSRF-Token": csrf})
    assert submitted.status_code == 202 and submitted.json()["owner"] == "alice"


def test_a_sessions_state_changing_requests_need_its_csrf_token(client: TestClient) -> None:
    alice = make_key(client, "alice")
    _, csrf = sign_in(client, alice)
    job = client.post("/api/jobs", json=JOB, headers={"X-CSRF-Token": csrf}).json()
    for method, path, body in [
        ("POST", "/api/jobs", JOB), ("PUT", f"/api/jobs/{job['id']}/favorite", None), ("DELETE", f"/api/jobs/{job['id']}", None),
        ("DELETE", "/api/session", None),
    ]:
        for headers in ({}, {"X-CSRF-Token": "not-the-token"}, {"X-CSRF-Token": ""}):
            refused = client.request(method, path, json=body, headers=headers)
            assert (refused.status_code, refused.json()["detail"]) == (403, NO_CSRF), (method, path, headers)
    assert client.get(f"/api/jobs/{job['id']}").json()["favorite"] is False
    # A bearer key needs none, cookie or not: no browser sends one by itself.
    assert client.post("/api/jobs", json=JOB, headers=bearer(alice)).status_code == 202
    client.cookies.clear()
    assert client.put(f"/api/jobs/{job['id']}/favorite", headers=bearer(alice)).status_code == 200


def test_signing_out_ends_the_session_and_clears_its_cookie(client: TestClient) -> None:
    _, csrf = sign_in(client, make_key(client, "alice"))
    cookie = client.cookies[COOKIE]
    signed_out = client.delete("/api/session", headers={"X-CSRF-Token": csrf})
    assert signed_out.status_code == 204
    cleared = set_cookie(signed_out)[COOKIE]
    assert (cleared.value, cleared["max-age"]) == ("", "0")
    assert COOKIE not in client.cookies
    for path in ("/api/me", "/api/session"):
        refused = client.get(path, headers=with_cookie(cookie))
        assert (refused.status_code, refused.json()["detail"]) == (401, SESSION_ENDED)
    assert client.get("/api/session").status_code == 401  # no cookie at all


def test_signing_in_takes_a_key_studio_knows(client: TestClient) -> None:
    nope = {"key": "studio_000000000000_nope"}
    opened = client.post("/api/session", json=nope)
    assert opened.status_code == 409 and "needs no sign-in" in opened.json()["detail"]  # open: no keys yet
    revoked_key = make_key(client, "alice")
    [alice] = client.blocking_portal.call(repository.listed)
    client.blocking_portal.call(repository.revoke, alice.id)
    for body, sentence in [(nope, "not one Studio knows"), ({"key": revoked_key}, "was revoked on")]:
        refused = client.post("/api/session", json=body)
        assert refused.status_code == 401 and sentence in refused.json()["detail"]
        assert "set-cookie" not in refused.headers
    assert client.post("/api/session", json={}).status_code == 400
    # API clients may sign in with the bearer header instead of a body.
    assert client.post("/api/session", headers=bearer(make_key(client, "bob"))).json()["name"] == "bob"


def test_revoking_the_key_ends_its_sessions_and_closes_their_sockets(client: TestClient) -> None:
    alice = make_key(client, "alice")
    sign_in(client, alice)
    [key] = [key for key in client.blocking_portal.call(repository.listed) if key.name == "alice"]
    with client.websocket_connect("/ws/events", headers=with_cookie(client.cookies[COOKIE])) as feed:
        receive(feed)  # the snapshot: subscribed as alice
        client.blocking_portal.call(repository.revoke, key.id)
        refused = client.get("/api/me")
        assert refused.status_code == 401 and "was revoked on" in refused.json()["detail"]
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                receive(feed, timeout=2)
        assert (closed.value.code, closed.value.detail) == (CLOSE_REVOKED, KEY_REVOKED)


def test_an_hour_old_cookie_is_replaced_and_the_old_one_fades(client: TestClient, settings: Settings) -> None:
    _, csrf = sign_in(client, make_key(client, "alice"))
    first = client.cookies[COOKIE]
    assert "set-cookie" not in client.get("/api/me").headers  # young: kept
    age_sessions(client, created_at=-datetime.timedelta(hours=1, minutes=1))
    rotated = client.get("/api/me")
    second = set_cookie(rotated)[COOKIE]
    assert second.value != first and second["httponly"] and int(second["max-age"]) > settings.session_hours * 3600 - 60
    # Requests already under way with the old cookie still pass, and replace it no more.
    assert client.get("/api/me", headers=with_cookie(first)).headers.get("set-cookie") is None
    # The new cookie keeps the sign-in's CSRF token.
    assert client.post("/api/jobs", json=JOB, headers={**with_cookie(second.value), "X-CSRF-Token": csrf}).status_code == 202
    age_sessions(client, expires_at=-GRACE)  # the grace ran out (and the sign-in is a minute older)
    assert client.get("/api/me", headers=with_cookie(first)).status_code == 401
    assert client.get("/api/me", headers=with_cookie(second.value)).status_code == 200


def test_a_session_ends_after_session_hours(client: TestClient, settings: Settings) -> None:
    sign_in(client, make_key(client, "alice"))
    age_sessions(client, expires_at=-datetime.timedelta(hours=settings.session_hours))
    refused = client.get("/api/me")
    assert (refused.status_code, refused.json()["detail"]) == (401, SESSION_ENDED)
    client.blocking_portal.call(clean_up, settings, LocalStorage(settings.data_path))  # retention's hourly pass
    assert client.blocking_portal.call(SessionRow.count) == 0


def test_other_sites_pages_are_refused_with_the_cookie(client: TestClient) -> None:
    _, csrf = sign_in(client, make_key(client, "alice"))
    evil = {"Origin": "https://evil.example", "X-CSRF-Token": csrf}
    refused = client.post("/api/jobs", json=JOB, headers=evil)
    assert refused.status_code == 403 and "Refused a request from the web page at 'https://evil.example'" in refused.json()["detail"]
    assert client.post("/api/session", json={"key": "x"}, headers={"Origin": "https://evil.example"}).status_code == 403
    cookie = with_cookie(client.cookies[COOKIE])
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect("/ws/events", headers={**cookie, "origin": "https://evil.example"}) as socket:
            socket.receive_text(timeout=5)
    with client.websocket_connect("/ws/events", headers={**cookie, "origin": "http://testserver.local"}) as socket:
        receive(socket)  # Studio's own page: the snapshot
    assert client.post("/api/jobs", json=JOB, headers={**evil, "Origin": "http://testserver.local"}).status_code == 202


def test_the_cookie_is_secure_over_https_as_a_trusted_proxy_says(tmp_path: Path) -> None:
    with serve_studio(tmp_path, {"STUDIO_TRUSTED_PROXIES": "127.0.0.1"}) as served:
        body = {"key": asyncio.run(make_stored_key(tmp_path / "data", "alice"))}
        for proto, secure in [("https", True), ("http", False)]:
            response = httpx.post(f"{served.url}/api/session", json=body, headers={"X-Forwarded-Proto": proto})
            assert response.status_code == 200, response.text
            assert bool(set_cookie(response)[COOKIE]["secure"]) is secure
