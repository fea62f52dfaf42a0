"""The queries the workers' recovery runs, on real SQLite and PostgreSQL: deleted jobs are gone for them too."""

from __future__ import annotations

import uuid

from litestar.testing import TestClient

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
        for job_id in (kept, deleted):
            # A lease that already ran out: the worker that claimed them is gone.
            assert await transitions.claim(job_id, worker="gone 1", lane="gone http://comfy", lease_seconds=-60)
        assert await repository.soft_delete(deleted)

    client.blocking_portal.call(race)
    assert client.blocking_portal.call(transitions.orphaned, 0) == [kept]
    assert client.blocking_portal.call(lambda: transitions.processing_on_lane("gone http://comfy", expired_only=True)) == [kept]
    assert client.get(f"/api/jobs/{deleted}").status_code == 404
