"""Prompts another client submitted (a worker process that died): ComfyUI sends their frames only
to that client's socket, so an adopting session follows them through /queue and /history."""

from __future__ import annotations

import asyncio
import time

import pytest

from server.comfy import ComfyClient, ComfySession, Interrupted, Succeeded
from server.comfy.session import POLL_SECONDS
from tests.comfyui_double import ComfyDouble

from tests.common.comfy_graphs import workflow

pytestmark = pytest.mark.timeout(30)


async def test_a_prompt_of_another_client_is_followed_to_its_outputs(client: ComfyClient, comfy_double: ComfyDouble) -> None:
    comfy_double.settings.class_seconds = {"ImageBlur": 0.3}
    async with ComfySession(client) as submitter, ComfySession(client) as adopter:
        await asyncio.gather(submitter.wait_connected(5), adopter.wait_connected(5))
        submitted = await submitter.submit(workflow("slow_blur_chain"))
        await comfy_double.wait_executing("2", submitted.prompt_id)
        adopted = adopter.adopt(submitted.prompt_id)
        expected = await asyncio.wait_for(submitted.outcome(), 10)
        ended = time.monotonic()
        outcome = await asyncio.wait_for(adopted.outcome(), 10)
    assert time.monotonic() - ended < POLL_SECONDS + 0.5, "seen by polling, not by a silence check"
    assert isinstance(outcome, Succeeded) and outcome.images and outcome.images == expected.images


async def test_cancelling_a_prompt_of_another_client_ends_it_interrupted(client: ComfyClient, comfy_double: ComfyDouble) -> None:
    comfy_double.settings.class_seconds = {"ImageBlur": 0.5}
    async with ComfySession(client) as submitter, ComfySession(client) as adopter:
        await submitter.wait_connected(5)
        prompt_id = (await submitter.submit(workflow("slow_blur_chain"))).prompt_id
        await comfy_double.wait_executing("2", prompt_id)
        adopted = adopter.adopt(prompt_id)
        await adopter.cancel(prompt_id)
        outcome = await asyncio.wait_for(adopted.outcome(), 10)
    assert isinstance(outcome, Interrupted) and outcome.node_id is not None
    assert comfy_double.targeted_interrupts == 1 and comfy_double.global_interrupts == 0
