"""Pilot drives the TUI against a real Studio: every flow a user has, end to end."""

from __future__ import annotations

import asyncio
import datetime
from pathlib import Path

import msgspec
import pytest
from PIL import Image
from textual.widgets import Checkbox, Input, OptionList, ProgressBar, Select, Static, TextArea

from client.http import auth_headers
from server.jobs.schemas import Job
from tests.comfyui_double.double import ComfyDouble
from tests.integration.worker.stack import Stack
from tests.tui.notices import Notices
from tests.tui.studio_data import insert_jobs, job_id, job_row, until
from tui.app import StudioApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.detail import JobDetailScreen
from tui.screens.history import HistoryScreen
from tui.screens.job_form import JobFormScreen
from tui.widgets.detail.outputs import PreviewImage
from tui.widgets.form.fields import ParamField, SeedField
from tui.widgets.history.table import HistoryTable
from tui.widgets.queue.tables import ActiveTable, RecentTable

# textual-image 0.12 draws previews with a Pillow call Pillow 12 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:Image.Image.getdata:DeprecationWarning")


def _fields(app: StudioApp) -> dict[str, ParamField]:
    """The fields of the form's chosen workflow (empty until they are shown)."""
    screen = app.screen
    fields = screen.current if isinstance(screen, JobFormScreen) else None
    return fields.by_name() if fields is not None and fields.is_mounted else {}


def _shown(app: StudioApp, workflow: str) -> dict[str, ParamField]:
    """The form's fields once they are `workflow`'s."""
    fields = _fields(app)
    return fields if fields and app.screen.current.workflow.name == workflow else {}


async def _open_form(pilot, app: StudioApp, key: str, workflow: str) -> dict[str, ParamField]:
    await pilot.press(key)
    await until(pilot, lambda: isinstance(app.screen, JobFormScreen) and _fields(app), what="the form")
    picker = app.screen.query_one("#workflow", Select)
    if picker.value != workflow:
        picker.value = workflow
        await until(pilot, lambda: _shown(app, workflow), what=f"{workflow}'s fields")
    return _fields(app)


async def _submitted(pilot, app: StudioApp, previous: JobDetailScreen | None = None) -> JobDetailScreen:
    await pilot.press("ctrl+s")
    return await until(
        pilot,
        lambda: app.screen if isinstance(app.screen, JobDetailScreen) and app.screen is not previous else None,
        what="the new job's live view",
    )


async def test_submit_from_the_form_watch_it_finish_open_it_and_remix_it(single_stack: Stack, double: ComfyDouble) -> None:
    double.settings.step_seconds = 0.05  # 20 steps: about a second of progress to watch
    app = StudioApp(single_stack.url)
    notices = Notices()
    async with app.run_test(size=(100, 32), message_hook=notices) as pilot:
        await until(pilot, lambda: app.connection == "connected", what="the live feed")
        fields = await _open_form(pilot, app, "n", "text_to_image")

        # A refusal is a notification with Studio's own words, and the form stays.
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any("params.prompt" in n.message for n in notices.posted), what="the refusal")
        assert isinstance(app.screen, JobFormScreen)

        fields["prompt"].query_one(TextArea).focus()
        await pilot.press(*"a red fox")
        detail = await _submitted(pilot, app)
        job = detail.job
        assert (job.workflow, job.prompt, job.params["seed"]) == ("text_to_image", "a red fox", -1)

        seen: set[int] = set()

        def finished() -> bool:
            seen.add(int(detail.query_one(ProgressBar).progress or 0))
            return detail.job.status == "finished"

        await until(pilot, finished, what="the job to finish")
        assert detail.query_one(ProgressBar).progress == 100
        assert any(0 < percent < 100 for percent in seen), seen
        await until(pilot, lambda: detail.query(PreviewImage), what="the output preview")
        shown = f"{single_stack.url}{detail.job.outputs[0].url.partition('?')[0]}?…"  # a signed link, cut after its path
        assert shown in str(detail.query_one(".output-facts").render())

        # Remix keeps the seed unless told otherwise.
        fields = await _open_form(pilot, app, "r", "text_to_image")
        assert fields["prompt"].query_one(TextArea).text == "a red fox"
        assert fields["seed"].query_one(Input).value == str(job.seed)
        assert not fields["seed"].query_one(Checkbox).value
        remix = await _submitted(pilot, app, detail)
        assert (remix.job.remix_of, remix.job.seed, remix.job.prompt) == (job.id, job.seed, "a red fox")
        await until(pilot, lambda: remix.job.status == "finished", what="the remix to finish")

        # ... or randomises it.
        fields = await _open_form(pilot, app, "r", "text_to_image")
        seed = fields["seed"]
        assert isinstance(seed, SeedField)
        seed.query_one(Checkbox).value = True
        another = await _submitted(pilot, app, remix)
        assert another.job.params["seed"] == -1 and another.job.seed != job.seed


