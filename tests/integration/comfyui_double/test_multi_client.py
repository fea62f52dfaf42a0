"""What each socket sees with several clients (capture 14)."""

from __future__ import annotations

import asyncio

from .helpers import Recorder, capture, compact, is_json, workflow


async def test_visibility_takeover_and_reconnect_like_capture_14(comfy_double, http) -> None:
    expected = capture("14_multi_client_visibility")["summary"]
    graph = workflow("getimagesize_savewebsocket")
    a = await Recorder.connect(comfy_double.ws_url, "client-A")
    observer = await Recorder.connect(comfy_double.ws_url, "observer")

    # 1: the observer only sees status and the binary TEXT of A's prompt.
    start = len(observer.frames)
    first = (await http.post("/prompt", json={"prompt": graph, "client_id": "client-A"})).json()["prompt_id"]
    await a.wait_done(first)
    await observer.wait_for(
        lambda f: is_json(f, "status") and f["data"]["status"]["exec_info"]["queue_remaining"] == 0, start=start + 1
    )
    assert compact(observer.frames[start:]) == expected["1_observer_sees_during_A_prompt"]

    # 2: a prompt without client_id: progress, progress_state and previews go to everyone.
    starts = len(a.frames), len(observer.frames)
    await http.post("/prompt", json={"prompt": graph})
    await comfy_double.wait_idle()
    for rec, start, key in (
        (a, starts[0], "2_A_sees_during_prompt_without_client_id"),
        (observer, starts[1], "2_observer_sees_during_prompt_without_client_id"),
    ):
        await rec.wait_for(
            lambda f: is_json(f, "status") and f["data"]["status"]["exec_info"]["queue_remaining"] == 0, start=start + 2
        )
        assert compact(rec.frames[start:]) == expected[key]

    # 3: a second socket with the same clientId takes over; the old one gets nothing more.
    seen_by_old = len(a.frames)
    dup = await Recorder.connect(comfy_double.ws_url, "client-A")
    third = (await http.post("/prompt", json={"prompt": graph, "client_id": "client-A"})).json()["prompt_id"]
    await dup.wait_done(third)
    assert compact(dup.frames) == expected["3_new_socket_A_dup_sees"]
    assert a.frames[seen_by_old:] == []
    await dup.close()
    await a.close()

    # 4: reconnecting mid-job gets status (sid) and executing with the node only.
    # Long enough that the reconnect and the interrupt land while node 3 runs, even on a loaded machine.
    comfy_double.settings.class_seconds = {"ImageBlur": 0.5}
    c = await Recorder.connect(comfy_double.ws_url, "client-C")
    slow = (await http.post("/prompt", json={"prompt": workflow("slow_blur_chain"), "client_id": "client-C"})).json()[
        "prompt_id"
    ]
    await comfy_double.wait_executing("3", slow)
    await c.close()
    back = await Recorder.connect(comfy_double.ws_url, "client-C")
    await back.wait_for(lambda f: is_json(f, "executing"))
    assert back.frames[1] == {"type": "executing", "data": {"node": "3"}}
    await http.post("/interrupt", json={"prompt_id": slow})
    await back.wait_done(slow)
    assert compact(back.frames) == expected["4_reconnected_socket_sees"]
    assert back.frames[0]["data"]["sid"] == "client-C"
    await back.close()
    await observer.close()


async def test_generated_client_id_and_interrupt_broadcast_without_client(comfy_double, http) -> None:
    comfy_double.settings.class_seconds = {"ImageBlur": 0.05}
    anonymous = await Recorder.connect(comfy_double.ws_url)
    sid = anonymous.frames[0]["data"]["sid"]
    assert len(sid) == 32  # uuid4().hex when the client sends no clientId
    prompt_id = (await http.post("/prompt", json={"prompt": workflow("slow_blur_chain")})).json()["prompt_id"]
    await comfy_double.wait_executing("2", prompt_id)
    await http.post("/interrupt")
    frame = await anonymous.wait_for(lambda f: is_json(f, "execution_interrupted"))
    assert frame["data"]["prompt_id"] == prompt_id  # broadcast: the prompt had no client_id
    assert not anonymous.of("executing") and not anonymous.of("execution_start")
    await anonymous.close()


async def test_closing_a_replaced_socket_unregisters_its_successor(comfy_double, http) -> None:
    # server.py pops the clientId when *any* of its sockets closes (ComfyUI issue #16010).
    old = await Recorder.connect(comfy_double.ws_url, "same")
    new = await Recorder.connect(comfy_double.ws_url, "same")
    await old.close()
    for _ in range(500):
        if "same" not in comfy_double.state.hub.sockets:
            break
        await asyncio.sleep(0.002)
    seen = len(new.frames)
    await http.post("/prompt", json={"prompt": workflow("empty_image_save_batch2"), "client_id": "same"})
    await comfy_double.wait_idle()
    await asyncio.sleep(0.02)
    assert new.frames[seen:] == [] and new.closed is None  # still open, but deaf
    await new.close()
