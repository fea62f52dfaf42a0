"""Job structs made up for tests and benches that need no server: job n is created n minutes in."""

from __future__ import annotations

import datetime
import uuid

import msgspec

from server.jobs.schemas import Job

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def job(n: int, status: str = "queued", **fields: object) -> Job:
    values = {
        "id": uuid.UUID(int=n), "workflow": "text_to_image", "params": {}, "prompt": f"job {n}", "negative_prompt": "",
        "model": None, "aspect_ratio": None, "width": None, "height": None, "batch_size": 1, "seed": 1, "steps": None,
        "cfg": None, "sampler": None, "scheduler": None, "denoise": None, "status": status, "progress": 0, "error": None,
        "error_details": None, "outputs": [], "texts": [], "comfy_prompt_id": None, "worker": None, "lane": None,
        "cancel_requested": False, "attempts": 0, "favorite": False, "remix_of": None, "style": None, "styled_params": {},
        "owner": None,
        "created_at": T0 + datetime.timedelta(minutes=n), "started_at": None, "finished_at": None, "updated_at": T0,
    }
    return msgspec.convert({**values, **fields}, Job)