async def test_the_form_says_why_nothing_can_be_submitted_until_its_workflows_load(single_stack: Stack) -> None:
    app = StudioApp(single_stack.url)
    notices = Notices()
    async with app.run_test(size=(100, 32), message_hook=notices) as pilot:
        await until(pilot, lambda: app.connection == "connected", what="the live feed")
        await asyncio.to_thread(single_stack.api.stop)
        await until(pilot, lambda: app.connection == "disconnected", what="the badge to say offline")

        await pilot.press("n")
        form = await until(pilot, lambda: app.screen if isinstance(app.screen, JobFormScreen) else None, what="the form")
        await until(pilot, lambda: any(n.title == "Could not list the workflows" for n in notices.posted), what="the failed load")
        await pilot.press("ctrl+s")
        said = await until(pilot, lambda: [n.message for n in notices.posted if "No workflows to choose from" in n.message], what="why")
        assert "Could not reach Studio" in said[0]
        assert "Studio did not answer" in str(form.query_one("#workflow-note", Static).content)
        assert not form.query("#workflow"), "no picker offering a made-up choice"

        # Studio back: the form fills in by itself, and the picker offers only workflows.
        await asyncio.to_thread(single_stack.restart_worker)
        await until(pilot, lambda: _fields(app), timeout=30, what="the fields")
        picker = form.query_one("#workflow", Select)
        options = picker.query_one(OptionList)
        offered = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        workflows = single_stack.http.get("/api/workflows").json()
        # A workflow the double cannot run is offered too, greyed with why (tests/tui/test_workflow_marks.py).
        assert [entry.partition("  cannot run: ")[0] for entry in offered] == [f"{w['title']} ({w['name']})" for w in workflows]
        assert picker.value == workflows[0]["name"]  # no job yet to take the last used one from
        await pilot.press("ctrl+s")  # now Studio answers, with what is missing
        await until(pilot, lambda: any("params.prompt" in n.message for n in notices.posted), what="Studio's refusal")


async def test_switching_workflow_keeps_what_was_typed_for_the_parameters_both_have(single_stack: Stack) -> None:
    app = StudioApp(single_stack.url)
    async with app.run_test(size=(100, 32)) as pilot:
        fields = await _open_form(pilot, app, "n", "text_to_image")
        fields["prompt"].query_one(TextArea).focus()
        await pilot.press(*"a red fox")
        fields["steps"].query_one(Input).value = "33"

        picker = app.screen.query_one("#workflow", Select)
        picker.value = "text_to_image_unet"
        unet = await until(pilot, lambda: _shown(app, "text_to_image_unet"), what="the other fields")
        assert unet["prompt"].query_one(TextArea).text == "a red fox"
        assert unet["steps"].query_one(Input).value == "33"
        # What was not typed keeps this workflow's own defaults; a model of another folder stays too.
        assert unet["cfg"].query_one(Input).value == "1.0"
        assert unet["model"].query_one(Select).value == "z_image_turbo_bf16.safetensors"

        unet["prompt"].query_one(TextArea).text = "a red fox in the snow"
        picker.value = "text_to_image"
        again = await until(pilot, lambda: _shown(app, "text_to_image"), what="the first fields again")
        assert again["prompt"].query_one(TextArea).text == "a red fox in the snow"
        assert (again["steps"].query_one(Input).value, again["cfg"].query_one(Input).value) == ("33", "7.0")
        detail = await _submitted(pilot, app)
        assert (detail.job.workflow, detail.job.prompt, detail.job.params["steps"]) == ("text_to_image", "a red fox in the snow", 33)


