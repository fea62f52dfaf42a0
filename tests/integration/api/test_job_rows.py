"""The queries the workers' recovery runs, on real SQLite and PostgreSQL: deleted jobs are gone for them too."""

from __future__ import annotations

import uuid

from litestar.testing import TestClient

from server.db.tables import Job as JobRow
from server.jobs import repository, transitions


def submit(client: TestClient, prompt: str) -> uuid.UUID:
    response = client.post("/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": prompt}})
    assert response.status_code == 202, response.text
    return uuid.UUID(response.json()["id"])


def test_a_deleted_processing_job_is_no_orphan(client: TestClient) -> None:
    """A delete that raced a claim (it saw the job queued) leaves a deleted processing job: no
    worker may rescue it, though its lease ran out like any orphan's."""
    kept, deleted = submit(client, "kept"), submit(client, "deleted")

    async def race() -> None:
        # A lease that already ran out: the worker that claimed them is gone.
        claimed = [await transitions.claim(worker="gone 1", lane="gone http://comfy", lease_seconds=-60) for _ in range(2)]
        assert {job.id for job in claimed if job} == {kept, deleted}
        assert await repository.soft_delete(deleted)

    client.blocking_portal.call(race)
    assert client.blocking_portal.call(transitions.orphaned, 0) == [kept]
    assert client.blocking_portal.call(lambda: transitions.processing_on_lane("gone http://comfy", expired_only=True)) == [kept]
    assert client.get(f"/api/jobs/{deleted}").status_code == 404


def test_deleting_a_running_job_is_refused_and_its_worker_can_still_end_it(client: TestClient) -> None:
    job_id = submit(client, "running")
    claimed = client.blocking_portal.call(lambda: transitions.claim(worker="w 1", lane="w http://comfy", lease_seconds=60))
    assert claimed is not None and claimed.id == job_id and claimed.status == "processing"
    refused = client.delete(f"/api/jobs/{job_id}")
    assert refused.status_code == 409 and "cancel it before deleting it" in refused.json()["detail"]
    assert client.get(f"/api/jobs/{job_id}").json()["status"] == "processing"
    assert client.blocking_portal.call(lambda: transitions.finish(job_id, worker="w 1", outputs=[], texts=[]))


def test_the_delete_itself_misses_a_job_claimed_after_the_delete_looked(client: TestClient) -> None:
    """DELETE reads the job (queued), a worker claims it, then the delete's update runs: guarded
    by the status, it misses, so no worker is left running a deleted job it can no longer end."""
    job_id = submit(client, "claimed meanwhile")

    async def race() -> bool:
        claimed = await transitions.claim(worker="w 1", lane="w http://comfy", lease_seconds=60)
        assert claimed is not None and claimed.id == job_id
        return await transitions.delete_unless_running(job_id)

    assert client.blocking_portal.call(race) is False
    assert client.get(f"/api/jobs/{job_id}").json()["status"] == "processing"


def test_error_details_read_typed_and_a_shape_unknown_here_is_still_served(client: TestClient) -> None:
    """Rows keep what older (or newer) Studios wrote: a job is never a 500 because of them."""
    old, odd = submit(client, "old"), submit(client, "odd")
    old_details = {"type": "lost", "attempts": 3}  # as the worker wrote it before failures were typed

    async def fail() -> None:
        for job_id, details in ((old, old_details), (odd, {"node": "3"})):
            await JobRow.update({JobRow.status: "failed", JobRow.error: "It failed.", JobRow.error_details: details}).where(
                JobRow.id == job_id
            )

    client.blocking_portal.call(fail)
    assert client.get(f"/api/jobs/{old}").json()["error_details"] == old_details
    served = {job["id"]: job["error_details"] for job in client.get("/api/jobs", params={"status": "failed"}).json()["items"]}
    assert served == {str(old): old_details, str(odd): {"type": "unknown", "stored": {"node": "3"}}}
    assert client.get(f"/api/jobs/{odd}").json()["error_details"] == {"type": "unknown", "stored": {"node": "3"}}
