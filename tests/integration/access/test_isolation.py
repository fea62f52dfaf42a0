"""Isolation between keys, route by route. A user key sees and touches only its own jobs, uploads
and events: someone else's answer exactly as if they did not exist. An admin sees everyone's. No
key is 401 on every route but /health. A revoked key is refused at once, and its open sockets are
closed within a second, however it was revoked (here in the database, as `studio keys revoke` in
another process does).

Every route of the app is either covered below or exempt with a reason: a new route fails
test_every_route_is_covered_or_exempt until it is one or the other."""

from __future__ import annotations

import asyncio
import io
import logging
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import msgspec
import pytest
from litestar.exceptions import WebSocketDisconnect
from litestar.routes import HTTPRoute
from litestar.testing import TestClient
from PIL import Image
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from server.access import repository
from server.access.policy import NO_KEY
from server.access.schemas import KeyLimits, Role
from server.access.tokens import new_token, stored
from server.config import Settings
from server.db.engine import bind
from server.events.bus import EventBus
from server.events.schemas import CLOSE_REVOKED, KEY_REVOKED, JobCreated, JobSnapshot, QueueSnapshot, QueueTotals
from server.web.routes import PAGE_PATHS, PREFIX
from tests.common.live import receive, receive_job_events
from tests.served import ServedStudio, serve_studio

JOB = "{job_id:uuid}"