def _footer(app: StudioApp) -> list[str]:
    """The keys the footer offers: the screen's bindings to show that its check_action leaves in."""
    return [active.binding.description for active in app.screen.active_bindings.values() if active.binding.show]


async def test_cancel_is_offered_for_queued_and_running_jobs_only(single_stack: Stack, double: ComfyDouble) -> None:
    double.settings.step_seconds = 0.03
    finished = await asyncio.to_thread(single_stack.wait, single_stack.submit(prompt="done already")["id"])
    running = single_stack.submit(steps=150)
    app = StudioApp(single_stack.url)
    notices = Notices()
    async with app.run_test(size=(120, 32), message_hook=notices) as pilot:
        active = app.screen.query_one(ActiveTable)
        await until(pilot, lambda: (job := active.highlighted_job) is not None and job.status == "processing", what="the job to run")
        await until(pilot, lambda: "Cancel" in _footer(app), what="cancel offered for the running job")
        await pilot.press("tab")  # the latest outcomes
        await until(pilot, lambda: app.screen.query_one(RecentTable).has_focus, what="the other table")
        await until(pilot, lambda: "Cancel" not in _footer(app), what="no cancel for a finished job")
        await pilot.press("c")
        # Taken, the key would have started a cancel (a worker of the "actions" group) that says why not.
        if actions := [worker for worker in app.workers if worker.group == "actions"]:
            await app.workers.wait_for_complete(actions)  # (with none, it would wait for every worker)
        assert not notices.posted and single_stack.job(finished["id"])["status"] == "finished"

        app.open_job(msgspec.convert(finished, Job))
        await until(pilot, lambda: isinstance(app.screen, JobDetailScreen), what="the finished job")
        await until(pilot, lambda: "Remix" in _footer(app), what="the keys")
        assert "Cancel" not in _footer(app)
        await pilot.press("escape", "shift+tab", "enter")  # the running job's view
        detail = await until(pilot, lambda: app.screen if isinstance(app.screen, JobDetailScreen) and app.screen.job.id != finished["id"] else None)
        assert str(detail.job.id) == running["id"]
        await until(pilot, lambda: "Cancel" in _footer(app), what="cancel offered while it runs")
        await pilot.press("c")
        await until(pilot, lambda: detail.job.status == "cancelled", what="the job to be cancelled")
        await until(pilot, lambda: "Cancel" not in _footer(app), what="cancel gone once it ended")


async def test_a_job_that_ended_before_its_view_opened_shows_how_it_ended(single_stack: Stack) -> None:
    # A fully cached re-run ends in milliseconds: its events can all go out before the view
    # that the submit opens has subscribed. The view must not wait for them forever.
    submitted = single_stack.submit()
    await asyncio.to_thread(single_stack.wait, submitted["id"])
    app = StudioApp(single_stack.url)
    async with app.run_test() as pilot:
        await until(pilot, lambda: app.connection == "connected", what="the live feed")
        app.open_job(msgspec.convert(submitted, Job))
        detail = await until(pilot, lambda: app.screen if isinstance(app.screen, JobDetailScreen) else None, what="the view")
        assert submitted["status"] in {"queued", "processing"}  # the embedded worker may have claimed it
        await until(pilot, lambda: detail.job.status == "finished", what="the stored outcome")
        assert len(detail.job.outputs) == 1


