"""The `studio` command."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from server.client import cli as client_cli
from server.config import ConfigError, Settings, load_settings
from server.workflows.loader import WorkflowError
from tui import cli as tui_cli


def _settings_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (STUDIO_HOST, default 127.0.0.1)")
    parser.add_argument("--port", help="port to listen on (STUDIO_PORT, default 8000)")
    parser.add_argument("--data-dir", help="folder for the SQLite file, outputs and uploads (STUDIO_DATA_DIR, default ./data)")
    parser.add_argument("--database-url", help="sqlite:///path or postgres://... (STUDIO_DATABASE_URL)")
    parser.add_argument("--redis-url", help="redis://... to scale out (STUDIO_REDIS_URL)")
    parser.add_argument(
        "--comfy-url", dest="comfy_urls", action="append", help="ComfyUI base URL, repeat for several (STUDIO_COMFY_URL)"
    )
    parser.add_argument("--workflows-dir", help="folder of workflow folders (STUDIO_WORKFLOWS_DIR, default ./workflows)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studio",
        description="Studio: a job studio in front of ComfyUI. Every flag also reads a STUDIO_* variable.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve", help="migrate the database and run the API, with a worker for every ComfyUI URL"
    )
    _settings_flags(serve)
    serve.add_argument(
        "--no-worker", action="store_true", help="API only; `studio worker` processes run the jobs (needs STUDIO_REDIS_URL)"
    )
    worker = commands.add_parser("worker", help="run jobs on ComfyUI (scaled out: one per GPU host, needs STUDIO_REDIS_URL)")
    _settings_flags(worker)
    migrate = commands.add_parser("migrate", help="apply database migrations and exit")
    _settings_flags(migrate)
    client_cli.add_commands(commands)
    tui_cli.add_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in client_cli.COMMANDS:  # clients of a running Studio: no settings of their own
        return client_cli.run(args)
    if args.command == "tui":
        return tui_cli.run(args)
    overrides: dict[str, Any] = {k: v for k, v in vars(args).items() if k not in ("command", "no_worker")}
    try:
        settings = load_settings(overrides=overrides)
        if args.command == "migrate":
            asyncio.run(_migrate(settings, verbose=True))
        elif args.command == "serve":
            _serve(settings, with_worker=not args.no_worker)
        elif args.command == "worker":
            _work(settings)
    except (ConfigError, WorkflowError) as exc:
        print(f"studio: {exc}", file=sys.stderr)
        return 2
    return 0


async def _migrate(settings: Settings, *, verbose: bool) -> None:
    from server.db.engine import migrate

    settings.data_path.mkdir(parents=True, exist_ok=True)
    await migrate(settings.resolved_database_url, verbose=verbose)


def _serve(settings: Settings, *, with_worker: bool) -> None:
    import uvicorn

    from server.app import create_app

    if not with_worker and not settings.redis_url:
        raise ConfigError("--no-worker needs STUDIO_REDIS_URL: workers take jobs from Redis.")
    app = create_app(settings, with_worker=with_worker)
    asyncio.run(_migrate(settings, verbose=False))
    lanes = ", ".join(settings.comfy_urls) if with_worker else "none (studio worker processes)"
    print(
        f"Studio on http://{settings.host}:{settings.port} (database {settings.resolved_database_url}; ComfyUI: {lanes})",
        flush=True,
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", ws="server.ws_protocol:WebSocketProtocol")


def _work(settings: Settings) -> None:
    import logging
    import signal
    import threading

    from server.db.engine import bind
    from server.events.bus import EventBus
    from server.storage import LocalStorage
    from server.worker.broker import make_broker
    from server.worker.runtime import WorkerRuntime, start_worker
    from server.workflows.registry import WorkflowRegistry

    if not settings.redis_url:
        raise ConfigError(
            "studio worker needs STUDIO_REDIS_URL: it takes jobs from Redis. "
            "In single-process mode `studio serve` runs the worker itself."
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "piccolo"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    bind(settings.resolved_database_url)
    workflows = WorkflowRegistry.from_folder(Path(settings.workflows_dir))
    broker = make_broker(settings)
    storage = LocalStorage(settings.data_path)
    runtime = WorkerRuntime(settings, broker, storage, workflows, EventBus(settings), embedded=False)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    worker = start_worker(runtime)
    print(f"Studio worker {runtime.context.worker_id} on {', '.join(settings.comfy_urls)}", flush=True)
    stop.wait()
    worker.stop()


if __name__ == "__main__":
    sys.exit(main())
