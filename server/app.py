"""`create_app()`: the Litestar application, its dependencies and its error shape."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.types import Scope
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from piccolo.engine.base import Engine

from server.access import revocations
from server.access.controller import KeyController
from server.access.guards import KeyDocs
from server.access.me import who_am_i
from server.access.middleware import KeyAuthentication
from server.access.policy import AccessPolicy
from server.access.session_controller import SessionController
from server.access.schemas import Caller
from server.config import Settings
from server.db.engine import connect, disconnect
from server.errors import ErrorBody, FieldError, StudioError, clip
from server.events import app as live_events
from server.events import websocket_docs
from server.health import health
from server.http.dependencies import resolve_dependencies_in_order
from server.http.guard import BrowserGuard, GuardDocs
from server.http.proxies import ProxyHeaders
from server.http.request_body import JSON_MAX_BYTES, TOO_LARGE, StudioRequest
from server.http.schema_viewer import ASSETS_ROUTER, RENDER_PLUGINS
from server.jobs.controller import JobController
from server.legacy.controller import LegacyController
from server.logs import logging_config
from server.maintenance import retention
from server.models.controller import list_models
from server.outputs import serve_output
from server.presets.controller import PresetController
from server.services import build_api_services
from server.stats import controller as stats
from server.stats.requests import RequestMetrics
from server.styles.controller import list_styles
from server.sweeps import tracker as sweep_tracker
from server.sweeps.controller import SweepController
from server.thumbs.route import serve_thumbnail
from server.uploads.controller import UploadController
from server.webhooks import dispatcher as webhook_dispatcher
from server.webhooks.controller import WebhookController
from server.webhooks.service import WebhookService
from server.web.assets import WebAssets
from server.web.routes import web_routes
from server.worker.runtime import WorkerRuntime, start_worker
from server.workflows.checker import startup_check
from server.workflows.controller import WorkflowController


def create_app(settings: Settings, *, with_worker: bool = False) -> Litestar:
    """The API. `with_worker` embeds a Dramatiq worker that runs jobs on the ComfyUI lanes
    (`studio serve`); without it jobs wait for `studio worker` processes (`--no-worker`)."""
    services = build_api_services(settings)
    policy = AccessPolicy(settings)  # the middleware's, and sign-in's (/api/session)
    webhooks = webhook_dispatcher.Dispatcher(settings, services.links, services.events.fanout)
    resolve_dependencies_in_order()

    @asynccontextmanager
    async def database(app: Litestar) -> AsyncIterator[None]:
        app.state.engine = await connect(settings.resolved_database_url)
        try:
            yield
        finally:
            await disconnect(app.state.engine)

    @asynccontextmanager
    async def model_catalog(_: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await services.models.close()

    @asynccontextmanager
    async def worker(app: Litestar) -> AsyncIterator[None]:
        runtime = WorkerRuntime(services, embedded=True)
        dramatiq_worker = await anyio.to_thread.run_sync(start_worker, runtime)
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(dramatiq_worker.stop)

    def provide_engine(state: State) -> Engine:
        return state.engine

    return Litestar(
        route_handlers=[
            JobController,
            WorkflowController,
            UploadController,
            PresetController,
            SweepController,
            WebhookController,
            KeyController,
            SessionController,
            who_am_i,
            LegacyController,
            list_models,
            list_styles,
            serve_output,
            serve_thumbnail,
            health,
            *stats.ROUTES,
            *live_events.ROUTES,
            ASSETS_ROUTER,
            *websocket_docs.ROUTES,
            *web_routes(WebAssets()),
        ],
        dependencies={
            "settings": _given(settings),
            "storage": _given(services.storage),
            "workflows": _given(services.workflows),
            "jobs": _given(services.jobs),
            "uploads": _given(services.uploads),
            "presets": _given(services.presets),
            "sweeps": _given(services.sweeps),
            "links": _given(services.links),
            "keys": _given(services.keys),
            "policy": _given(policy),
            "models": _given(services.models),
            "styles": _given(services.styles),
            "events": _given(services.events),
            "metrics": _given(services.metrics),
            "lanes": _given(services.lanes),
            "webhooks": _given(WebhookService(webhooks)),
            "engine": Provide(provide_engine, sync_to_thread=False),
            "caller": Provide(provide_caller, sync_to_thread=False),
        },
        lifespan=[
            database,
            model_catalog,
            startup_check(services.workflows, services.models.object_info),
            live_events.lifespan(services.events),
            sweep_tracker.lifespan(services.events, services.storage, services.sweeps),
            revocations.lifespan(services.events.fanout),
            retention(settings, services.storage),
            webhook_dispatcher.lifespan(webhooks),
            *([worker] if with_worker else []),
        ],
        # Metrics outermost; then the proxy's headers (the guard checks the public name), then the guard: a refused
        # page learns nothing, not even whether a key is needed.
        middleware=[
            RequestMetrics(services.metrics),  # outermost: refused requests count too
            ProxyHeaders(settings.trusted_proxies),
            BrowserGuard(settings),
            DefineMiddleware(KeyAuthentication, policy=policy),
        ],
        plugins=[GuardDocs(), KeyDocs()],
        exception_handlers={StudioError: studio_error, HTTPException: http_error},
        logging_config=logging_config(settings),
        # JSON bodies; POST /api/uploads reads and limits its form itself.
        request_max_body_size=JSON_MAX_BYTES,
        request_class=StudioRequest,
        openapi_config=OpenAPIConfig(
            title="Studio",
            version="0.1.0",
            path="/schema",
            render_plugins=RENDER_PLUGINS,
            # Every route asks for a key but /health; output files take a signed link instead (KeyDocs). Open, none is checked.
            components=Components(security_schemes={"apiKey": SecurityScheme(type="http", scheme="bearer")}),
            security=[{"apiKey": []}],
        ),
    )


def provide_caller(scope: Scope) -> Caller | None:
    """Whom the request acts for (server/access/middleware.py); None only for a signed output link."""
    return scope.get("user")


def _given(value: object) -> Provide:
    """A dependency that is one of the services built at start-up."""
    return Provide(lambda: value, sync_to_thread=False)


def studio_error(_: Request, exc: StudioError) -> Response[ErrorBody]:
    return Response(ErrorBody(exc.status_code, exc.detail, exc.errors), status_code=exc.status_code, headers=exc.headers)


def http_error(request: Request, exc: HTTPException) -> Response[ErrorBody]:
    """Litestar's own refusals (bad JSON, bad query values, unknown routes) in Studio's shape."""
    errors: list[FieldError] = []
    detail = exc.detail
    if isinstance(exc, NotFoundException) and detail == "Not Found":
        detail = f"Nothing at {request.method} {clip(request.url.path, 200)} (job ids are UUIDs; see /schema for the routes)."
    if exc.status_code == 413:
        detail = TOO_LARGE
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        errors = [
            FieldError(
                "body" if item.get("key") == "data" else str(item.get("key") or "body"),
                str(item.get("message", "")).replace("`", "'"),
            )
            for item in exc.extra
            if isinstance(item, dict)
        ]
    if errors:
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
    elif exc.status_code == 400 and request.method in ("POST", "PUT", "PATCH"):
        detail = f"The request body could not be read: {detail}."
    # exc.headers: e.g. the Allow of a 405.
    return Response(ErrorBody(exc.status_code, detail, errors), status_code=exc.status_code, headers=exc.headers)
