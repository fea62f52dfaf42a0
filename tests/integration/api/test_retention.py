"""Old outputs and uploads are removed; favorites and recent work stay."""

from __future__ import annotations

import datetime
import uuid

from litestar.testing import TestClient

from server.clock import utc_now
from server.config import Settings
from server.db.tables import Job, Upload
from server.maintenance import clean_up
from server.storage import LocalStorage


def test_clean_up_removes_old_files_and_rows(client: TestClient, settings: Settings) -> None:
    storage = LocalStorage(settings.data_path)
    ids = [client.post("/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": f"p{i}"}}).json()["id"] for i in range(3)]
    old, favorite, recent = (uuid.UUID(i) for i in ids)
    for job_id in (old, favorite, recent):
        storage.write("outputs", f"{job_id}/image.png", b"png")
    storage.write("uploads", "old.png", b"png")
    storage.write("uploads", "new.png", b"png")
    long_ago = utc_now() - datetime.timedelta(days=settings.output_retention_days + 1)

    async def age() -> None:
        await Job.update({Job.status: "finished", Job.finished_at: long_ago}).where(Job.id.is_in([old, favorite]))
        await Job.update({Job.favorite: True}).where(Job.id == favorite)
        await Job.update({Job.status: "finished", Job.finished_at: utc_now()}).where(Job.id == recent)
        for name, created in (("old.png", long_ago), ("new.png", utc_now())):
            await Upload.insert(Upload(name=name, width=1, height=1, size_bytes=3, sha256="x", created_at=created))

    client.blocking_portal.call(age)
    report = client.blocking_portal.call(clean_up, settings, storage)
    assert (report.jobs, report.uploads) == (1, 1)
    assert client.get(f"/api/jobs/{old}").status_code == 404
    assert not (settings.data_path / "outputs" / str(old)).exists()
    for kept in (favorite, recent):
        assert client.get(f"/api/jobs/{kept}").status_code == 200
        assert (settings.data_path / "outputs" / str(kept) / "image.png").is_file()
    assert not (settings.data_path / "uploads" / "old.png").exists()
    assert (settings.data_path / "uploads" / "new.png").is_file()
    assert client.blocking_portal.call(clean_up, settings, storage).jobs == 0, "idempotent"
