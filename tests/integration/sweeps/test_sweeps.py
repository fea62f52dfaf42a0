"""Sweeps through a served Studio in front of the ComfyUI double: one job per combination of the
axes' values, the grid, sweep.progress on /ws/events, the contact sheet, refusals and owners."""

from __future__ import annotations

import asyncio
import io
import time
from typing import Any

import pytest
from PIL import Image
from websockets.asyncio.client import connect

from server.access import repository as keys
from server.access import tokens
from server.access.schemas import KeyLimits, Role
from server.events.schemas import QueueSnapshot, SweepProgress, message_decoder
from server.sweeps.sheet import CROSS, EMPTY, cell_origin, grid_size
from server.sweeps.schemas import SweepAxis
from tests.comfyui_double.double import ComfyDouble
from tests.comfyui_double.settings import DEFAULT_FAIL_VALUE
from tests.integration.worker.stack import Stack
from tests.integration.worker.test_fair_queue import in_stack_database

GRID = {"cfg": [4, 6, 8], "seed": [1, 2, 3]}
# Seconds to wait for a sweep to end; nine jobs of the double take about one.
ENDS_WITHIN = 60


def create(stack: Stack, axes: dict[str, list[Any]], headers: dict[str, str] | None = None, **params: Any) -> dict:
    body = {"workflow": "text_to_image", "params": {"prompt": "a red fox", **params}, "axes": axes}
    response = stack.http.post("/api/sweeps", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def follow(stack: Stack, start: Any, headers: dict[str, str] | None = None) -> tuple[Any, list[SweepProgress]]:
    """`start()`'s result (run in a thread once the socket is subscribed) and the sweep.progress
    events of the sweep it made, up to the one that brings its contact sheet."""
    async with connect(f"ws://127.0.0.1:{stack.port}/ws/events", additional_headers=headers or {}) as socket:
        assert isinstance(message_decoder.decode(await socket.recv()), QueueSnapshot)
        sweep = await asyncio.to_thread(start)
        seen: list[SweepProgress] = []
        deadline = time.monotonic() + ENDS_WITHIN
        while not (seen and seen[-1].contact_sheet_url):
            message = message_decoder.decode(await asyncio.wait_for(socket.recv(), deadline - time.monotonic()))
            if isinstance(message, SweepProgress) and str(message.sweep_id) == sweep["id"]:
                seen.append(message)
        return sweep, seen


def ended(counts: dict[str, int]) -> int:
    return sum(counts.get(status, 0) for status in ("finished", "failed", "cancelled"))


def sheet_of(stack: Stack, url: str, headers: dict[str, str] | None = None) -> Image.Image:
    response = stack.http.get(url, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png" and response.content.startswith(b"\x89PNG")
    return Image.open(io.BytesIO(response.content)).convert("RGB")


def test_a_3x3_sweep_runs_nine_jobs_counts_up_live_and_ends_with_its_contact_sheet(stack: Stack, double: ComfyDouble) -> None:
    made, events = asyncio.run(follow(stack, lambda: create(stack, GRID)))
    assert [axis["name"] for axis in made["axes"]] == ["cfg", "seed"] and made["state"] == "running"
    assert [cell["values"] for cell in made["cells"]] == [{"cfg": c, "seed": s} for c in GRID["cfg"] for s in GRID["seed"]]

    progress = [ended(event.counts) for event in events]
    assert progress == sorted(progress) and progress[-1] == 9 == events[-1].total, progress
    assert len(set(progress[:-1])) == len(progress) - 1, "only a recount that moved the count is published, then the sheet"
    # Each names the cell whose end moved the count (none when the 30 s check moved it), the last none.
    cells = [event.cell for event in events[:-1] if event.cell is not None]
    assert cells and all(cell.status == "finished" and cell.output_url for cell in cells) and events[-1].cell is None
    assert events[-1].state == "finished" and events[-1].counts == {"finished": 9}

    sweep = stack.http.get(f"/api/sweeps/{made['id']}").json()
    assert (sweep["state"], sweep["counts"], sweep["finished_at"] is not None) == ("finished", {"finished": 9}, True)
    assert sweep["contact_sheet_url"] == events[-1].contact_sheet_url
    for cell in sweep["cells"]:
        job = stack.job(cell["job_id"])
        assert (job["cfg"], job["seed"], job["prompt"]) == (cell["values"]["cfg"], cell["values"]["seed"], "a red fox")
        assert (job["sweep_id"], job["sweep_index"]) == (made["id"], cell["index"])
        assert cell["status"] == "finished" and cell["output_url"].startswith(f"/outputs/{job['id']}/")
        assert stack.http.get(cell["output_url"]).status_code == 200
    assert {p.prompt_id for p in double.received_prompts} == {cell["job_id"] for cell in sweep["cells"]}

    sheet = sheet_of(stack, sweep["contact_sheet_url"])
    assert sheet.size == grid_size(3, 3)
    listed = stack.http.get("/api/sweeps").json()
    assert [(item["id"], item["state"], item["counts"]) for item in listed["items"]] == [(made["id"], "finished", {"finished": 9})]

    remix = stack.http.post(f"/api/jobs/{sweep['cells'][4]['job_id']}/remix", json={"params": {"steps": 12}})
    assert remix.status_code == 202 and remix.json()["cfg"] == 6 and remix.json()["sweep_id"] is None, "a remix is no cell"
    assert len(stack.http.get(f"/api/sweeps/{made['id']}").json()["cells"]) == 9


def test_a_failed_cell_is_marked_and_the_sweep_still_ends(single_stack: Stack) -> None:
    stack = single_stack
    axes = {"prompt": ["a red fox", DEFAULT_FAIL_VALUE], "seed": [1, 2]}
    made, events = asyncio.run(follow(stack, lambda: create(stack, axes)))
    assert events[-1].counts == {"finished": 2, "failed": 2} and events[-1].state == "finished"
    sweep = stack.http.get(f"/api/sweeps/{made['id']}").json()
    failed = [cell for cell in sweep["cells"] if cell["status"] == "failed"]
    assert [cell["values"]["prompt"] for cell in failed] == [DEFAULT_FAIL_VALUE] * 2
    assert all(cell["error"] and cell["output_url"] is None for cell in failed)
    sheet = sheet_of(stack, sweep["contact_sheet_url"])
    shown = [SweepAxis(name=name, values=values) for name, values in axes.items()]
    for cell in sweep["cells"]:
        x, y = cell_origin(shown, cell["index"])
        found = {color for _, color in sheet.crop((x, y, x + 256, y + 256)).getcolors(1 << 16)}
        assert (CROSS in found and EMPTY in found) == (cell["status"] == "failed"), cell


def test_a_random_seed_is_drawn_once_for_every_cell(single_stack: Stack) -> None:
    made = create(single_stack, {"cfg": [4, 6, 8]}, seed=-1)
    seeds = {single_stack.job(cell["job_id"])["seed"] for cell in made["cells"]}
    assert len(seeds) == 1 and seeds != {-1}, "the cells differ by their cfg only"
    assert made["params"]["seed"] in seeds, "the sweep keeps the seed drawn"


def test_refusals_name_the_axis_and_store_nothing(single_stack: Stack) -> None:
    stack = single_stack
    refusals = {
        "axes.colour": {"colour": ["red"]},
        "axes.cfg[1]": {"cfg": [4, 1000], "seed": [1, 2]},
        "axes.cfg": {"cfg": [4, 4]},
        "axes": {"cfg": list(range(1, 11)), "seed": list(range(7))},
    }
    for field, axes in refusals.items():
        response = stack.http.post("/api/sweeps", json={"workflow": "text_to_image", "params": {"prompt": "a fox"}, "axes": axes})
        assert response.status_code == 400, response.text
        assert [error["field"] for error in response.json()["errors"]] == [field], response.text
    details = [
        stack.http.post("/api/sweeps", json={"workflow": "text_to_image", "params": {"prompt": "a fox"}, "axes": axes}).json()["detail"]
        for axes in refusals.values()
    ]
    assert details[0].startswith("axes.colour: is not a parameter of the workflow text_to_image; its parameters: prompt,")
    assert details[1] == "axes.cfg[1]: must be at most 30.0 (got 1000)"
    assert details[2] == "axes.cfg: lists 4 more than once; give each value once"
    assert details[3] == "The axes would make 70 jobs (10 x 7); a sweep may make at most 64 (STUDIO_SWEEP_MAX_CELLS): give fewer values."
    assert stack.http.get("/api/sweeps").json()["items"] == []
    assert stack.http.get("/api/jobs").json()["items"] == [], "no cell of a refused sweep was stored"


def test_another_owners_sweep_is_as_absent_as_none_and_its_progress_unseen(single_stack: Stack) -> None:
    stack = single_stack
    alice, bob = key(stack, "alice"), key(stack, "bob")

    async def watch_both() -> tuple[dict, list[SweepProgress], list]:
        async with connect(f"ws://127.0.0.1:{stack.port}/ws/events", additional_headers=bob) as bobs:
            assert isinstance(message_decoder.decode(await bobs.recv()), QueueSnapshot)
            made, events = await follow(stack, lambda: create(stack, {"seed": [1, 2]}, alice), alice)
            heard = []
            with pytest.raises(TimeoutError):
                while True:
                    heard.append(message_decoder.decode(await asyncio.wait_for(bobs.recv(), 1)))
            return made, events, heard

    made, events, bob_heard = asyncio.run(watch_both())
    assert events[-1].owner == "alice" and events[-1].contact_sheet_url
    assert not any(isinstance(message, SweepProgress) for message in bob_heard)
    sheet = f"/outputs/sweeps/{made['id']}/contact-sheet.png"
    assert stack.http.get(sheet, headers=alice).status_code == 200
    nobody = "00000000-0000-4000-8000-000000000000"
    for method, path in [("GET", "/api/sweeps/{}"), ("POST", "/api/sweeps/{}/cancel")]:
        others = stack.http.request(method, path.format(made["id"]), headers=bob)
        absent = stack.http.request(method, path.format(nobody), headers=bob)
        assert others.status_code == absent.status_code == 404
        assert others.json()["detail"].replace(made["id"], "ID") == absent.json()["detail"].replace(nobody, "ID")
    assert stack.http.get(sheet, headers=bob).status_code == 404
    assert stack.http.get("/api/sweeps", headers=bob).json()["items"] == []
    assert [item["id"] for item in stack.http.get("/api/sweeps", headers=alice).json()["items"]] == [made["id"]]
    bobs_own = create(stack, {"seed": [5]}, bob)
    assert bobs_own["owner"] == "bob" and stack.http.get(f"/api/sweeps/{bobs_own['id']}", headers=alice).status_code == 404
    admin = key(stack, "root", "admin")
    listed = stack.http.get("/api/sweeps", headers=admin).json()["items"]
    assert [item["owner"] for item in listed] == ["bob", "alice"], "an admin sees everyone's, newest first"
    only = stack.http.get("/api/sweeps", params={"owner": "alice"}, headers=admin).json()["items"]
    assert [item["id"] for item in only] == [made["id"]]
    mine = stack.http.get("/api/sweeps", params={"owner": "alice"}, headers=bob).json()["items"]
    assert [item["id"] for item in mine] == [bobs_own["id"]], "a user key's own, whatever owner it asks for"


def key(stack: Stack, name: str, role: Role = "user", limits: KeyLimits = KeyLimits()) -> dict[str, str]:
    """A new key (what `studio keys create` makes), as a request header."""

    async def insert() -> str:
        token = tokens.new_token()
        await keys.insert(name, role, limits, token, tokens.stored(token))
        return token.text

    return {"Authorization": f"Bearer {in_stack_database(stack, insert)}"}


def test_a_sweep_past_its_keys_limit_is_refused_whole(single_stack: Stack) -> None:
    stack = single_stack
    carol = key(stack, "carol", limits=KeyLimits(max_queued=3))
    body = {"workflow": "text_to_image", "params": {"prompt": "a fox"}, "axes": {"seed": [1, 2, 3, 4]}}
    response = stack.http.post("/api/sweeps", json=body, headers=carol)
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert response.json()["detail"] == (
        "The key 'carol' may have 3 jobs queued or running at once and has 0, too many for these 4 more; "
        "submit again when one of them ends, or cancel one."
    )
    assert stack.http.get("/api/sweeps", headers=carol).json()["items"] == []
    assert stack.http.get("/api/jobs", headers=carol).json()["items"] == []
    assert create(stack, {"seed": [1, 2, 3]}, carol)["owner"] == "carol", "three fit"
