"""Signed output links: a job's output `url` opens its one file in a browser, without a key, until it
expires; a key's header opens only its own jobs' files; the signing key is STUDIO_SECRET or a
random one kept in the data dir."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import msgspec
import pytest
from litestar.testing import TestClient

from server.access import repository, tokens
from server.access.links import SECRET_BYTES, LinkSigner, load_secret
from server.access.schemas import KeyLimits, Role
from server.config import Settings, load_settings
from server.db.tables import Job
from server.events.bus import EventBus
from server.events.schemas import JobFinished, JobSnapshot
from server.jobs.schemas import Job as JobView
from server.jobs.schemas import Output
from tests.common.live import receive, receive_job_events

FILES = ("fox_00001_.png", "fox_00002_.png")


def make_key(client: TestClient, name: str, role: Role = "user") -> str:
    token = tokens.new_token()
    client.blocking_portal.call(repository.insert, name, role, KeyLimits(), token, tokens.stored(token))
    return token.text


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def finished_job(client: TestClient, settings: Settings, key: str) -> dict:
    """A job of `key`'s, finished with FILES (each file holds its own name), as its owner reads it."""
    response = client.post("/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": "a fox"}}, headers=bearer(key))
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    folder = settings.data_path / "outputs" / job_id
    folder.mkdir(parents=True)
    outputs = []
    for name in FILES:
        (folder / name).write_bytes(name.encode())
        outputs.append({"path": f"{job_id}/{name}", "url": f"/outputs/{job_id}/{name}", "filename": name})

    async def finish() -> None:
        await Job.update({Job.status: "finished", Job.outputs: outputs}).where(Job.id == uuid.UUID(job_id))

    client.blocking_portal.call(finish)
    return client.get(f"/api/jobs/{job_id}", headers=bearer(key)).json()


def link_parts(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return parts.path, int(query["exp"][0]), query["sig"][0]


def with_query(path: str, exp: int, sig: str) -> str:
    return f"{path}?{urlencode({'exp': exp, 'sig': sig})}"


def test_a_signed_link_opens_its_file_without_a_key_while_keys_are_on(client: TestClient, settings: Settings) -> None:
    alice = make_key(client, "alice")
    job = finished_job(client, settings, alice)
    url = job["outputs"][0]["url"]
    path, exp, _ = link_parts(url)
    assert path == f"/outputs/{job['id']}/{FILES[0]}"
    now = time.time()
    assert now + settings.link_seconds <= exp <= now + settings.link_seconds + settings.link_seconds // 24 + 1

    assert client.get(path).status_code == 401  # keys are on: the plain path needs one
    opened = client.get(url)
    assert opened.status_code == 200 and opened.content == FILES[0].encode()
    assert opened.headers["content-type"] == "image/png"

    # Every answer that carries the job carries the same link (a browser may cache it), as signed.
    assert client.get(f"/api/jobs/{job['id']}", headers=bearer(alice)).json()["outputs"][0]["url"] == url
    [listed] = client.get("/api/jobs", headers=bearer(alice)).json()["items"]
    assert [output["url"] for output in listed["outputs"]] == [output["url"] for output in job["outputs"]]
    legacy = client.get(f"/api/status/{job['id']}", headers=bearer(alice)).json()
    assert legacy["image_url"] == url and legacy["image_urls"] == [output["url"] for output in job["outputs"]]
    with client.websocket_connect(f"/ws/jobs/{job['id']}?token={alice}") as socket:
        snapshot = receive(socket)
    assert isinstance(snapshot, JobSnapshot) and snapshot.job.outputs[0].url == url
    for output in job["outputs"]:
        assert client.get(output["url"]).content == output["filename"].encode()


def test_a_live_job_finished_event_carries_links_signed_by_the_api(client: TestClient, settings: Settings) -> None:
    """Workers publish the plain url (they need not hold the secret); the API signs what it sends."""
    alice = make_key(client, "alice")
    job = finished_job(client, settings, alice)
    bus: EventBus = client.app.dependencies["events"].dependency()
    plain = [Output(path=f"{job['id']}/{name}", url=f"/outputs/{job['id']}/{name}", filename=name) for name in FILES]
    done = msgspec.structs.replace(msgspec.convert(job, JobView, strict=False), outputs=plain)
    with client.websocket_connect(f"/ws/events?token={alice}") as socket:
        receive(socket)  # the snapshot
        bus.publish(JobFinished(job_id=done.id, workflow=done.workflow, owner="alice", job=done))
        [finished] = receive_job_events(socket, 1)
    assert isinstance(finished, JobFinished)
    urls = [output.url for output in finished.job.outputs]
    assert [link_parts(url)[0] for url in urls] == [output.url for output in plain]
    assert [client.get(url).content for url in urls] == [name.encode() for name in FILES]


@pytest.mark.parametrize("change", ["other file", "other job", "exp", "sig", "text sig", "no exp"])
def test_a_link_opens_nothing_but_its_file(client: TestClient, settings: Settings, change: str) -> None:
    alice = make_key(client, "alice")
    job, other = finished_job(client, settings, alice), finished_job(client, settings, alice)
    path, exp, sig = link_parts(job["outputs"][0]["url"])
    changed = {
        "other file": with_query(f"/outputs/{job['id']}/{FILES[1]}", exp, sig),
        "other job": with_query(f"/outputs/{other['id']}/{FILES[0]}", exp, sig),
        "exp": with_query(path, exp + 1, sig),
        "sig": with_query(path, exp, link_parts(other["outputs"][0]["url"])[2]),
        "text sig": with_query(path, exp, "é"),
        "no exp": f"{path}?sig={sig}",
    }[change]
    refused = client.get(changed)
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "This output link is not signed for this file: open it exactly as Studio gave it (a job's output url), "
        "or send an API key."
    )


