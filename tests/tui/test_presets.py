"""Pilot: save the new-job form as a preset, start another job from it, and a preset made elsewhere
(the API) fills the form with its workflow, parameters and style."""

from __future__ import annotations

import httpx
import pytest
from textual.widgets import Button, Input, Select, TextArea

from tests.integration.worker.stack import Stack
from tests.tui.notices import Notices
from tests.tui.studio_data import until
from tests.tui.test_flows import _open_form, _shown, _submitted
from tui.app import StudioApp
from tui.widgets.form.preset_picker import PresetPicker

pytestmark = pytest.mark.filterwarnings("ignore:Image.Image.getdata:DeprecationWarning")


async def test_save_the_form_as_a_preset_and_start_jobs_from_presets(single_stack: Stack) -> None:
    made_elsewhere = {"name": "tiny", "workflow": "text_to_image", "params": {"prompt": "a heron", "steps": 7, "cfg": 9}, "style": "cinematic"}
    assert httpx.post(f"{single_stack.url}/api/presets", json=made_elsewhere, timeout=30).status_code == 201
    app = StudioApp(single_stack.url)
    notices = Notices()
    async with app.run_test(size=(100, 40), message_hook=notices) as pilot:
        fields = await _open_form(pilot, app, "n", "text_to_image")
        picker = await until(pilot, lambda: app.screen.query(PresetPicker).first() if app.screen.query(PresetPicker) else None, what="the presets")
        assert list(picker.presets) == ["tiny"]

        # Save what the form holds.
        fields["prompt"].query_one(TextArea).focus()
        await pilot.press(*"a red fox")
        fields["steps"].query_one(Input).value = "33"
        picker.query_one("#preset-name", Input).value = "fox study"
        picker.query_one("#save-preset", Button).press()
        await until(pilot, lambda: "fox study" in picker.presets, what="the saved preset")
        saved = httpx.get(f"{single_stack.url}/api/presets/fox study", timeout=30).json()
        assert (saved["workflow"], saved["params"]["prompt"], saved["params"]["steps"], saved["style"]) == ("text_to_image", "a red fox", 33, None)
        assert picker.query_one("#preset", Select).value == "fox study"

        # The same name again: Studio's sentence, nothing saved.
        picker.query_one("#preset-name", Input).value = "fox study"
        picker.query_one("#save-preset", Button).press()
        await until(pilot, lambda: any("You have a preset named 'fox study' already" in n.message for n in notices.posted), what="the refusal")

        # The preset made elsewhere fills the form: its values, the rest the workflow's defaults, its style.
        picker.query_one("#preset", Select).value = "tiny"
        await until(pilot, lambda: (f := _shown(app, "text_to_image")) and f["prompt"].query_one(TextArea).text == "a heron", what="the preset's values")
        fields = _shown(app, "text_to_image")
        # The style's own defaults (cfg 6) do not override the preset's values.
        assert (fields["steps"].query_one(Input).value, fields["cfg"].query_one(Input).value) == ("7", "9")
        assert app.screen.query_one("#style", Select).value == "cinematic"
        fields["prompt"].query_one(TextArea).text = "a heron at dusk"
        detail = await _submitted(pilot, app)
        job = detail.job
        assert (job.prompt, job.steps, job.cfg, job.style) == ("a heron at dusk", 7, 9.0, "cinematic")
