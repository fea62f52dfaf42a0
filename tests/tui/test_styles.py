"""Pilot: the new-job form's style picker previews the final prompt, the job is stored with the
user's prompt, the style and the final prompt, and a remix keeps the style."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select, Static, TextArea

from tests.integration.worker.stack import Stack
from tests.tui.studio_data import until
from tests.tui.test_flows import _open_form, _submitted
from tui.app import StudioApp
from tui.widgets.form.style_picker import StylePicker

pytestmark = pytest.mark.filterwarnings("ignore:Image.Image.getdata:DeprecationWarning")


def _preview(app: StudioApp) -> str:
    return str(app.screen.query_one("#style-preview", Static).content)


async def test_pick_a_style_see_the_final_prompt_submit_and_remix_in_it(single_stack: Stack) -> None:
    app = StudioApp(single_stack.url)
    async with app.run_test(size=(100, 40)) as pilot:
        fields = await _open_form(pilot, app, "n", "text_to_image")
        picker = await until(pilot, lambda: app.screen.query(StylePicker).first() if app.screen.query(StylePicker) else None, what="the picker")
        assert picker.chosen is None and _preview(app) == ""
        app.screen.query_one("#style", Select).value = "cinematic"
        fields["prompt"].query_one(TextArea).focus()
        await pilot.press(*"a lighthouse")
        final = "cinematic film still of a lighthouse, shallow depth of field"
        await until(pilot, lambda: final in _preview(app), what="the preview of the final prompt")
        assert "Negative: cartoon, illustration" in _preview(app) and "Defaults: cfg 6.0" in _preview(app)
        assert fields["cfg"].query_one(Input).value == "6.0", "the style's defaults fill the form"

        detail = await _submitted(pilot, app)
        job = detail.job
        assert (job.prompt, job.style, job.cfg) == ("a lighthouse", "cinematic", 6.0)
        assert job.styled_params["prompt"].startswith(final)
        stored = single_stack.job(str(job.id))
        assert (stored["prompt"], stored["style"], stored["styled_params"]["prompt"]) == ("a lighthouse", "cinematic", job.styled_params["prompt"])

        # The remix form starts in the job's style, with its own words in the prompt field.
        fields = await _open_form(pilot, app, "r", "text_to_image")
        picker = await until(pilot, lambda: app.screen.query(StylePicker).first() if app.screen.query(StylePicker) else None, what="the picker")
        assert picker.chosen == "cinematic"
        assert fields["prompt"].query_one(TextArea).text == "a lighthouse"
        await until(pilot, lambda: final in _preview(app), what="the remix's preview")
        remix = await _submitted(pilot, app, detail)
        assert (remix.job.remix_of, remix.job.style, remix.job.prompt) == (job.id, "cinematic", "a lighthouse")
        assert remix.job.styled_params == job.styled_params
