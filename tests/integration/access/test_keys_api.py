"""/api/keys as admins use it: make, list and revoke keys over HTTP, every make and revoke in the
audit log; a user key is refused every key route; /schema shows the bearer scheme."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest
from litestar.testing import TestClient

from tests.integration.api.test_openapi import operations, schema


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def make_key(client: TestClient, name: str, admin_key: str | None = None, **fields: object) -> dict:
    response = client.post("/api/keys", json={"name": name, **fields}, headers=bearer(admin_key) if admin_key else {})
    assert response.status_code == 201, response.text
    return response.json()


def test_the_first_admin_key_made_over_the_api_closes_studio_to_requests_without_one(client: TestClient) -> None:
    """Open (no key, loopback) every caller is an admin, so the first key can be made over the API too."""
    root = make_key(client, "root", role="admin")
    assert root["key"].startswith(f"studio_{root['info']['prefix']}_")
    assert root["info"]["role"] == "admin" and root["info"]["revoked_at"] is None

    refused = client.get("/api/keys")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert refused.json()["detail"].startswith("Studio wants an API key")
    assert client.get("/health").status_code == 200  # probes need no key

    listed = client.get("/api/keys", headers=bearer(root["key"]))
    assert listed.status_code == 200
    assert listed.json() == [root["info"] | {"last_used_at": listed.json()[0]["last_used_at"]}]
    assert listed.json()[0]["last_used_at"] is not None
    assert root["key"] not in listed.text and "hash" not in listed.text


def test_an_admin_makes_lists_revokes_and_rotates_a_key(client: TestClient) -> None:
    root = make_key(client, "root", role="admin")["key"]
    limits = {"max_queued": 5, "submits_per_minute": 10, "gpu_minutes_per_day": 60, "upload_bytes": 500 * 1024**2, "priority": 2}
    alice = make_key(client, "alice", root, limits=limits)
    assert alice["info"]["role"] == "user" and alice["info"]["limits"] == limits
    assert client.get("/api/jobs", headers=bearer(alice["key"])).status_code == 200

    again = client.post("/api/keys", json={"name": "alice"}, headers=bearer(root))
    assert again.status_code == 409
    assert again.json()["detail"] == (
        f"The API key 'alice' ({alice['info']['prefix']}) is active; to rotate it, revoke it first "
        f"(`studio keys revoke alice` or POST /api/keys/{alice['info']['id']}/revoke), or choose another name."
    )

    revoked = client.post(f"/api/keys/{alice['info']['id']}/revoke", headers=bearer(root))
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None and revoked.json()["prefix"] == alice["info"]["prefix"]
    gone = client.get("/api/jobs", headers=bearer(alice["key"]))
    assert gone.status_code == 401 and "was revoked on" in gone.json()["detail"]

    twice = client.post(f"/api/keys/{alice['info']['id']}/revoke", headers=bearer(root))
    assert twice.status_code == 409
    assert twice.json()["detail"] == f"The API key 'alice' ({alice['info']['prefix']}) is already revoked."
    unknown = client.post(f"/api/keys/{uuid.uuid4()}/revoke", headers=bearer(root))
    assert unknown.status_code == 404

    rotated = make_key(client, "alice", root)  # a revoked key's name is free again
    assert client.get("/api/jobs", headers=bearer(rotated["key"])).status_code == 200
    assert client.get("/api/jobs", headers=bearer(alice["key"])).status_code == 401
    listed = client.get("/api/keys", headers=bearer(root)).json()
    assert [(key["name"], key["prefix"], key["revoked_at"] is not None) for key in listed[1:]] == [
        ("alice", alice["info"]["prefix"], True),
        ("alice", rotated["info"]["prefix"], False),
    ]


def test_a_user_key_is_refused_every_key_route(client: TestClient) -> None:
    root = make_key(client, "root", role="admin")["key"]
    alice = make_key(client, "alice", root)
    user = bearer(alice["key"])
    sentence = "/api/keys needs an admin key; the key 'alice' is a user key."
    for response in (
        client.get("/api/keys", headers=user),
        client.post("/api/keys", json={"name": "mallory", "role": "admin"}, headers=user),
    ):
        assert response.status_code == 403 and response.json()["detail"] == sentence
    revoke = client.post(f"/api/keys/{alice['info']['id']}/revoke", headers=user)
    assert revoke.status_code == 403
    assert revoke.json()["detail"] == f"/api/keys/{alice['info']['id']}/revoke needs an admin key; the key 'alice' is a user key."
    names = [key["name"] for key in client.get("/api/keys", headers=bearer(root)).json()]
    assert names == ["root", "alice"]  # no mallory; alice not revoked
    assert client.get("/api/keys", headers=bearer(root)).json()[1]["revoked_at"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "two words"}, "name"),
        ({"name": "x" * 65}, "name"),
        ({"name": "carol", "role": "owner"}, "role"),
        ({"name": "carol", "limits": {"max_queued": 0}}, "limits.max_queued"),
        ({"name": "carol", "limits": {"priority": 101}}, "limits.priority"),
        ({"name": "carol", "key_hash": "mine"}, "key_hash"),
    ],
)
def test_a_key_that_cannot_be_made_is_refused_with_the_field(client: TestClient, body: dict, field: str) -> None:
    response = client.post("/api/keys", json=body)
    assert response.status_code == 400, response.text
    assert field in response.json()["detail"]
    assert client.get("/api/keys").json() == []


def test_making_and_revoking_keys_is_audited(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="studio.audit")
    root = make_key(client, "root", role="admin")
    alice = make_key(client, "alice", root["key"])
    client.post(f"/api/keys/{alice['info']['id']}/revoke", headers=bearer(root["key"]))
    audit = [record.getMessage() for record in caplog.records if record.name == "studio.audit"]
    assert audit == [
        f"audit: key=(open) action=create key target=root ({root['info']['prefix']})",
        f"audit: key=root action=create key target=alice ({alice['info']['prefix']})",
        f"audit: key=root action=revoke key target=alice ({alice['info']['prefix']})",
    ]


def test_the_schema_shows_the_bearer_scheme_and_the_key_routes(client: TestClient) -> None:
    document = schema(client)
    assert document["components"]["securitySchemes"] == {"apiKey": {"type": "http", "scheme": "bearer"}}
    assert document["security"] == [{"apiKey": []}]
    assert document["paths"]["/health"]["get"]["security"] == [{}]  # needs none
    assert document["paths"]["/outputs/{path}"]["get"]["security"] == [{"apiKey": []}, {}]  # or a signed link
    assert document["paths"]["/thumbs/{path}"]["get"]["security"] == [{"apiKey": []}, {}]  # a thumbnail's too
    assert document["paths"]["/api/session"]["post"]["security"] == [{}]  # sign-in: the key is what it sends
    for name, operation in operations(document):
        if name not in ("GET /health", "GET /outputs/{path}", "GET /thumbs/{path}", "POST /api/session"):
            assert "security" not in operation and "401" in operation["responses"], name  # the document's: a key
    keys = {name: set(operation["responses"]) for name, operation in operations(document) if "/api/keys" in name}
    assert keys == {
        "GET /api/keys": {"200", "400", "401", "403"},
        "POST /api/keys": {"201", "400", "401", "403", "409", "415"},
        "POST /api/keys/{key_id}/revoke": {"200", "400", "401", "403", "404", "409"},
    }


def test_two_keys_made_at_once_under_one_name_leave_one_active(database_url: str) -> None:
    """The check for an active key of the name is the database's unique index, not a read before
    the insert: made at the same moment, one key gets the name and the others a 409."""
    from server.access.schemas import KeyCreate
    from server.access.service import KeyService
    from server.db.engine import connect, disconnect
    from server.errors import Conflict

    async def race() -> list[object]:
        engine = await connect(database_url)
        try:
            return await asyncio.gather(
                *(KeyService().create(KeyCreate(name="alice"), "test") for _ in range(8)), return_exceptions=True
            )
        finally:
            await disconnect(engine)

    outcomes = asyncio.run(race())
    assert sum(not isinstance(outcome, BaseException) for outcome in outcomes) == 1
    assert all(isinstance(outcome, Conflict) for outcome in outcomes if isinstance(outcome, BaseException)), outcomes
