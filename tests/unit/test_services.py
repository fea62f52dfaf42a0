"""One composition root: the API and the worker it embeds are made of the same pieces."""

from __future__ import annotations

import uuid
from pathlib import Path

import msgspec

from server.config import Settings, load_settings
from server.events.bus import EventBus
from server.jobs.service import JobService
from server.models.catalog import ModelCatalog
from server.services import build_api_services, build_services
from server.storage import LocalStorage
from server.uploads.service import UploadService
from server.worker.runtime import WorkerRuntime
from tests.common.paths import REPO


def settings_in(folder: Path) -> Settings:
    return load_settings({}, overrides={"data_dir": str(folder / "data"), "workflows_dir": str(REPO / "workflows")})


def test_the_job_service_and_the_worker_share_the_queue_the_bus_and_the_files(tmp_path: Path) -> None:
    services = build_api_services(settings_in(tmp_path))
    context = WorkerRuntime(services, embedded=True).context
    # Jobs go out on the broker the worker consumes; events on the bus the API's clients hear.
    assert services.jobs.intake.queue is services.queue is context.queue
    assert services.queue.broker is services.broker
    assert services.jobs.events is services.events is context.events
    assert services.jobs.workflows is services.workflows is context.workflows
    assert services.jobs.storage is services.storage is context.storage
    assert services.uploads.storage is services.storage
    assert services.events.previews.storage is services.storage


def test_a_worker_process_builds_nothing_only_requests_use(tmp_path: Path) -> None:
    """`studio worker` answers no request: it has no model catalog, job service or upload service."""
    services = build_services(settings_in(tmp_path))
    built = msgspec.structs.astuple(services)
    assert not [piece for piece in built if isinstance(piece, ModelCatalog | JobService | UploadService)]


def test_the_event_bus_keeps_previews_in_the_storage_it_is_given(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    elsewhere = LocalStorage(tmp_path / "elsewhere")
    bus = EventBus(settings, elsewhere)
    job_id = uuid.uuid4()
    bus.publish_preview(job_id, "text_to_image", None, b"\xff\xd8 a jpeg", "image/jpeg")
    assert (tmp_path / "elsewhere" / "previews" / f"{job_id}.jpg").read_bytes() == b"\xff\xd8 a jpeg"
    assert not (settings.data_path / "previews").exists()