# Routes that act on one job: bob on alice's job gets what he gets for no job at all (404, the same sentence).
JOB_ROUTES: dict[tuple[str, str], dict] = {
    ("GET", f"/api/jobs/{JOB}"): {},
    ("DELETE", f"/api/jobs/{JOB}"): {},
    ("POST", f"/api/jobs/{JOB}/cancel"): {},
    ("POST", f"/api/jobs/{JOB}/remix"): {"json": {"params": {"prompt": "mine now"}}},
    ("PUT", f"/api/jobs/{JOB}/favorite"): {},
    ("DELETE", f"/api/jobs/{JOB}/favorite"): {},
    ("GET", f"/api/jobs/{JOB}/preview"): {},
    ("GET", f"/api/status/{JOB}"): {},
    ("POST", f"/api/cancel/{JOB}"): {},
    ("GET", f"/api/jobs/{JOB}/deliveries"): {},
    ("POST", f"/api/jobs/{JOB}/deliveries/{{delivery_id:str}}/replay"): {},
}
# Covered by the other tests here, each named.
COVERED = {
    ("POST", "/api/jobs"): "test_a_job_may_use_only_its_owners_uploads",
    ("POST", "/api/generate"): "test_a_job_may_use_only_its_owners_uploads",
    ("POST", "/api/uploads"): "test_a_job_may_use_only_its_owners_uploads",
    ("GET", "/api/jobs"): "test_history_holds_the_callers_jobs_and_an_admin_filters_by_owner",
    ("GET", "/api/history"): "test_history_holds_the_callers_jobs_and_an_admin_filters_by_owner",
    ("GET", "/outputs/{path:path}"): "test_someone_elses_output_file_is_as_absent_as_a_missing_one",
    # Thumbnails open like their outputs: tests/integration/thumbs/test_thumbnails.py.
    ("GET", "/thumbs/{path:path}"): "test_thumbnails_open_for_their_owner_and_signed_links_only",
    # A browser's own session, of the key it signed in with: tests/integration/access/test_sessions.py.
    ("POST", "/api/session"): "test_signing_in_takes_a_key_studio_knows",
    ("GET", "/api/session"): "test_a_signed_in_browsers_cookie_acts_as_its_key",
    ("DELETE", "/api/session"): "test_signing_out_ends_the_session_and_clears_its_cookie",
    ("WS", f"/ws/jobs/{JOB}"): "test_someone_elses_job_socket_closes_as_no_job",
    ("WS", "/ws/events"): "test_the_live_feed_carries_the_callers_own_events_and_counts_everyones",
    ("GET", "/api/me"): "test_key_routes_are_an_admins_and_me_is_the_caller",
    ("GET", "/api/keys"): "test_key_routes_are_an_admins_and_me_is_the_caller",
    ("POST", "/api/keys"): "test_key_routes_are_an_admins_and_me_is_the_caller",
    ("POST", "/api/keys/{key_id:uuid}/revoke"): "test_key_routes_are_an_admins_and_me_is_the_caller",
    # Workflows are everyone's; importing one is an admin's: tests/integration/workflows/test_import.py.
    ("POST", "/api/workflows"): "test_only_admins_import",
    # Presets, per key name: tests/integration/api/test_presets.py.
    ("GET", "/api/presets"): "test_each_key_has_its_own_presets_and_someone_elses_are_as_absent_as_none",
    ("POST", "/api/presets"): "test_each_key_has_its_own_presets_and_someone_elses_are_as_absent_as_none",
    ("GET", "/api/presets/{name:str}"): "test_each_key_has_its_own_presets_and_someone_elses_are_as_absent_as_none",
    ("DELETE", "/api/presets/{name:str}"): "test_each_key_has_its_own_presets_and_someone_elses_are_as_absent_as_none",
    # Sweeps, per owner: tests/integration/sweeps/test_sweeps.py.
    **{
        route: "test_another_owners_sweep_is_as_absent_as_none_and_its_progress_unseen"
        for route in [
            ("POST", "/api/sweeps"), ("GET", "/api/sweeps"), ("GET", "/api/sweeps/{sweep_id:uuid}"),
            ("POST", "/api/sweeps/{sweep_id:uuid}/cancel"),
        ]
    },
    # Whole-queue figures, no prompts: tests/integration/stats/test_metrics_http.py.
    ("GET", "/metrics"): "test_metrics_need_an_admin_key_once_keys_are_on_and_stats_any_key",
    ("GET", "/api/stats"): "test_metrics_need_an_admin_key_once_keys_are_on_and_stats_any_key",
    # Each key's own: tests/integration/webhooks/test_webhooks.py.
    ("GET", "/api/webhooks/secret"): "test_a_keys_default_webhook_and_secret_and_its_deliveries_are_its_own",
}
CATALOGUE = "the workflows, models and styles every key shares: nobody owns them"
DESCRIPTION = "the API's description and the viewer's files: nobody owns them"
HANDSHAKE_DOC = "documents a WebSocket's handshake: answers 426 whoever asks and names no job"
PAGE = "the web page and its files, answered without a key: nothing private (what it shows comes over the API)"
EXEMPT = {
    ("GET", "/health"): "answered without a key: tells nothing private (probes hold no key)",
    ("GET", "/api/workflows"): CATALOGUE,
    ("GET", "/api/workflows/{name:str}"): CATALOGUE,
    ("GET", "/api/models"): CATALOGUE,
    ("GET", "/api/styles"): CATALOGUE,
    ("GET", "/ws/events"): HANDSHAKE_DOC,
    ("GET", f"/ws/jobs/{JOB}"): HANDSHAKE_DOC,
    **{("GET", path): DESCRIPTION for path in (
        "/schema", "/schema/swagger", "/schema/openapi.json", "/schema/openapi.yaml", "/schema/openapi.yml",
        "/schema/{path:str}", "/schema/oauth2-redirect.html", "/schema/assets/{file_path:path}",
    )},
    ("HEAD", "/schema/assets/{file_path:path}"): DESCRIPTION,
    **{("GET", path): PAGE for path in (*PAGE_PATHS, f"{PREFIX}{{name:str}}")},
}


@dataclass(frozen=True)
class Key:
    text: str
    id: uuid.UUID

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.text}"}


@dataclass(frozen=True)
class Keys:
    admin: Key
    alice: Key
    bob: Key


async def insert_key(name: str, role: Role) -> Key:
    """A key as `studio keys create` makes it, in the database the tables are bound to."""
    token = new_token()
    info = await repository.insert(name, role, KeyLimits(), token, stored(token))
    return Key(token.text, info.id)