async def test_copy_the_output_urls_and_save_the_images_here(single_stack: Stack, tmp_path: Path) -> None:
    job = await asyncio.to_thread(single_stack.wait, single_stack.submit()["id"])
    app = StudioApp(single_stack.url, save_dir=tmp_path)
    async with app.run_test() as pilot:
        app.open_job(msgspec.convert(job, Job))
        await until(pilot, lambda: isinstance(app.screen, JobDetailScreen), what="the detail")
        await pilot.press("y")
        assert app.clipboard == f"{single_stack.url}{job['outputs'][0]['url']}"

        await pilot.press("s")
        name = job["outputs"][0]["filename"]
        await until(pilot, lambda: (tmp_path / name).exists(), what="the saved image")
        await pilot.press("s")  # again: a second file, the first one kept
        stem, suffix = name.rsplit(".", 1)
        await until(pilot, lambda: (tmp_path / f"{stem}-1.{suffix}").exists(), what="the second copy")
        stored = single_stack.http.get(job["outputs"][0]["url"]).content
        assert (tmp_path / name).read_bytes() == (tmp_path / f"{stem}-1.{suffix}").read_bytes() == stored


async def test_cancel_a_running_job_from_the_queue(single_stack: Stack, double: ComfyDouble) -> None:
    double.settings.step_seconds = 0.03
    job = single_stack.submit(steps=150)
    app = StudioApp(single_stack.url)
    async with app.run_test() as pilot:
        table = app.screen.query_one(ActiveTable)
        await until(
            pilot,
            lambda: (row := table.highlighted_job) is not None and row.status == "processing" and row.progress > 30,
            what="the job to run",
        )
        await pilot.press("c")
        await until(pilot, lambda: single_stack.job(job["id"])["status"] == "cancelled", what="the job to be cancelled")
        await until(pilot, lambda: table.row_count == 0, what="the queue to empty")


