"""`studio serve | worker | migrate`: the server's commands (studio/cli.py puts them in the `studio` command)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys

from server.config import FLAGS, ConfigError, Settings, display_url, load_settings
from server.workflows.loader import WorkflowError


# Each setting's flag help; the flag names are config.FLAGS.
FLAG_HELP = {
    "host": "address to listen on (STUDIO_HOST, default 127.0.0.1)",
    "port": "port to listen on (STUDIO_PORT, default 8000)",
    "data_dir": "folder for the SQLite file, outputs and uploads (STUDIO_DATA_DIR, default ./data)",
    "database_url": "sqlite:///path or postgres://... (STUDIO_DATABASE_URL)",
    "redis_url": "redis://... to scale out (STUDIO_REDIS_URL)",
    "comfy_urls": "ComfyUI base URL, repeat for several (STUDIO_COMFY_URL, default http://127.0.0.1:8188)",
    "workflows_dir": "folder of workflow folders (STUDIO_WORKFLOWS_DIR, default ./workflows)",
}
# The settings each command takes as flags: only those it uses.
COMMAND_FLAGS = {
    "serve": ("host", "port", "data_dir", "database_url", "redis_url", "comfy_urls", "workflows_dir"),
    "worker": ("data_dir", "database_url", "redis_url", "comfy_urls", "workflows_dir"),
    "migrate": ("data_dir", "database_url"),
}
COMMANDS = tuple(COMMAND_FLAGS)


def _settings_flags(parser: argparse.ArgumentParser, command: str) -> None:
    for field in COMMAND_FLAGS[command]:
        action = "append" if field == "comfy_urls" else "store"
        parser.add_argument(FLAGS[field], dest=field, action=action, help=FLAG_HELP[field])


def add_commands(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser(
        "serve", help="migrate the database and run the API, with a worker for every ComfyUI URL"
    )
    _settings_flags(serve, "serve")
    serve.add_argument(
        "--no-worker", action="store_true", help="API only; `studio worker` processes run the jobs (needs STUDIO_REDIS_URL)"
    )
    serve.add_argument(
        "--insecure-open",
        action="store_true",
        default=None,  # unset: STUDIO_INSECURE_OPEN decides
        help="listen beyond loopback with no API key: anyone who reaches the port may do anything (STUDIO_INSECURE_OPEN)",
    )
    worker = commands.add_parser("worker", help="run jobs on ComfyUI (scaled out: one per GPU host, needs STUDIO_REDIS_URL)")
    _settings_flags(worker, "worker")
    migrate = commands.add_parser("migrate", help="apply database migrations and exit")
    _settings_flags(migrate, "migrate")


def run(args: argparse.Namespace) -> int:
    flags = COMMAND_FLAGS[args.command]
    try:
        overrides = {field: getattr(args, field) for field in flags}
        settings = load_settings(overrides={**overrides, "insecure_open": getattr(args, "insecure_open", None)}, flags=flags)
        if args.command == "migrate":
            _migrate(settings)
        elif args.command == "serve":
            _serve(settings, with_worker=not args.no_worker)
        elif args.command == "worker":
            _work(settings)
    except (ConfigError, WorkflowError) as exc:
        print(f"studio: {exc}", file=sys.stderr)
        return 2
    return 0


def _migrate(settings: Settings) -> None:
    from server import startup
    from server.db.migrate import migrate

    # The data dir matters here only when it holds the (default SQLite) database.
    startup.check(settings, data_dir=not settings.database_url, redis=False)
    startup.check_schema(settings)
    asyncio.run(migrate(settings.resolved_database_url, verbose=True))


def _serve(settings: Settings, *, with_worker: bool) -> None:
    import uvicorn

    from server import shutdown, startup
    from server.app import create_app
    from server.db.migrate import migrate

    if not with_worker and not settings.redis_url:
        raise ConfigError("--no-worker needs STUDIO_REDIS_URL / --redis-url: workers take jobs from Redis.")
    sockets = startup.listen(settings.host, settings.port)  # first of all: see listen()
    try:
        startup.check(settings, data_dir=True, redis=True)
        startup.check_log_file(settings)
        startup.check_schema(settings)
        asyncio.run(migrate(settings.resolved_database_url))
        insecure = startup.check_access(settings)
        app = create_app(settings, with_worker=with_worker)
        if insecure:  # logged once Litestar has set up logging (create_app)
            logging.getLogger("studio.access").warning(insecure)
        _announce(_banner(settings, startup.address(settings.host, settings.port), with_worker=with_worker))
        config = uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            ws="server.http.ws_protocol:WebSocketProtocol",
            # No permessage-deflate: events are small JSON, and a compressed frame differs per
            # socket, so it could not be built once for every subscriber (server/events/fanout.py).
            ws_per_message_deflate=False,
            # uvicorn's lines go through Studio's logging (server/logs.py), at its level.
            log_config=None,
            # X-Forwarded-* only from STUDIO_TRUSTED_PROXIES (server/http/proxies.py), not uvicorn's list.
            proxy_headers=False,
            log_level=settings.log_level.lower(),
            timeout_graceful_shutdown=shutdown.GRACE_SECONDS,
        )
        _freeze_start_up_objects()
        shutdown.Server(config).run(sockets=sockets)
    finally:
        for sock in sockets:
            sock.close()


def _freeze_start_up_objects() -> None:
    """What start-up made (the app, its routes and schemas, the workflows, the services) lives as
    long as the process: keep it out of the cyclic garbage collector's full collections, each of
    which walked all of it and paused the event loop for tens of milliseconds (bench/submit.py,
    32 clients: p99 55 -> 20 ms)."""
    gc.freeze()


def _announce(line: str) -> None:
    """One write for the line and its newline: print() makes two, and a log line from Studio's
    logging thread (same terminal or file) could land between them."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _banner(settings: Settings, where: str, *, with_worker: bool) -> str:
    comfy = ", ".join(settings.comfy_urls)
    jobs = (
        f"jobs run here on ComfyUI at {comfy}"
        if with_worker
        else f"models from ComfyUI at {comfy}; jobs run by `studio worker` processes"
    )
    return f"Studio on http://{where} (database {display_url(settings.resolved_database_url)}; {jobs})"


def _work(settings: Settings) -> None:
    from server import shutdown, startup
    from server.db.engine import bind
    from server.logs import logging_config
    from server.services import build_services
    from server.worker.runtime import WorkerRuntime, start_worker

    if not settings.redis_url:
        raise ConfigError(
            "studio worker needs STUDIO_REDIS_URL: it takes jobs from Redis. "
            "In single-process mode `studio serve` runs the worker itself."
        )
    startup.check(settings, data_dir=True, redis=True)
    startup.check_log_file(settings)
    startup.check_schema(settings)
    logging_config(settings).configure()  # as `studio serve` logs (there Litestar applies it)
    bind(settings.resolved_database_url)
    runtime = WorkerRuntime(build_services(settings), embedded=False)
    _freeze_start_up_objects()
    worker = start_worker(runtime)
    _announce(f"Studio worker {runtime.context.worker_id} on {', '.join(settings.comfy_urls)}")
    shutdown.wait_for_signal()
    worker.stop()
