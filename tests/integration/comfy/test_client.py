"""server.comfy against the ComfyUI double (tests/comfyui_double), over real HTTP + WebSocket."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image

from server.comfy import (
    ComfyClient,
    ComfyNotFound,
    ComfyRejected,
    ComfySession,
    Failed,
    Interrupted,
    Lost,
    NodeTextUpdate,
    OutputUpdate,
    PreviewUpdate,
    ProgressUpdate,
    PromptFollower,
    Succeeded,
    Update,
)
from tests.comfyui_double import ComfyDouble, ComfyDoubleProcess, DoubleSettings

from tests.common.comfy_graphs import workflow

pytestmark = pytest.mark.timeout(30)


async def collect(follower: PromptFollower, timeout: float = 10) -> list[Update]:
    async def run() -> list[Update]:
        return [update async for update in follower]

    return await asyncio.wait_for(run(), timeout)


def png(width: int, height: int, color: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "PNG")
    return buf.getvalue()


async def test_submit_and_follow_to_success_with_a_batch(
    session: ComfySession, client: ComfyClient
) -> None:
    graph = workflow("empty_image_save_batch2")
    updates = await collect(await session.submit(graph, "studio-batch-1"))
    outcome = updates[-1]
    assert isinstance(outcome, Succeeded) and outcome.prompt_id == "studio-batch-1"
    assert [(i.node_id, i.subfolder, i.type) for i in outcome.images] == [("2", "studio_probe", "output")] * 2
    assert [u.node_id for u in updates if isinstance(u, OutputUpdate)] == ["2"]
    fractions = [u.fraction for u in updates if isinstance(u, ProgressUpdate)]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    for image in outcome.images:
        data = await client.view(image.filename, image.subfolder, image.type)
        assert Image.open(io.BytesIO(data)).size == (512, 512)


async def test_next_prompt_submitted_while_one_runs(
    session: ComfySession, comfy_double: ComfyDouble
) -> None:
    comfy_double.settings.class_seconds = {"ImageBlur": 0.05}
    slow = await session.submit(workflow("slow_blur_chain"))
    sizes = workflow("getimagesize_savewebsocket")
    quick = await session.submit(sizes)
    slow_updates, quick_updates = await asyncio.gather(collect(slow), collect(quick))
    assert isinstance(slow_updates[-1], Succeeded)
    assert [i.type for i in slow_updates[-1].images] == ["temp"]  # PreviewImage only
    # previews come as binary type 4 (we announce supports_preview_metadata)
    previews = [u for u in quick_updates if isinstance(u, PreviewUpdate)]
    assert len(previews) == 3 and {p.node_id for p in previews} == {"4"}
    assert Image.open(io.BytesIO(previews[0].image)).size == (64, 48)
    assert not any(isinstance(u, PreviewUpdate) for u in slow_updates)
    assert [u for u in quick_updates if isinstance(u, NodeTextUpdate)] == [
        NodeTextUpdate("2", "width: 64, height: 48\n batch size: 3")
    ]
    assert isinstance(quick_updates[-1], Succeeded)


async def test_rejection_names_node_class_input_and_value(session: ComfySession) -> None:
    with pytest.raises(ComfyRejected) as caught:
        await session.submit(workflow("needs_model_sd15_txt2img"), "rejected-1")
    assert str(caught.value) == (
        "Node 4 (CheckpointLoaderSimple) input 'ckpt_name': "
        "value 'v1-5-pruned-emaonly.safetensors' not in list []"
    )


async def test_partial_acceptance_is_rejected_and_withdrawn(
    session: ComfySession, comfy_double: ComfyDouble
) -> None:
    comfy_double.settings.class_seconds = {"ImageBlur": 0.3}
    blocker = await session.submit(workflow("slow_blur_chain"))  # keeps the partial one pending
    graph = workflow("empty_image_save_batch2")
    graph["3"] = {"class_type": "EmptyImage", "inputs": {"width": -5, "height": 8, "batch_size": 1, "color": 0}}
    graph["4"] = {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "p"}}
    with pytest.raises(ComfyRejected) as caught:
        await session.submit(graph, "partial-1")
    assert caught.value.prompt_id == "partial-1"
    assert caught.value.sentences == ["Node 3 (EmptyImage) input 'width': value -5 smaller than min of 1"]
    await session.cancel(blocker.prompt_id)
    assert isinstance(await asyncio.wait_for(blocker.outcome(), 10), Interrupted)
    await comfy_double.wait_idle()
    assert comfy_double.history("partial-1") is None  # deleted before it could run


async def test_execution_error(session: ComfySession) -> None:
    outcome = await asyncio.wait_for(
        (await session.submit(workflow("exec_error_blend_batch_mismatch"))).outcome(), 10
    )
    assert isinstance(outcome, Failed)
    assert (outcome.node_id, outcome.node_type, outcome.exception_type) == ("3", "ImageBlend", "RuntimeError")
    assert outcome.message.startswith("Node 3 (ImageBlend) failed: RuntimeError: ")
    assert outcome.traceback


async def test_targeted_interrupt_of_running_prompt(
    session: ComfySession, comfy_double: ComfyDouble
) -> None:
    comfy_double.settings.class_seconds = {"ImageBlur": 0.2}
    follower = await session.submit(workflow("slow_blur_chain"))
    await comfy_double.wait_executing("2", follower.prompt_id)
    await session.cancel(follower.prompt_id)
    outcome = await asyncio.wait_for(follower.outcome(), 10)
    assert isinstance(outcome, Interrupted) and outcome.node_type == "ImageBlur"
    assert comfy_double.global_interrupts == 0 and comfy_double.targeted_interrupts == 1


async def test_cancel_pending_prompt_deletes_it(
    session: ComfySession, comfy_double: ComfyDouble
) -> None:
    comfy_double.settings.class_seconds = {"ImageBlur": 0.2}
    running = await session.submit(workflow("slow_blur_chain"))
    pending = await session.submit(workflow("empty_image_save_batch2"))
    await comfy_double.wait_running(running.prompt_id)
    await session.cancel(pending.prompt_id)
    assert await asyncio.wait_for(pending.outcome(), 5) == Interrupted(pending.prompt_id, None, None)
    assert comfy_double.running_prompt_id == running.prompt_id  # the running one is untouched
    assert isinstance(await asyncio.wait_for(running.outcome(), 10), Succeeded)
    assert comfy_double.history(pending.prompt_id) is None


async def test_upload_uses_the_returned_name(session: ComfySession, client: ComfyClient) -> None:
    first = await client.upload_image(png(8, 8, (255, 0, 0)), "in.png", "studio_jobs/j1")
    second = await client.upload_image(png(8, 8, (0, 255, 0)), "in.png", "studio_jobs/j1")
    assert (first.name, first.subfolder) == ("in.png", "studio_jobs/j1")
    assert second.name == "in (1).png"  # same name, other bytes: renamed
    again = await client.upload_image(png(8, 8, (0, 255, 0)), "in.png", "studio_jobs/j1", overwrite=True)
    assert again.name == "in.png"
    graph = workflow("loadimage_save")
    graph["1"]["inputs"]["image"] = f"{second.subfolder}/{second.name}"
    outcome = await asyncio.wait_for((await session.submit(graph)).outcome(), 10)
    assert isinstance(outcome, Succeeded)
    saved = await client.view(outcome.images[0].filename, outcome.images[0].subfolder)
    assert Image.open(io.BytesIO(saved)).getpixel((0, 0)) == (0, 255, 0)


async def test_view_and_models_errors(client: ComfyClient, comfy_double: ComfyDouble) -> None:
    with pytest.raises(ComfyNotFound):
        await client.view("missing.png")
    with pytest.raises(ComfyNotFound):
        await client.models("unet")  # the legacy name is 404 on 0.3.64
    assert await client.models("checkpoints") == []
    comfy_double.settings.set_models("checkpoints", ["sd15.safetensors"])
    assert await client.models("checkpoints") == ["sd15.safetensors"]


async def test_catalogue_and_stats(client: ComfyClient) -> None:
    info = await client.object_info()
    assert "SaveImage" in info and "KSampler" in info
    stats = await client.system_stats()
    assert stats.system.comfyui_version == "0.3.64"


async def test_cached_rerun_delivers_the_same_files(session: ComfySession) -> None:
    graph = workflow("cache_probe_scale_invert_save")
    first = await asyncio.wait_for((await session.submit(graph)).outcome(), 10)
    second = await asyncio.wait_for((await session.submit(graph)).outcome(), 10)
    assert isinstance(first, Succeeded) and isinstance(second, Succeeded)
    assert second.images == first.images


async def test_kill_and_restart_loses_prompts(session: ComfySession, comfy_double: ComfyDouble) -> None:
    comfy_double.settings.class_seconds = {"ImageBlur": 0.3}
    running = await session.submit(workflow("slow_blur_chain"))
    pending = await session.submit(workflow("empty_image_save_batch2"))
    await comfy_double.wait_executing("2", running.prompt_id)
    comfy_double.kill()
    await asyncio.sleep(0.3)  # down for a while: reconnects are refused
    assert not session.connected
    comfy_double.restart()
    outcomes = await asyncio.wait_for(asyncio.gather(running.outcome(), pending.outcome()), 10)
    assert [type(o) for o in outcomes] == [Lost, Lost]
    # the lane works again after the restart
    after = await asyncio.wait_for((await session.submit(workflow("empty_image_save_batch2"))).outcome(), 10)
    assert isinstance(after, Succeeded)


async def test_adopt_after_a_worker_restart(client: ComfyClient, comfy_double: ComfyDouble) -> None:
    """A new session with the old client_id picks up a prompt that is still running."""
    comfy_double.settings.class_seconds = {"ImageBlur": 0.1}
    async with ComfySession(client, "lane-1") as old:
        await old.wait_connected(5)
        prompt_id = (await old.submit(workflow("slow_blur_chain"))).prompt_id
        await comfy_double.wait_executing("2", prompt_id)
    async with ComfySession(client, "lane-1") as new:
        follower = new.adopt(prompt_id)
        updates = await collect(follower)
    assert isinstance(updates[-1], Succeeded)
    assert any(isinstance(u, ProgressUpdate) and u.class_type == "ImageBlur" for u in updates)


async def test_real_sigkill_of_the_server_process(tmp_path) -> None:
    settings = DoubleSettings(node_seconds=0.002, step_seconds=0.002, class_seconds={"ImageBlur": 0.5})
    with ComfyDoubleProcess(settings, data_dir=tmp_path / "comfyui") as comfy:
        async with ComfyClient(comfy.url) as client:
            async with ComfySession(client, backoff_initial=0.05, backoff_max=0.3) as session:
                await session.wait_connected(10)
                running = await session.submit(workflow("slow_blur_chain"))
                pending = await session.submit(workflow("empty_image_save_batch2"))
                while ((await client.queue()).find(running.prompt_id) or ("",))[0] != "running":
                    await asyncio.sleep(0.02)
                comfy.kill()
                comfy.start()
                outcomes = await asyncio.wait_for(asyncio.gather(running.outcome(), pending.outcome()), 15)
    assert [type(o) for o in outcomes] == [Lost, Lost]