@pytest.fixture
def keys(client: TestClient) -> Keys:
    made = {name: client.blocking_portal.call(insert_key, name, role) for name, role in [("admin", "admin"), ("alice", "user"), ("bob", "user")]}
    return Keys(**made)


@pytest.fixture
def bus(client: TestClient) -> EventBus:
    return client.app.dependencies["events"].dependency()


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "orange").save(buffer, "PNG")
    return buffer.getvalue()


def submit(client: TestClient, key: Key, workflow: str = "text_to_image", **params: str) -> dict:
    response = client.post("/api/jobs", json={"workflow": workflow, "params": {"prompt": "a fox", **params}}, headers=key.headers)
    assert response.status_code == 202, response.text
    return response.json()


def upload(client: TestClient, key: Key) -> str:
    response = client.post("/api/uploads", files={"file": ("photo.png", png(), "image/png")}, headers=key.headers)
    assert response.status_code == 201, response.text
    return response.json()["name"]


def at(route: str, job_id: object) -> str:
    return route.replace(JOB, str(job_id))


def app_routes(client: TestClient) -> set[tuple[str, str]]:
    """Every (method, path) the app serves, WebSocket routes as WS; Litestar's own OPTIONS aside."""
    routes: set[tuple[str, str]] = set()
    for route in client.app.routes:
        if isinstance(route, HTTPRoute):
            routes |= {(m, route.path) for handler in route.route_handlers for m in handler.http_methods if m != "OPTIONS"}
        else:
            routes.add(("WS", route.path))
    return routes


def filled(path: str) -> str:
    """A request path for a route: a fresh UUID for each UUID parameter, a plain name for others."""
    return re.sub(r"\{\w+:(\w+)\}", lambda part: str(uuid.uuid4()) if part[1] == "uuid" else "x", path)


def test_every_route_is_covered_or_exempt(client: TestClient) -> None:
    listed = set(JOB_ROUTES) | set(COVERED) | set(EXEMPT)
    assert app_routes(client) - listed == set(), "a route nobody checked for isolation: cover it here, or exempt it with a reason"


def test_someone_elses_job_is_answered_as_no_job_on_every_route(client: TestClient, keys: Keys, bus: EventBus) -> None:
    job = submit(client, keys.alice)
    bus.publish_preview(uuid.UUID(job["id"]), job["workflow"], "alice", png(), "image/png")
    assert client.get(f"/api/jobs/{job['id']}/preview", headers=keys.alice.headers).status_code == 200
    nobody = str(uuid.uuid4())
    leaks = {}
    for (method, route), body in JOB_ROUTES.items():
        others = client.request(method, at(route, job["id"]), headers=keys.bob.headers, **body)
        absent = client.request(method, at(route, nobody), headers=keys.bob.headers, **body)
        seen = (others.status_code, others.json()["detail"].replace(job["id"], "ID"))
        if seen != (404, absent.json()["detail"].replace(nobody, "ID")):
            leaks[method, route] = seen
    assert leaks == {}

    after = client.get(f"/api/jobs/{job['id']}", headers=keys.alice.headers).json()
    assert (after["status"], after["favorite"]) == ("queued", False), "bob changed nothing"
    assert client.get("/api/jobs", headers=keys.bob.headers).json()["items"] == [], "bob's remix of it made nothing"
    # An admin sees it, and its preview.
    assert client.get(f"/api/jobs/{job['id']}", headers=keys.admin.headers).json()["owner"] == "alice"
    assert client.get(f"/api/jobs/{job['id']}/preview", headers=keys.admin.headers).status_code == 200


