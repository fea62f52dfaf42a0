"""Pilot: the new-job form's workflow picker greys a workflow the connected ComfyUI cannot run,
with the reason, and leaves the others as they are."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.widgets import OptionList, Select

from tests.integration.worker.stack import Stack
from tests.tui.test_flows import _open_form
from tui.app import StudioApp

pytestmark = pytest.mark.filterwarnings("ignore:Image.Image.getdata:DeprecationWarning")


async def test_a_workflow_comfyui_cannot_run_is_greyed_with_the_reason(single_stack: Stack) -> None:
    app = StudioApp(single_stack.url)
    async with app.run_test(size=(160, 40)) as pilot:
        await _open_form(pilot, app, "n", "text_to_image")
        picker = app.screen.query_one("#workflow", Select)
        picker.focus()
        await pilot.press("enter")  # the list of workflows opens
        await pilot.pause()
        options = picker.query_one(OptionList)
        prompts = {str(option.prompt): option.prompt for option in options.options}
        # The stack's "broken" workflow runs a node class that ComfyUI (the double) does not have.
        [broken] = [prompt for text, prompt in prompts.items() if text.startswith("Broken (broken)")]
        assert isinstance(broken, Text) and all("dim" in str(span.style) for span in broken.spans)
        assert str(broken) == (
            "Broken (broken)  cannot run: graph.1: node class 'NoSuchNode' is not on this ComfyUI "
            "(a custom node not installed there?)"
        )
        assert "Text to image (text_to_image)" in prompts and isinstance(prompts["Text to image (text_to_image)"], str)
