"""A sweep whose cells ended while no API host listened is finished by the check at start-up."""

from __future__ import annotations

import time
import uuid

from server.jobs import repository as jobs
from server.sweeps import repository as sweeps
from server.jobs.schemas import JobFilters
from tests.integration.sweeps.test_sweeps import create, sheet_of
from tests.integration.worker.stack import TERMINAL, Stack
from tests.integration.worker.test_fair_queue import in_stack_database


def test_cells_that_ended_while_the_api_was_down_are_counted_and_sheeted_at_start_up(scaled_stack: Stack) -> None:
    stack = scaled_stack
    made = create(stack, {"seed": [1, 2, 3]}, steps=40)  # 0.4 s a job: they end after the kill
    stack.api.kill()  # the worker runs on; nobody hears the jobs end

    async def statuses() -> set[str]:
        found, _ = await jobs.page(JobFilters(), limit=10)
        return {job.status for job in found}

    deadline = time.monotonic() + 60
    while not in_stack_database(stack, statuses) <= TERMINAL:
        assert time.monotonic() < deadline, stack.log.read_text()[-3000:]
        time.sleep(0.2)
    async def sheet_path() -> str | None:
        stored = await sweeps.get(uuid.UUID(made["id"]))
        assert stored is not None
        return stored.sheet_path

    assert in_stack_database(stack, sheet_path) is None, "no host made the sheet while none listened"
    stack.api.start()
    stack.wait_healthy()
    while (sweep := stack.http.get(f"/api/sweeps/{made['id']}").json())["contact_sheet_url"] is None:
        assert time.monotonic() < deadline, stack.log.read_text()[-3000:]
        time.sleep(0.2)
    assert (sweep["state"], sweep["counts"]) == ("finished", {"finished": 3})
    assert sheet_of(stack, sweep["contact_sheet_url"]).size[0] > 0
