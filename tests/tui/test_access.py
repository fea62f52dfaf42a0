"""The TUI against a Studio that asks for keys: owners for an admin only, refusals said once."""

from __future__ import annotations

import datetime

import pytest
from textual.widgets import Select

from client.errors import NO_KEY
from tests.integration.worker.stack import Stack
from tests.tui.notices import Notices
from tests.tui.studio_data import FAR_FUTURE, insert_jobs, job_id, job_row, make_key, until
from tui.app import StudioApp
from tui.screens.history import HistoryScreen
from tui.widgets.history.table import HistoryTable
from tui.widgets.job_table import JobTable
from tui.widgets.owner_select import OwnerSelect
from tui.widgets.queue.tables import ActiveTable, RecentTable
from tui.widgets.top_bar import ConnectionBadge

pytestmark = pytest.mark.filterwarnings("ignore:Image.Image.getdata:DeprecationWarning")

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
# Job n: (owner, status, prompt). The queued ones wait (no message sent): alice's, bob's, alice's.
JOBS = {
    0: ("alice", "finished", "an owl"),
    1: ("bob", "finished", "a fox"),
    2: ("alice", "failed", "a castle"),
    3: ("alice", "queued", "a red fox"),
    4: ("bob", "queued", "a blue owl"),
    5: ("alice", "queued", "a green castle"),
}


async def _jobs_of_alice_and_bob(stack: Stack) -> None:
    await insert_jobs(
        stack,
        [
            job_row(n, START + datetime.timedelta(minutes=n), prompt, status, owner=owner, **({"enqueued_at": FAR_FUTURE} if status == "queued" else {}))
            for n, (owner, status, prompt) in JOBS.items()
        ],
    )


def _column_keys(table: JobTable) -> list[str]:
    return [str(key.value) for key in table.columns]


def _prompts(table: JobTable) -> list[str]:
    return [job.prompt for job in table.jobs.values()]


def _owners_loaded(app: StudioApp) -> bool:
    return not any(worker.group == "owners" and worker.is_running for worker in app.workers)


async def test_an_admin_sees_whose_each_job_is_and_narrows_queue_and_history_to_one_owner(single_stack: Stack) -> None:
    await _jobs_of_alice_and_bob(single_stack)
    admin = await make_key(single_stack.data_dir, "root", "admin")
    for name in ("alice", "bob"):
        await make_key(single_stack.data_dir, name)
    app = StudioApp(single_stack.url, api_key=admin)
    async with app.run_test(size=(140, 32)) as pilot:
        await until(pilot, lambda: app.owners == ("alice", "bob", "root"), what="the key names")
        active, recent = app.screen.query_one(ActiveTable), app.screen.query_one(RecentTable)
        await until(pilot, lambda: active.row_count == 3 and recent.row_count == 3, what="the queue")
        assert _column_keys(active) == ["position", "status", "progress", "elapsed", "owner", "prompt"]
        assert [str(active.get_row_at(row)[-2]) for row in range(3)] == ["alice", "bob", "alice"]
        assert [str(recent.get_row_at(row)[-2]) for row in range(3)] == ["alice", "bob", "alice"]

        # Bob's jobs only, each at its place in the whole queue.
        app.screen.query_one(OwnerSelect).value = "bob"
        await until(pilot, lambda: _prompts(active) == ["a blue owl"], what="bob's queued job")
        assert str(active.get_row_at(0)[0]) == "2"
        assert _prompts(recent) == ["a fox"]
        assert "bob's: 1" in str(app.screen.query_one("#totals").content)

        await pilot.press("2")
        screen = await until(pilot, lambda: app.screen if isinstance(app.screen, HistoryScreen) else None, what="history")
        table = screen.query_one(HistoryTable)
        await until(pilot, lambda: table.complete and table.row_count == len(JOBS), what="the whole history")
        assert "owner" in _column_keys(table)
        assert str(table.get_row(str(job_id(1)))[-2]) == "bob"
        screen.query_one("#owner", Select).value = "alice"
        await until(pilot, lambda: table.complete and _prompts(table) == ["a green castle", "a red fox", "a castle", "an owl"], what="alice's jobs")


async def test_a_user_key_sees_neither_owners_nor_the_owner_filter(single_stack: Stack) -> None:
    await _jobs_of_alice_and_bob(single_stack)
    await make_key(single_stack.data_dir, "root", "admin")
    alice = await make_key(single_stack.data_dir, "alice")
    app = StudioApp(single_stack.url, api_key=alice)
    async with app.run_test(size=(140, 32)) as pilot:
        await until(pilot, lambda: app.connection == "connected", what="the live feed")
        await until(pilot, lambda: _owners_loaded(app), what="Studio to say who this is")
        active = app.screen.query_one(ActiveTable)
        await until(pilot, lambda: active.row_count == 2, what="alice's queue")
        assert app.owners is None and "owner" not in _column_keys(active)
        assert not app.screen.query_one(OwnerSelect).display

        await pilot.press("2")
        screen = await until(pilot, lambda: app.screen if isinstance(app.screen, HistoryScreen) else None, what="history")
        table = screen.query_one(HistoryTable)
        await until(pilot, lambda: table.complete and table.row_count == 4, what="alice's history")
        assert "owner" not in _column_keys(table) and not screen.query_one(OwnerSelect).display


@pytest.mark.parametrize("which", ["none", "revoked"])
async def test_a_refused_key_is_said_once_and_the_badge_shows_it(single_stack: Stack, which: str) -> None:
    revoked = await make_key(single_stack.data_dir, "bob", revoked=True)
    app = StudioApp(single_stack.url, api_key=revoked if which == "revoked" else None)
    notices = Notices()
    async with app.run_test(message_hook=notices) as pilot:
        await until(pilot, lambda: app.connection == "refused", what="the refusal")
        assert "no access" in str(app.screen.query_one(ConnectionBadge).content)
        said = lambda: [n.message for n in notices.posted if n.title == "No access to Studio"]  # noqa: E731
        await until(pilot, said, what="the notice")
        # Not retried: asking again would be refused again.
        await until(pilot, lambda: not any(worker.group == "live" and worker.is_running for worker in app.workers), what="the feed to stop")
        await pilot.pause(0.2)
        if which == "none":
            assert said() == [NO_KEY]
        else:
            assert len(said()) == 1 and said()[0].startswith("The API key 'bob' (") and "was revoked on" in said()[0]
        assert app.connection == "refused"