async def test_favorite_filter_and_delete_in_history(single_stack: Stack) -> None:
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    prompts = ["a castle", "an owl", "a fox", "a castle at night"]
    await insert_jobs(single_stack, [job_row(n, start + datetime.timedelta(minutes=n), p) for n, p in enumerate(prompts)])
    app = StudioApp(single_stack.url)
    async with app.run_test() as pilot:
        await pilot.press("2")
        screen = await until(pilot, lambda: app.screen if isinstance(app.screen, HistoryScreen) else None, what="history")
        table = screen.query_one(HistoryTable)
        await until(pilot, lambda: table.complete and table.row_count == 4, what="the history")
        assert [job.prompt for job in table.jobs.values()] == prompts[::-1]  # newest first

        await pilot.press("down", "f")  # "a fox"
        await until(pilot, lambda: table.jobs[str(job_id(2))].favorite, what="the star")
        assert single_stack.job(str(job_id(2)))["favorite"] is True

        await pilot.press("up", "d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        await pilot.press("n")  # kept
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        await pilot.press("y")
        await until(pilot, lambda: str(job_id(3)) not in table.jobs, what="the row to go")
        assert single_stack.http.get(f"/api/jobs/{job_id(3)}").status_code == 404
        assert table.row_count == 3

        screen.query_one("#favorites", Checkbox).value = True
        await until(pilot, lambda: table.complete and [j.prompt for j in table.jobs.values()] == ["a fox"], what="favorites only")
        screen.query_one("#favorites", Checkbox).value = False
        screen.query_one("#search", Input).focus()
        await pilot.press(*"castle", "enter")
        await until(pilot, lambda: table.complete and [j.prompt for j in table.jobs.values()] == ["a castle"], what="the search")


async def test_a_favorite_and_a_delete_made_by_another_client_show_here(single_stack: Stack) -> None:
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    await insert_jobs(single_stack, [job_row(n, start + datetime.timedelta(minutes=n), p) for n, p in enumerate(["an owl", "a fox"])])
    owl, fox = str(job_id(0)), str(job_id(1))
    app = StudioApp(single_stack.url)
    async with app.run_test() as pilot:
        screen = await _live_history(pilot, app)
        table = screen.query_one(HistoryTable)
        await until(pilot, lambda: table.complete and table.row_count == 2, what="the history")

        # Someone else, over Studio's HTTP API: the star appears in the row.
        assert single_stack.http.put(f"/api/jobs/{fox}/favorite").status_code == 200
        await until(pilot, lambda: table.jobs[fox].favorite, what="the star")
        assert str(table.get_row(fox)[0]) == "★" and str(table.get_row(owl)[0]) == ""

        # The fox's detail follows too: unmarked elsewhere, then deleted elsewhere (it closes).
        await pilot.press("enter")
        detail = await until(pilot, lambda: app.screen if isinstance(app.screen, JobDetailScreen) else None, what="the detail")
        assert str(detail.job.id) == fox and detail.job.favorite
        assert single_stack.http.delete(f"/api/jobs/{fox}/favorite").status_code == 200
        await until(pilot, lambda: not detail.job.favorite, what="the star to go in the detail")
        assert single_stack.http.delete(f"/api/jobs/{fox}").status_code == 204
        await until(pilot, lambda: app.screen is screen, what="the detail to close")
        await until(pilot, lambda: list(table.jobs) == [owl], what="the row to go")
        assert not table.jobs[owl].favorite


async def _two_old_jobs(stack: Stack, start: datetime.datetime) -> None:
    await insert_jobs(stack, [job_row(n, start + datetime.timedelta(minutes=n), f"old job {n}") for n in range(2)])


async def _live_history(pilot, app: StudioApp) -> HistoryScreen:
    """The history, opened once the live feed is up."""
    await until(pilot, lambda: app.connection == "connected", what="the live feed")
    await pilot.press("2")
    return await until(pilot, lambda: app.screen if isinstance(app.screen, HistoryScreen) else None, what="history")


async def test_history_takes_in_new_jobs_that_match_its_filters(single_stack: Stack, double: ComfyDouble) -> None:
    await _two_old_jobs(single_stack, datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc))
    app = StudioApp(single_stack.url)
    async with app.run_test() as pilot:
        screen = await _live_history(pilot, app)
        table = screen.query_one(HistoryTable)
        await until(pilot, lambda: table.complete and table.row_count == 2, what="the history")

        await pilot.press("down")
        assert table.highlighted_job is not None and table.highlighted_job.prompt == "old job 0"
        fox = single_stack.submit(prompt="a red fox")
        await until(pilot, lambda: fox["id"] in table.jobs, what="the new job")
        assert [job.prompt for job in table.jobs.values()] == ["a red fox", "old job 1", "old job 0"]
        assert [str(table.get_row_at(row)[-1]) for row in range(3)] == ["a red fox", "old job 1", "old job 0"]
        assert table.highlighted_job.prompt == "old job 0", "the cursor stays on its job"
        await until(pilot, lambda: table.jobs[fox["id"]].status == "finished", what="the new job to finish")

        # Filtered by failed: a job that fails joins the list, one that finishes does not.
        screen.query_one("#status", Select).value = "failed"
        await until(pilot, lambda: table.complete and table.row_count == 0, what="no failed jobs yet")
        finishing = single_stack.submit(prompt="a blue fox")
        await asyncio.to_thread(single_stack.wait, finishing["id"])
        # The finished job's events went out before the failing job was submitted: once that one
        # has joined the list, the finished one has been turned away (or would be listed too).
        failing = single_stack.submit(prompt=double.settings.fail_value)
        await until(pilot, lambda: failing["id"] in table.jobs, what="the failed job")
        assert list(table.jobs) == [failing["id"]] and table.jobs[failing["id"]].status == "failed"


async def test_page_through_a_thousand_jobs(single_stack: Stack) -> None:
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    await insert_jobs(
        single_stack, [job_row(n, start + datetime.timedelta(seconds=n), f"job {n}") for n in range(1000)]
    )
    app = StudioApp(single_stack.url)
    async with app.run_test() as pilot:
        await pilot.press("2")
        table = await until(pilot, lambda: app.screen.query(HistoryTable).first() if isinstance(app.screen, HistoryScreen) else None)
        await until(pilot, lambda: table.row_count >= 100, what="the first page")
        assert table.row_count < 1000  # lazily: not everything at once
        while not table.complete:
            await pilot.press("pagedown")
        await until(pilot, lambda: table.row_count == 1000, what="the last page")
        assert [job.prompt for job in table.jobs.values()] == [f"job {n}" for n in range(999, -1, -1)]
        await pilot.press("ctrl+end")
        assert table.highlighted_job is not None and table.highlighted_job.prompt == "job 0"