def test_someone_elses_output_file_is_as_absent_as_a_missing_one(client: TestClient, keys: Keys, settings: Settings) -> None:
    job = submit(client, keys.alice)
    (settings.data_path / "outputs" / job["id"]).mkdir(parents=True)
    (settings.data_path / "outputs" / job["id"] / "a.png").write_bytes(png())
    nobody = str(uuid.uuid4())
    alices = f"{job['id']}/a.png"
    others, absent = (client.get(f"/outputs/{job_id}/a.png", headers=keys.bob.headers) for job_id in (job["id"], nobody))
    # The refusal quotes the path cut short, so the ids show in part.
    assert (others.status_code, re.sub(r"[0-9a-f-]{8,}", "ID", others.json()["detail"])) == (
        404, re.sub(r"[0-9a-f-]{8,}", "ID", absent.json()["detail"])
    )
    for key in (keys.alice, keys.admin):
        assert client.get(f"/outputs/{alices}", headers=key.headers).content == png()


def test_someone_elses_job_socket_closes_as_no_job(client: TestClient, keys: Keys) -> None:
    job = submit(client, keys.alice)
    nobody = uuid.uuid4()
    closes = []
    for job_id in (job["id"], nobody):
        with client.websocket_connect(f"/ws/jobs/{job_id}", headers=keys.bob.headers) as socket:
            with pytest.raises(WebSocketDisconnect) as closed:
                socket.receive_text(timeout=10)
        closes.append((closed.value.code, closed.value.detail.replace(str(job_id), "ID")))
    assert closes[0] == closes[1] == (4404, "No job with id ID.")
    for key in (keys.alice, keys.admin):
        with client.websocket_connect(f"/ws/jobs/{job['id']}", params={"token": key.text}) as socket:
            snapshot = receive(socket)
            assert isinstance(snapshot, JobSnapshot) and str(snapshot.job.id) == job["id"]


def test_a_job_may_use_only_its_owners_uploads(client: TestClient, keys: Keys) -> None:
    alices, bobs = upload(client, keys.alice), upload(client, keys.bob)
    mine = client.post("/api/jobs", json={"workflow": "image_edit", "params": {"prompt": "x", "image": bobs}}, headers=keys.bob.headers)
    assert mine.status_code == 202, mine.text
    assert client.post("/api/generate", json={"workflow": "image_edit", "prompt": "x", "image": bobs}, headers=keys.bob.headers).status_code == 202

    for name in (alices, "0" * 32 + ".png"):  # alice's, and one nobody uploaded: the same answer
        for path, body in [
            ("/api/jobs", {"workflow": "image_edit", "params": {"prompt": "x", "image": name}}),
            ("/api/generate", {"workflow": "image_edit", "prompt": "x", "image": name}),
        ]:
            refused = client.post(path, json=body, headers=keys.bob.headers)
            assert refused.status_code == 400, refused.text
            assert refused.json()["errors"] == [
                {"field": "params.image", "message": f"no upload named '{name}'; upload the image with POST /api/uploads first"}
            ]
    assert client.post("/api/jobs", json={"workflow": "image_edit", "params": {"prompt": "x", "image": alices}}, headers=keys.alice.headers).status_code == 202


def test_history_holds_the_callers_jobs_and_an_admin_filters_by_owner(client: TestClient, keys: Keys) -> None:
    alices = {submit(client, keys.alice)["id"] for _ in range(2)}
    bobs = {submit(client, keys.bob)["id"]}

    def listed(key: Key, query: str = "") -> set[str]:
        return {job["id"] for job in client.get(f"/api/jobs{query}", headers=key.headers).json()["items"]}

    assert listed(keys.bob) == listed(keys.bob, "?owner=alice") == bobs
    assert listed(keys.alice) == alices
    legacy = client.get("/api/history", headers=keys.bob.headers).json()["history"]
    assert {task["task_id"] for task in legacy} == bobs
    assert listed(keys.admin) == alices | bobs
    assert listed(keys.admin, "?owner=alice") == alices and listed(keys.admin, "?owner=bob") == bobs
    assert {task["task_id"] for task in client.get("/api/history", headers=keys.admin.headers).json()["history"]} == alices | bobs


