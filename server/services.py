"""The composition root: what a worker process (`studio worker`) and the API process (`create_app`,
which may embed a worker) are made of, built in one place from the settings so the two cannot drift
apart: the API's services are the worker's plus what only requests use.

    services = build_services(settings)       # nothing started: no connection, no thread
    WorkerRuntime(services, embedded=False)
    api = build_api_services(settings)        # + model catalog, styles, job, upload and key services, figures
    WorkerRuntime(api, embedded=True)

Starting and stopping stays with each process: the API's lifespans, the worker's runtime.
"""

from __future__ import annotations

from pathlib import Path

import dramatiq
import msgspec

from server.access.links import LinkSigner
from server.access.service import KeyService
from server.config import Settings
from server.events.bus import EventBus
from server.jobs.service import JobService
from server.models.catalog import ModelCatalog
from server.presets.service import PresetService
from server.stats.lanes import LaneProbe
from server.stats.metrics import Metrics
from server.storage import LocalStorage
from server.styles.registry import StyleRegistry
from server.sweeps.service import SweepService
from server.uploads.service import UploadService
from server.worker.broker import JobQueue, make_broker
from server.workflows.registry import WorkflowRegistry


class Services(msgspec.Struct, kw_only=True, frozen=True):
    """What both processes run on."""

    settings: Settings
    storage: LocalStorage
    workflows: WorkflowRegistry
    broker: dramatiq.Broker
    queue: JobQueue
    events: EventBus


class ApiServices(Services, kw_only=True, frozen=True):
    """The API's: the worker's, which an embedded worker shares, and what only requests use."""

    models: ModelCatalog
    styles: StyleRegistry
    jobs: JobService
    uploads: UploadService
    presets: PresetService
    sweeps: SweepService
    links: LinkSigner
    keys: KeyService
    lanes: LaneProbe
    metrics: Metrics


def build_services(settings: Settings, links: LinkSigner | None = None) -> Services:
    """`links`: the API's, which signs the jobs its live feed sends (a worker has no clients).
    Raises WorkflowError for a workflows folder that does not load."""
    storage = LocalStorage(settings.data_path)
    queue = JobQueue(make_broker(settings))
    return Services(
        settings=settings,
        storage=storage,
        workflows=WorkflowRegistry.from_folder(Path(settings.workflows_dir)),
        broker=queue.broker,
        queue=queue,
        events=EventBus(settings, storage, links),
    )


def build_api_services(settings: Settings) -> ApiServices:
    """Raises WorkflowError for a workflows folder that does not load, ConfigError for a link
    secret that can be neither read nor made or a style file that does not load."""
    links = LinkSigner.from_settings(settings)
    shared = build_services(settings, links)
    models = ModelCatalog(settings.comfy_urls)
    lanes = LaneProbe(settings.comfy_urls)
    styles = StyleRegistry.from_folder(Path(settings.styles_dir))
    jobs = JobService(settings, shared.workflows, styles, shared.storage, shared.queue, shared.events, models, links)
    return ApiServices(
        **msgspec.structs.asdict(shared),
        models=models,
        styles=styles,
        jobs=jobs,
        sweeps=SweepService(settings, jobs, links),
        uploads=UploadService(settings, shared.storage),
        presets=PresetService(shared.workflows, styles),
        links=links,
        keys=KeyService(),
        lanes=lanes,
        metrics=Metrics(shared.events.fanout, lanes),
    )
