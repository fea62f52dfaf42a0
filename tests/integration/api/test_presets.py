"""Parameter presets through the API of a running Studio: save a job's parameters (or given ones)
under a name, list, read and delete them, start a job from one; each key's presets its own."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from litestar.testing import TestClient

from tests.served import serve_studio
from tests.tui.studio_data import make_key


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """An open Studio (no keys, loopback)."""
    with serve_studio(tmp_path_factory.mktemp("presets")) as served, httpx.Client(base_url=served.url, timeout=30) as http:
        yield http


@dataclass(frozen=True)
class Keyed:
    alice: httpx.Client
    bob: httpx.Client
    admin: httpx.Client
    nobody: httpx.Client


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keyed]:
    folder = tmp_path_factory.mktemp("keyed-presets")
    with serve_studio(folder) as served:
        keys = {name: asyncio.run(make_key(folder / "data", name, role)) for name, role in [("alice", "user"), ("bob", "user"), ("admin", "admin")]}
        clients = {name: httpx.Client(base_url=served.url, timeout=30, headers={"Authorization": f"Bearer {key}"}) for name, key in keys.items()}
        clients["nobody"] = httpx.Client(base_url=served.url, timeout=30)
        try:
            yield Keyed(**clients)
        finally:
            for client in clients.values():
                client.close()


def submit(http: httpx.Client | TestClient, style: str | None = None, **params: object) -> dict:
    body = {"workflow": "text_to_image", "params": {"prompt": "a fox", **params}, "style": style}
    response = http.post("/api/jobs", json=body)
    assert response.status_code == 202, response.text
    return response.json()


def save(http: httpx.Client | TestClient, body: dict, status: int = 201) -> dict:
    response = http.post("/api/presets", json=body)
    assert response.status_code == status, response.text
    return response.json()


def test_a_jobs_parameters_saved_as_a_preset_start_a_new_job(studio: httpx.Client) -> None:
    job = submit(studio, "watercolor", steps=31, cfg=5.5, aspect_ratio="3:2", seed=-1)
    preset = save(studio, {"name": "wide fox", "job_id": job["id"]})
    assert (preset["name"], preset["workflow"], preset["style"], preset["owner"]) == ("wide fox", "text_to_image", "watercolor", None)
    # As submitted: a random seed stays random for the jobs started from it.
    assert preset["params"] == {"prompt": "a fox", "steps": 31, "cfg": 5.5, "aspect_ratio": "3:2", "seed": -1}
    assert studio.get("/api/presets/wide fox").json() == preset

    # A client starts a job from it: its workflow and parameters, the user's changes on top.
    started = submit(studio, preset["style"], **{**preset["params"], "prompt": "a wolf"})
    assert (started["prompt"], started["steps"], started["cfg"], started["aspect_ratio"]) == ("a wolf", 31, 5.5, "3:2")
    assert started["style"] == "watercolor"


def test_given_parameters_are_saved_checked_one_by_one_and_may_leave_the_prompt_out(studio: httpx.Client) -> None:
    preset = save(studio, {"name": "fast", "workflow": "text_to_image", "params": {"steps": 8, "sampler": "euler"}, "style": "anime"})
    assert (preset["params"], preset["style"]) == ({"steps": 8, "sampler": "euler"}, "anime")
    assert save(studio, {"name": "plain", "workflow": "text_to_image"})["style"] is None
    refused = save(studio, {"name": "bad", "workflow": "text_to_image", "params": {"steps": 0, "colour": "red"}}, 400)
    assert [error["field"] for error in refused["errors"]] == ["params.colour", "params.steps"]
    assert "unknown workflow 'nope'" in save(studio, {"name": "bad", "workflow": "nope", "params": {}}, 400)["detail"]
    assert "unknown style 'pastel'" in save(studio, {"name": "bad", "workflow": "text_to_image", "style": "pastel"}, 400)["detail"]
    assert studio.get("/api/presets/bad").status_code == 404


def test_the_list_is_by_name_and_a_deleted_preset_frees_its_name(studio: httpx.Client) -> None:
    for name in ("zebra", "apple"):
        save(studio, {"name": name, "workflow": "text_to_image", "params": {"steps": 12}})
    names = [preset["name"] for preset in studio.get("/api/presets").json()]
    assert names == sorted(names) and {"apple", "zebra"} <= set(names)

    taken = save(studio, {"name": "apple", "workflow": "text_to_image", "params": {"steps": 40}}, 409)
    assert "You have a preset named 'apple' already; delete it first" in taken["detail"]
    assert studio.delete("/api/presets/apple").status_code == 204
    assert studio.get("/api/presets/apple").status_code == 404
    assert studio.delete("/api/presets/apple").status_code == 404
    assert save(studio, {"name": "apple", "workflow": "text_to_image", "params": {"steps": 40}})["params"] == {"steps": 40}


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"name": " lead", "workflow": "text_to_image"}, "name", "start with a letter or digit"),
        ({"name": "a/b", "workflow": "text_to_image"}, "name", "start with a letter or digit"),
        ({"name": "..", "workflow": "text_to_image"}, "name", "start with a letter or digit"),
        ({"name": "x" * 101, "workflow": "text_to_image"}, "name", "length <= 100"),
        ({"name": "both", "workflow": "text_to_image", "job_id": "5b0c0000-0000-4000-8000-000000000000"}, "body", "give either job_id"),
        ({"name": "neither"}, "body", "give either job_id"),
        ({"name": "mixed", "job_id": "5b0c0000-0000-4000-8000-000000000000", "params": {}}, "params", "comes from the job"),
        ({"name": "mixed", "job_id": "5b0c0000-0000-4000-8000-000000000000", "style": "anime"}, "style", "comes from the job"),
        ({"name": "extra", "workflow": "text_to_image", "colour": "red"}, "body", "unknown field"),
    ],
)
def test_refusals_name_the_field_and_the_reason(studio: httpx.Client, body: dict, field: str, says: str) -> None:
    refused = save(studio, body, 400)
    assert refused["errors"][0]["field"] == field and says in refused["detail"], refused


def test_a_job_that_is_not_there_is_a_404(studio: httpx.Client) -> None:
    refused = save(studio, {"name": "ghost", "job_id": "5b0c0000-0000-4000-8000-000000000000"}, 404)
    assert refused["detail"] == "No job with id 5b0c0000-0000-4000-8000-000000000000."


def test_each_key_has_its_own_presets_and_someone_elses_are_as_absent_as_none(keyed: Keyed) -> None:
    alices_job = submit(keyed.alice, steps=33)
    save(keyed.alice, {"name": "mine", "job_id": alices_job["id"]})
    assert keyed.alice.get("/api/presets/mine").json()["owner"] == "alice"

    # Bob sees none of it, reads it as missing, cannot delete it, nor save from alice's job.
    assert keyed.bob.get("/api/presets").json() == []
    absent = keyed.bob.get("/api/presets/none-such").json()["detail"].replace("none-such", "NAME")
    assert keyed.bob.get("/api/presets/mine").json()["detail"].replace("mine", "NAME") == absent
    assert keyed.bob.delete("/api/presets/mine").status_code == 404
    assert save(keyed.bob, {"name": "stolen", "job_id": alices_job["id"]}, 404)["detail"] == f"No job with id {alices_job['id']}."
    # The same name is bob's to take; an admin has presets of its own too (names are per owner).
    assert save(keyed.bob, {"name": "mine", "workflow": "text_to_image", "params": {"steps": 5}})["owner"] == "bob"
    assert keyed.admin.get("/api/presets/mine").status_code == 404
    # An admin saves from anyone's job, as its own preset.
    assert save(keyed.admin, {"name": "borrowed", "job_id": alices_job["id"]})["params"]["steps"] == 33

    assert keyed.alice.get("/api/presets/mine").json()["params"]["steps"] == 33
    assert [preset["name"] for preset in keyed.alice.get("/api/presets").json()] == ["mine"]
    assert keyed.nobody.get("/api/presets").status_code == 401


def test_two_saves_of_one_name_at_once_keep_one(client: TestClient) -> None:
    """On both databases the unique index decides (SQLite and PostgreSQL)."""
    body = {"name": "twice", "workflow": "text_to_image", "params": {"steps": 9}}

    async def both() -> list[int]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(client.app), base_url=str(client.base_url)) as http:
            answers = await asyncio.gather(*(http.post("/api/presets", json=body) for _ in range(2)))
        return sorted(answer.status_code for answer in answers)

    assert client.blocking_portal.call(both) == [201, 409]
    assert [preset["name"] for preset in client.get("/api/presets").json()] == ["twice"]