def test_the_live_feed_carries_the_callers_own_events_and_counts_everyones(client: TestClient, keys: Keys) -> None:
    first = {"alice": submit(client, keys.alice)["id"], "bob": submit(client, keys.bob)["id"]}
    with (
        client.websocket_connect("/ws/events", headers=keys.bob.headers) as bob,
        client.websocket_connect("/ws/events?owner=alice", headers=keys.bob.headers) as bob_asking_for_alices,
        client.websocket_connect("/ws/events", headers=keys.admin.headers) as admin,
    ):
        for feed in (bob, bob_asking_for_alices):
            snapshot = receive(feed)
            assert isinstance(snapshot, QueueSnapshot)
            assert [str(item.job.id) for item in snapshot.jobs] == [first["bob"]]
            assert snapshot.queued == 2, "the totals count alice's job too"
        snapshot = receive(admin)
        assert isinstance(snapshot, QueueSnapshot) and {str(item.job.id) for item in snapshot.jobs} == set(first.values())

        alices = submit(client, keys.alice)["id"]  # published before bob's: it would come first
        bobs = submit(client, keys.bob)["id"]
        for feed in (bob, bob_asking_for_alices):
            created, totals = [], []
            while not (bobs in created and 4 in totals):
                message = receive(feed)
                if isinstance(message, QueueTotals):
                    totals.append(message.queued)
                else:
                    assert getattr(message, "owner", None) == "bob", message
                    created += [str(message.job_id)] if isinstance(message, JobCreated) else []
            assert created == [bobs]
        seen = []
        while len(seen) < 2:
            if isinstance(message := receive(admin), JobCreated):
                seen.append(str(message.job_id))
        assert seen == [alices, bobs]


def test_key_routes_are_an_admins_and_me_is_the_caller(client: TestClient, keys: Keys) -> None:
    for key, name in [(keys.alice, "alice"), (keys.bob, "bob"), (keys.admin, "admin")]:
        me = client.get("/api/me", headers=key.headers).json()
        assert (me["name"], me["role"], me["keys_required"]) == (name, "admin" if name == "admin" else "user", True)
    for method, path, body in [
        ("GET", "/api/keys", None),
        ("POST", "/api/keys", {"name": "carol"}),
        ("POST", f"/api/keys/{keys.alice.id}/revoke", None),
    ]:
        refused = client.request(method, path, json=body, headers=keys.bob.headers)
        assert refused.status_code == 403, (path, refused.text)
    listed = client.get("/api/keys", headers=keys.admin.headers).json()
    assert [key["name"] for key in listed] == ["admin", "alice", "bob"] and all(key["revoked_at"] is None for key in listed)


def test_an_admin_cancelling_or_deleting_someone_elses_job_is_audited(
    client: TestClient, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="studio.audit")
    cancelled, deleted, alices_own = (submit(client, keys.alice)["id"] for _ in range(3))
    admins_own = submit(client, keys.admin)["id"]
    assert client.post(f"/api/jobs/{cancelled}/cancel", headers=keys.admin.headers).status_code == 200
    assert client.delete(f"/api/jobs/{deleted}", headers=keys.admin.headers).status_code == 204
    # Acting on one's own job is no audit matter, an admin's or a user's.
    assert client.post(f"/api/jobs/{admins_own}/cancel", headers=keys.admin.headers).status_code == 200
    assert client.delete(f"/api/jobs/{admins_own}", headers=keys.admin.headers).status_code == 204
    assert client.post(f"/api/jobs/{alices_own}/cancel", headers=keys.alice.headers).status_code == 200
    assert client.delete(f"/api/jobs/{alices_own}", headers=keys.alice.headers).status_code == 204
    audit = [record.getMessage() for record in caplog.records if record.name == "studio.audit"]
    assert audit == [
        f"audit: key=admin action=cancel target=job {cancelled} of alice",
        f"audit: key=admin action=delete target=job {deleted} of alice",
    ]


