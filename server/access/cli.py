"""`studio keys create | list | revoke`: API keys, on the database directly, as `studio migrate` works.

No server needs to run: the first admin key is made before the first `studio serve` (the
command migrates a fresh database first). A running Studio sees a new or revoked key at once.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import re
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from server.access.schemas import ApiKeyInfo, KeyCreate, KeyLimits
from server.cli import FLAG_HELP
from server.config import FLAGS, ConfigError, Settings, load_settings
from server.errors import BadRequest, StudioError

COMMANDS = ("keys",)
SETTINGS = ("data_dir", "database_url")
# Who the audit log names for what this command does: it acts with no key.
OPERATOR = "(studio keys)"
# The flag (or argument) that sets each field of KeyCreate (its dest is the field's name).
FIELD_FLAGS = {
    "name": "NAME",
    "max_queued": "--max-queued",
    "submits_per_minute": "--rate",
    "gpu_minutes_per_day": "--max-gpu-minutes-per-day",
    "upload_bytes": "--upload-quota",
    "priority": "--priority",
    "webhook_url": "--webhook",
}
SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?", re.IGNORECASE)
UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def add_commands(commands: argparse._SubParsersAction) -> None:
    keys = commands.add_parser(
        "keys",
        help="create, list and revoke API keys (on the database; no server needs to run)",
        description="API keys, on the database directly. While Studio has no key and listens on a loopback "
        "address it runs open; from the first key on, every route but /health needs one.",
    )
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create",
        help="make a key and print it (shown this once)",
        description="Make a key and print it: it is shown this once, Studio keeps only a hash of it. "
        "A name may be given to a new key once its last key is revoked (how a key is rotated).",
    )
    create.add_argument(
        "name", metavar="NAME", help="who the key is for; it owns the jobs and uploads the key makes (letters, digits, . _ @ -)"
    )
    create.add_argument(
        "--admin", action="store_true", help="an admin key: sees and acts on every job, manages keys (default: a user key, "
        "which sees its own jobs only)"
    )
    limits = {
        "max_queued": ("N", "at most N of its jobs queued or running at once"),
        "submits_per_minute": ("N/min", "at most N submissions a minute (N/min or N)"),
        "gpu_minutes_per_day": ("N", "at most N minutes of its jobs' run time per UTC day"),
        "upload_bytes": ("SIZE", "at most SIZE of stored uploads: bytes, or with a unit: 500MB, 2GB (1 MB = 1024 KB)"),
        "priority": ("N", "-100 to 100 (default 0): higher runs first; keys of equal priority take turns"),
    }
    for field, (metavar, text) in limits.items():
        create.add_argument(FIELD_FLAGS[field], dest=field, metavar=metavar, help=text)
    create.add_argument(
        "--webhook", dest="webhook_url", metavar="URL",
        help="the key's default webhook: its jobs' end is POSTed there, signed, when a submit names no webhook",
    )
    listing = actions.add_parser(
        "list",
        help="list every key, revoked ones too (never their secrets)",
        description="List every key, oldest first, with its limits; times are UTC.",
    )
    revoke = actions.add_parser(
        "revoke",
        help="revoke a key: it stops working at once",
        description="Revoke a key: it stops working at once. It stays listed, its jobs keep their owner, "
        "and its name may be given to a new key.",
    )
    revoke.add_argument("ref", metavar="NAME|PREFIX", help="the key's name, or its prefix as `studio keys list` shows it")
    for parser in (create, listing, revoke):
        for field in SETTINGS:
            parser.add_argument(FLAGS[field], dest=field, help=FLAG_HELP[field])


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(overrides={field: getattr(args, field) for field in SETTINGS}, flags=SETTINGS)
        if args.action == "create":
            request = key_create(args)  # before touching the database: wrong input changes nothing
            created = _on_database(settings, lambda keys: keys.create(request, OPERATOR))
            print(created.key)
            print(
                f"Keep this key now: Studio stores only a hash of it and cannot show it again "
                f"({created.info.role} key {created.info.name!r}, prefix {created.info.prefix}).",
                file=sys.stderr,
            )
            print(f"Its jobs' webhook deliveries are signed with {created.webhook_secret} (GET /api/webhooks/secret shows it again).", file=sys.stderr)
        elif args.action == "list":
            print(table(_on_database(settings, lambda keys: keys.list())))
        else:
            revoked = _on_database(settings, lambda keys: keys.revoke(args.ref, OPERATOR))
            print(f"Revoked {revoked.name!r} ({revoked.prefix}): it stops working at once.")
    except (ConfigError, StudioError) as exc:
        print(f"studio: {exc}", file=sys.stderr)
        return 2
    return 0


def _on_database(settings: Settings, action: Callable[[Any], Awaitable[Any]]) -> Any:
    """Migrate (a fresh install gets its tables), then run `action` with a KeyService."""
    from server import startup
    from server.access.service import KeyService
    from server.db.migrate import migrate
    from server.logs import logging_config

    startup.check(settings, data_dir=not settings.database_url, redis=False)
    logging_config(settings).configure()  # the audit line of a key made or revoked goes to stderr, as the server's do

    async def main() -> Any:
        await migrate(settings.resolved_database_url)
        return await action(KeyService())

    return asyncio.run(main())


def key_create(args: argparse.Namespace) -> KeyCreate:
    """The key the flags describe; BadRequest with a sentence naming the flag that is wrong."""
    limits = {
        field: _size(text) if field == "upload_bytes" else _number(FIELD_FLAGS[field], text)
        for field in KeyLimits.__struct_fields__
        if (text := getattr(args, field)) is not None
    }
    raw = {"name": args.name, "role": "admin" if args.admin else "user", "limits": limits, "webhook_url": args.webhook_url}
    try:
        return msgspec.convert(raw, KeyCreate)
    except msgspec.ValidationError as exc:
        reason, _, where = str(exc).replace("`", "").partition(" - at $.")
        field = where.rpartition(".")[2]
        raise BadRequest(
            f"{FIELD_FLAGS[field]} {getattr(args, field)!r} is not valid ({reason[0].lower()}{reason[1:]})."
        ) from None


def _number(flag: str, text: str) -> int:
    try:
        return int(text.strip().removesuffix("/min") if flag == "--rate" else text)
    except ValueError:
        shape, example = ("N/min or N", "10/min") if flag == "--rate" else ("a whole number", "5")
        raise BadRequest(f"{flag} {text!r} is not {shape} (e.g. {flag} {example}).") from None


def _size(text: str) -> int:
    match = SIZE.fullmatch(text.strip())
    if match is None:
        raise BadRequest(f"--upload-quota {text!r} is not a size: give bytes, or a number with KB, MB, GB or TB (e.g. 500MB).")
    return int(float(match[1]) * UNITS[match[2].upper()])


def table(keys: list[ApiKeyInfo]) -> str:
    """The keys as `studio keys list` prints them: one row each, in aligned columns."""
    if not keys:
        return "No API keys yet: Studio runs open on a loopback address. Make the first with `studio keys create NAME --admin`."
    header = ("NAME", "ROLE", "PREFIX", "LIMITS", "CREATED", "LAST USED", "REVOKED")
    rows = [
        (key.name, key.role, key.prefix, limits_text(key.limits), _when(key.created_at), _when(key.last_used_at), _when(key.revoked_at))
        for key in keys
    ]
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows])


def limits_text(limits: KeyLimits) -> str:
    parts = [
        f"{limits.max_queued} queued" if limits.max_queued else "",
        f"{limits.submits_per_minute}/min" if limits.submits_per_minute else "",
        f"{limits.gpu_minutes_per_day} GPU min/day" if limits.gpu_minutes_per_day else "",
        f"{size_text(limits.upload_bytes)} uploads" if limits.upload_bytes else "",
        f"priority {limits.priority}" if limits.priority else "",
    ]
    return ", ".join(part for part in parts if part) or "none"


def size_text(size: int) -> str:
    unit = next(unit for unit in "TGMK " if size % UNITS[unit.strip()] == 0)
    return f"{size // UNITS[unit.strip()]}{unit.strip()}B"


def _when(moment: datetime.datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "-"