async def test_survives_the_server_restarting(single_stack: Stack) -> None:
    app = StudioApp(single_stack.url)
    notices = Notices()
    async with app.run_test(message_hook=notices) as pilot:
        await until(pilot, lambda: app.connection == "connected", what="the live feed")
        await asyncio.to_thread(single_stack.api.stop)
        await until(pilot, lambda: app.connection == "disconnected", what="the badge to say offline")

        # While Studio is away, asking it something is a notification, not a crash.
        await pilot.press("2")
        await until(pilot, lambda: any("Could not reach Studio" in n.message for n in notices.posted), what="the error")

        await asyncio.to_thread(single_stack.restart_worker)
        await until(pilot, lambda: app.connection == "connected", timeout=30, what="the reconnection")
        job = single_stack.submit()
        await pilot.press("1")
        recent = app.screen.query_one(RecentTable)
        await until(pilot, lambda: job["id"] in {str(j.id) for j in recent.jobs.values()}, what="the new job's outcome")


async def test_history_loads_by_itself_when_studio_is_back(single_stack: Stack) -> None:
    # Recent: the restarted Studio's retention sweep would remove older finished jobs.
    await _two_old_jobs(single_stack, datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1))
    app = StudioApp(single_stack.url)
    async with app.run_test() as pilot:
        screen = await _live_history(pilot, app)
        table, paging = screen.query_one(HistoryTable), screen.query_one("#paging", Static)
        await until(pilot, lambda: table.complete and table.row_count == 2, what="the history")

        await asyncio.to_thread(single_stack.api.stop)
        await until(pilot, lambda: app.connection == "disconnected", what="the badge to say offline")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: "Studio did not answer" in str(paging.content), what="the paging line to say why")
        assert table.row_count == 0

        # No key: the live feed's reconnection loads the history again.
        await asyncio.to_thread(single_stack.restart_worker)
        await until(pilot, lambda: table.complete and table.row_count == 2, timeout=30, what="the history to load by itself")
        assert str(paging.content) == "2 jobs"
        fox = single_stack.submit(prompt="a red fox")
        await until(pilot, lambda: fox["id"] in table.jobs, what="the new job")
        assert [job.prompt for job in table.jobs.values()] == ["a red fox", "old job 1", "old job 0"]


async def test_an_api_key_travels_as_a_bearer_header_and_an_open_studio_ignores_it(single_stack: Stack) -> None:
    assert auth_headers("s3cret") == {"Authorization": "Bearer s3cret"}
    app = StudioApp(single_stack.url, api_key="s3cret")
    notices = Notices()
    async with app.run_test(message_hook=notices) as pilot:
        await until(pilot, lambda: app.connection == "connected", what="the live feed")
        await pilot.press("2")
        table = await until(pilot, lambda: app.screen.query(HistoryTable).first() if isinstance(app.screen, HistoryScreen) else None)
        await until(pilot, lambda: table.complete, what="the history")
        assert not notices.posted


async def test_an_input_image_is_uploaded_from_a_local_path(single_stack: Stack, tmp_path: Path) -> None:
    Image.new("RGB", (96, 64), (200, 120, 40)).save(tmp_path / "sketch.png")
    app = StudioApp(single_stack.url)
    notices = Notices()
    async with app.run_test(size=(100, 32), message_hook=notices) as pilot:
        fields = await _open_form(pilot, app, "n", "image_edit")
        fields["prompt"].query_one(TextArea).text = "paint it blue"
        fields["image"].query_one(Input).value = str(tmp_path / "missing.png")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any("missing.png" in n.message for n in notices.posted), what="the unreadable file")

        fields["image"].query_one(Input).value = str(tmp_path / "sketch.png")
        detail = await _submitted(pilot, app)
        upload = detail.job.params["image"]
        assert upload.endswith(".png") and upload != "sketch.png"
        await until(pilot, lambda: detail.job.status == "finished", what="the edit to finish")
