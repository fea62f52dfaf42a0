"""Queue management (capture 10): running + pending, front, client ids, deletes, clear, history delete."""

from __future__ import annotations

from .helpers import Recorder, workflow


def saving(prefix: str) -> dict:
    graph = workflow("empty_image_save_batch2")
    graph["2"]["inputs"]["filename_prefix"] = f"studio_probe/{prefix}"
    return graph


async def test_queue_management_like_capture_10(comfy_double, http) -> None:
    comfy_double.settings.class_seconds = {"ImageBlur": 0.05}
    ws = await Recorder.connect(comfy_double.ws_url, "c10")
    a = (await http.post("/prompt", json={"prompt": workflow("slow_blur_chain"), "client_id": "c10"})).json()
    await comfy_double.wait_running(a["prompt_id"])
    b = (
        await http.post(
            "/prompt", json={"prompt": saving("queued_B"), "client_id": "c10", "prompt_id": "studio-38c95bdf45bf"}
        )
    ).json()
    c = (
        await http.post(
            "/prompt", json={"prompt": saving("queued_C"), "client_id": "c10", "extra_data": {"studio_job": "job-123"}}
        )
    ).json()
    d = (
        await http.post("/prompt", json={"prompt": saving("queued_D_front"), "client_id": "c10", "front": True})
    ).json()
    assert (a["number"], b["number"], c["number"], d["number"]) == (0, 1, 2, -3)
    assert b["prompt_id"] == "studio-38c95bdf45bf"

    queue = (await http.get("/queue")).json()
    assert [(i[0], i[1], i[4]) for i in queue["queue_running"]] == [(0, a["prompt_id"], ["6"])]
    assert [i[0] for i in queue["queue_pending"]] == [-3, 2, 1]  # heap order, as recorded
    assert queue["queue_pending"][1][3] == {"studio_job": "job-123", "client_id": "c10"}
    assert (await http.get("/prompt")).json() == {"exec_info": {"queue_remaining": 4}}
    assert (await http.get(f"/history/{b['prompt_id']}")).json() == {}

    for body in ({"delete": [c["prompt_id"]]}, {"delete": [a["prompt_id"]]}, {"delete": ["no-such-id"]}):
        r = await http.post("/queue", json=body)
        assert (r.status_code, r.content) == (200, b"")
    queue = (await http.get("/queue")).json()
    assert [i[1] for i in queue["queue_running"]] == [a["prompt_id"]]  # deleting the running one: no effect
    assert [i[1] for i in queue["queue_pending"]] == [d["prompt_id"], b["prompt_id"]]

    await http.post("/interrupt", json={"prompt_id": b["prompt_id"]})  # pending: ignored
    await http.post("/interrupt", json={"prompt_id": a["prompt_id"]})
    await ws.wait_done(b["prompt_id"])
    finished = [f["data"]["prompt_id"] for f in ws.of("executing") if f["data"]["node"] is None]
    assert finished == [a["prompt_id"], d["prompt_id"], b["prompt_id"]]  # front=true ran before B
    assert ws.of("execution_cached")[-1]["data"]["nodes"] == ["1"]  # B reuses D's identical EmptyImage
    assert (await http.get(f"/history/{c['prompt_id']}")).json() == {}  # deleted: never ran
    entry = (await http.get(f"/history/{b['prompt_id']}")).json()[b["prompt_id"]]
    assert entry["outputs"]["2"]["images"][0]["filename"] == "queued_B_00001_.png"

    # Clear only drops pending items; then delete one history entry.
    e = (await http.post("/prompt", json={"prompt": workflow("slow_blur_chain"), "client_id": "c10"})).json()
    await comfy_double.wait_running(e["prompt_id"])
    await http.post("/prompt", json={"prompt": saving("queued_F"), "client_id": "c10"})
    assert (await http.post("/queue", json={"clear": True})).status_code == 200
    queue = (await http.get("/queue")).json()
    assert [i[1] for i in queue["queue_running"]] == [e["prompt_id"]] and queue["queue_pending"] == []
    await http.post("/interrupt")
    await ws.wait_done(e["prompt_id"])
    assert (await http.post("/history", json={"delete": [e["prompt_id"]]})).status_code == 200
    assert (await http.get(f"/history/{e['prompt_id']}")).json() == {}
    await ws.close()


async def test_history_paging_and_clear(comfy_double, http) -> None:
    ids = []
    for i in range(3):
        graph = workflow("empty_image_save_batch2")
        graph["1"]["inputs"]["color"] = i  # distinct, so nothing is cached
        ids.append((await http.post("/prompt", json={"prompt": graph})).json()["prompt_id"])
    await comfy_double.wait_idle()
    assert list((await http.get("/history")).json()) == ids
    assert list((await http.get("/history", params={"max_items": 2})).json()) == ids[1:]
    assert list((await http.get("/api/history", params={"max_items": 1, "offset": 0})).json()) == ids[:1]
    await http.post("/history", json={"clear": True})
    assert (await http.get("/history")).json() == {}