def test_an_expired_link_says_how_to_get_a_fresh_one(client: TestClient, settings: Settings) -> None:
    alice = make_key(client, "alice")
    job = finished_job(client, settings, alice)
    path, _, _ = link_parts(job["outputs"][0]["url"])
    # Signed as Studio signs (its secret is kept in the data dir), with an exp a second ago.
    past = int(time.time()) - 1
    expired = client.get(LinkSigner.from_settings(settings).sign(path, exp=past))
    assert expired.status_code == 403
    assert expired.json()["detail"] == (
        f"This output link expired at {time.strftime('%Y-%m-%d %H:%M', time.gmtime(past))} UTC: reload its job "
        "(GET /api/jobs/<job id>, or the page that showed it) for a fresh link."
    )
    # The same signer's link of a later exp opens it: only the time was wrong.
    assert client.get(LinkSigner.from_settings(settings).sign(path, exp=past + 60)).status_code == 200


def test_a_user_key_reads_only_its_own_jobs_outputs(client: TestClient, settings: Settings) -> None:
    alice, bob, root = make_key(client, "alice"), make_key(client, "bob"), make_key(client, "root", "admin")
    job = finished_job(client, settings, alice)
    url = job["outputs"][0]["url"]
    path, _, _ = link_parts(url)
    assert client.get(path, headers=bearer(alice)).content == FILES[0].encode()
    assert client.get(path, headers=bearer(root)).content == FILES[0].encode()  # admins read any
    # A key's header decides, the link's signature aside: bob's is someone else's job to him.
    for target in (path, url):
        refused = client.get(target, headers=bearer(bob))
        assert refused.status_code == 404
        assert refused.json()["detail"].startswith("No output file '/")  # as for a file that does not exist
    (settings.data_path / "outputs" / "loose").mkdir()
    (settings.data_path / "outputs" / "loose" / "a.png").write_bytes(b"loose")
    assert client.get("/outputs/loose/a.png", headers=bearer(bob)).status_code == 404  # no job's folder
    assert client.get("/outputs/loose/a.png", headers=bearer(root)).content == b"loose"


def settings_in(folder: Path, **environ: str) -> Settings:
    return load_settings({"STUDIO_DATA_DIR": str(folder), **environ})


def test_the_secret_file_is_made_once_and_kept_across_restarts(tmp_path: Path) -> None:
    settings = settings_in(tmp_path / "data")
    first = LinkSigner.from_settings(settings)
    secret = tmp_path / "data" / "secret"
    kept = secret.read_bytes()
    assert len(kept) == SECRET_BYTES and secret.stat().st_mode & 0o777 == 0o600
    link = first.sign("/outputs/a/b.png")

    restarted = LinkSigner.from_settings(settings)
    assert secret.read_bytes() == kept and restarted.verify(*link_parts(link))
    assert not LinkSigner.from_settings(settings_in(tmp_path / "other")).verify(*link_parts(link))


def test_processes_starting_together_agree_on_one_secret(tmp_path: Path) -> None:
    start = threading.Barrier(8)
    found: list[bytes] = []

    def load() -> None:
        start.wait()
        found.append(load_secret(tmp_path / "secret"))

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 8 and set(found) == {(tmp_path / "secret").read_bytes()}
    assert [path.name for path in tmp_path.iterdir()] == ["secret"]  # no partial file left behind


def test_studio_secret_overrides_the_file_and_is_shared_by_hosts(tmp_path: Path) -> None:
    first = LinkSigner.from_settings(settings_in(tmp_path / "one", STUDIO_SECRET="a shared secret"))
    second = LinkSigner.from_settings(settings_in(tmp_path / "two", STUDIO_SECRET="a shared secret"))
    link = link_parts(first.sign("/outputs/a/b.png"))
    assert second.verify(*link)
    assert not LinkSigner.from_settings(settings_in(tmp_path / "one")).verify(*link)
    assert not LinkSigner.from_settings(settings_in(tmp_path / "two", STUDIO_SECRET="another")).verify(*link)
    assert not (tmp_path / "two" / "secret").exists()


def test_the_link_parameters_are_documented(client: TestClient) -> None:
    operation = client.get("/schema/openapi.json").json()["paths"]["/outputs/{path}"]["get"]
    query = {parameter["name"]: parameter for parameter in operation["parameters"] if parameter["in"] == "query"}
    assert set(query) == {"exp", "sig"} and not any(parameter["required"] for parameter in query.values())
    assert "Unix seconds" in query["exp"]["description"] and "without an API key" in query["sig"]["description"]
    assert operation["responses"]["403"]["description"] == "A signed link that has expired, or that does not sign this file"
