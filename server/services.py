"""The composition root: what the API process (`create_app`) and a worker process (`studio worker`)
are made of, built in one place from the settings so the two cannot drift apart.

    services = build_services(settings)   # nothing started: no connection, no thread
    WorkerRuntime(services, embedded=False)

Starting and stopping stays with each process: the API's lifespans, the worker's runtime.
"""

from __future__ import annotations

from pathlib import Path

import dramatiq
import msgspec

from server.config import Settings
from server.events.bus import EventBus
from server.jobs.service import JobService
from server.models.catalog import ModelCatalog
from server.storage import LocalStorage
from server.uploads.service import UploadService
from server.worker.broker import JobQueue, make_broker
from server.workflows.registry import WorkflowRegistry


class Services(msgspec.Struct, kw_only=True, frozen=True):
    settings: Settings
    storage: LocalStorage
    workflows: WorkflowRegistry
    broker: dramatiq.Broker
    queue: JobQueue
    events: EventBus
    models: ModelCatalog
    jobs: JobService
    uploads: UploadService


def build_services(settings: Settings) -> Services:
    """Raises WorkflowError for a workflows folder that does not load."""
    storage = LocalStorage(settings.data_path)
    workflows = WorkflowRegistry.from_folder(Path(settings.workflows_dir))
    queue = JobQueue(make_broker(settings))
    events = EventBus(settings, storage)
    models = ModelCatalog(settings.comfy_urls)
    return Services(
        settings=settings,
        storage=storage,
        workflows=workflows,
        broker=queue.broker,
        queue=queue,
        events=events,
        models=models,
        jobs=JobService(workflows, storage, queue, events, models),
        uploads=UploadService(settings, storage),
    )