def test_no_key_is_401_with_the_sentence_on_every_route_but_health(client: TestClient, keys: Keys) -> None:
    wrong = {}
    for method, path in sorted(app_routes(client)):
        if method == "WS" or path == "/health" or EXEMPT.get((method, path)) == PAGE:
            continue
        response = client.request(method, filled(path))
        detail = NO_KEY if method == "HEAD" else response.json().get("detail")  # HEAD: the status alone
        if (response.status_code, detail) != (401, NO_KEY):
            wrong[method, path] = (response.status_code, response.text[:200])
    assert wrong == {}
    assert client.get("/health").status_code == 200
    assert client.get("/").status_code == 200  # the page, which then asks to sign in


def test_a_revoked_key_is_refused_at_once_and_its_sockets_close_within_a_second(client: TestClient, keys: Keys) -> None:
    job = submit(client, keys.bob)
    with (
        client.websocket_connect("/ws/events", headers=keys.bob.headers) as feed,
        client.websocket_connect(f"/ws/jobs/{job['id']}", headers=keys.bob.headers) as watched,
        client.websocket_connect("/ws/events", headers=keys.alice.headers) as alices,
    ):
        for socket in (feed, watched, alices):
            receive(socket)  # the snapshot: the socket is subscribed
        client.blocking_portal.call(repository.revoke, keys.bob.id)
        revoked = time.monotonic()
        refused = client.get("/api/jobs", headers=keys.bob.headers)
        assert refused.status_code == 401 and "was revoked on" in refused.json()["detail"]
        for socket in (feed, watched):
            with pytest.raises(WebSocketDisconnect) as closed:
                while True:
                    receive(socket, timeout=2)  # queue.totals may come first
            assert (closed.value.code, closed.value.detail) == (CLOSE_REVOKED, KEY_REVOKED)
        assert time.monotonic() - revoked < 1.0
        submit(client, keys.alice)
        assert isinstance(receive_job_events(alices, 1)[0], JobCreated), "alice's socket stays open"


# A real `studio serve`: the WebSocket handshake refused as HTTP, and a key revoked by another process.


@dataclass(frozen=True)
class Served:
    studio: ServedStudio
    database: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("isolation")
    with serve_studio(folder) as studio:
        yield Served(studio, f"sqlite:///{folder / 'data' / 'studio.sqlite'}")


async def in_database(url: str, work):
    """Run `work` against the served Studio's database, as another process (`studio keys`) would."""
    bind(url)  # the TestClient tests bind the tables to their own databases
    return await work()


def upgrade_status(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), msgspec.json.decode(body)


async def test_a_socket_without_a_key_is_refused_as_http_401(served: Served) -> None:
    await in_database(served.database, lambda: insert_key(f"k{uuid.uuid4().hex[:8]}", "user"))  # keys exist
    for path in ("/ws/events", f"/ws/jobs/{uuid.uuid4()}"):
        status, body = upgrade_status(await asyncio.to_thread(served.studio.upgrade, path))
        assert (status, body["detail"]) == (401, NO_KEY), path


async def test_a_key_revoked_by_another_process_closes_its_sockets_within_a_second(served: Served) -> None:
    bob = await in_database(served.database, lambda: insert_key(f"bob-{uuid.uuid4().hex[:8]}", "user"))
    async with httpx.AsyncClient(base_url=served.studio.url, headers=bob.headers) as http:
        job = (await http.post("/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": "a fox"}})).json()
    ws = served.studio.url.replace("http://", "ws://")
    async with (
        connect(f"{ws}/ws/events", additional_headers=bob.headers) as feed,
        connect(f"{ws}/ws/jobs/{job['id']}?token={bob.text}") as watched,
    ):
        for socket in (feed, watched):
            await socket.recv()  # the snapshot
        await in_database(served.database, lambda: repository.revoke(bob.id))
        revoked = time.monotonic()
        for socket in (feed, watched):
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await asyncio.wait_for(socket.recv(), 2)
            assert closed.value.rcvd is not None
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (CLOSE_REVOKED, KEY_REVOKED)
        assert time.monotonic() - revoked < 1.0
