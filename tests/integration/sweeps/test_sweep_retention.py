"""Retention takes a sweep and its contact sheet once it finished longer ago than outputs are kept."""

from __future__ import annotations

import datetime
import uuid

from litestar.testing import TestClient

from server.clock import utc_now
from server.config import Settings
from server.db.tables import Sweep
from server.maintenance import clean_up
from server.storage import LocalStorage
from server.sweeps.service import sheet_path


def test_an_old_sweep_loses_its_sheet_and_leaves_the_list(client: TestClient, settings: Settings) -> None:
    storage = LocalStorage(settings.data_path)
    body = {"workflow": "text_to_image", "params": {"prompt": "a fox"}, "axes": {"seed": [1]}}
    old, recent = (uuid.UUID(client.post("/api/sweeps", json=body).json()["id"]) for _ in range(2))
    for sweep_id in (old, recent):
        storage.write("outputs", sheet_path(sweep_id), b"png")
    long_ago = utc_now() - datetime.timedelta(days=settings.output_retention_days + 1)

    async def age() -> None:
        await Sweep.update({Sweep.finished_at: long_ago}).where(Sweep.id == old)
        await Sweep.update({Sweep.finished_at: utc_now()}).where(Sweep.id == recent)

    client.blocking_portal.call(age)
    assert client.blocking_portal.call(clean_up, settings, storage).sweeps == 1
    assert client.get(f"/api/sweeps/{old}").status_code == 404
    assert not storage.path("outputs", sheet_path(old)).parent.exists()
    assert client.get(f"/api/sweeps/{recent}").status_code == 200 and storage.path("outputs", sheet_path(recent)).is_file()
    assert [item["id"] for item in client.get("/api/sweeps").json()["items"]] == [str(recent)]
    assert client.blocking_portal.call(clean_up, settings, storage).sweeps == 0, "idempotent"
