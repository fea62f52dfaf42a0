"""The `studio` command."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from server.config import ConfigError, Settings, load_settings
from server.workflows.loader import WorkflowError


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
    serve = commands.add_parser("serve", help="migrate the database and run the HTTP + WebSocket API")
    _settings_flags(serve)
    migrate = commands.add_parser("migrate", help="apply database migrations and exit")
    _settings_flags(migrate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    overrides: dict[str, Any] = {k: v for k, v in vars(args).items() if k != "command"}
    try:
        settings = load_settings(overrides=overrides)
        if args.command == "migrate":
            asyncio.run(_migrate(settings, verbose=True))
        elif args.command == "serve":
            _serve(settings)
    except (ConfigError, WorkflowError) as exc:
        print(f"studio: {exc}", file=sys.stderr)
        return 2
    return 0


async def _migrate(settings: Settings, *, verbose: bool) -> None:
    from server.db.engine import migrate

    settings.data_path.mkdir(parents=True, exist_ok=True)
    await migrate(settings.resolved_database_url, verbose=verbose)


def _serve(settings: Settings) -> None:
    import uvicorn

    from server.app import create_app

    app = create_app(settings)
    asyncio.run(_migrate(settings, verbose=False))
    print(f"Studio on http://{settings.host}:{settings.port} (database {settings.resolved_database_url})", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    sys.exit(main())
