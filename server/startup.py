"""Start-up checks of `studio serve | worker | migrate`, before anything starts.

Each problem becomes one sentence (a ConfigError: the command prints it and exits 2) naming what
is wrong and the setting that fixes it, instead of a traceback from deep inside a library.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import tempfile
from pathlib import Path

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server.access import repository as keys
from server.access.policy import is_loopback
from server.config import ConfigError, Settings, display_url, setting_name
from server.db.engine import CONNECTION_ERRORS, probe
from server.health import ping_redis

# Connections the kernel queues while Studio is not accepting yet (uvicorn's default).
BACKLOG = 2048


def address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def listen(host: str, port: int) -> list[socket.socket]:
    """Listening sockets on every address `host` resolves to, for uvicorn to serve on.

    Bound before anything else starts, so that a second Studio on a taken port stops here and
    touches nothing: no migration, no worker, no ComfyUI socket that would take over the first
    one's (ComfyUI feeds one socket per client id: comfyanonymous/ComfyUI#16010)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(
            f"Cannot listen on {host!r}: no such host ({exc.strerror}); "
            f"set {setting_name('host')} to an address of this machine, such as 127.0.0.1 or 0.0.0.0."
        ) from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, sockaddr in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:  # as asyncio does: the IPv4 address gets its own socket
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(sockaddr)
            sock.listen(BACKLOG)
    except OSError as exc:
        for sock in sockets:
            sock.close()
        raise ConfigError(_cannot_listen(host, port, exc)) from None
    return sockets


def _cannot_listen(host: str, port: int, exc: OSError) -> str:
    where = address(host, port)
    if exc.errno == errno.EADDRINUSE:
        return f"{where} is already in use (another Studio?); choose another with --port or STUDIO_PORT."
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"Cannot listen on {host}: it is not an address of this machine; "
            f"set {setting_name('host')} to one that is, such as 127.0.0.1 or 0.0.0.0."
        )
    if exc.errno == errno.EACCES:
        return f"Not allowed to listen on {where} (ports below 1024 need privileges); choose another with --port or STUDIO_PORT."
    return f"Cannot listen on {where} ({_reason(exc)}); check {setting_name('host')} and {setting_name('port')}."


def check(settings: Settings, *, data_dir: bool, redis: bool) -> None:
    """The data dir (when the command writes there), the database, and Redis (when used)."""
    if data_dir:
        check_data_dir(settings.data_path)
    asyncio.run(_check_services(settings, redis=redis))


def check_schema(settings: Settings) -> None:
    """Refuse a database a newer Studio migrated: this code would misread, or damage, its tables."""
    from server.db.migrate import unknown_migrations

    url = settings.resolved_database_url
    if newer := asyncio.run(unknown_migrations(url)):
        raise ConfigError(
            f"The database at {display_url(url)} was migrated by a newer Studio (migration {newer[-1]}); "
            "run that version, or restore a backup."
        )


def check_log_file(settings: Settings) -> None:
    """A log file Studio cannot write is one sentence, not the logging module's traceback."""
    if not settings.log_file:
        return
    try:
        with open(settings.log_file, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise ConfigError(
            f"The log file {settings.log_file} cannot be written ({_reason(exc)}); "
            f"set {setting_name('log_file')} to a file in a folder Studio can write."
        ) from None


def check_access(settings: Settings) -> str | None:
    """Beyond loopback Studio needs a key to ask for: with none in the (migrated) database it does
    not start, unless --insecure-open says to run open. Returns the warning to log then."""
    if is_loopback(settings.host) or asyncio.run(keys.any_exist()):
        return None
    if not settings.insecure_open:
        raise ConfigError(
            f"Studio would listen on {settings.host}, beyond this machine, with no API key to ask for: "
            "create the first with `studio keys create NAME --admin` (same --data-dir or --database-url), "
            "or pass --insecure-open (STUDIO_INSECURE_OPEN=1) to let anyone who reaches the port do anything."
        )
    return (
        f"INSECURE: Studio listens on {address(settings.host, settings.port)} with no API key (--insecure-open): "
        "anyone who can reach this port may read every prompt and image, run, cancel and delete jobs. "
        "Create a key with `studio keys create NAME --admin` to require keys."
    )


def check_data_dir(path: Path) -> None:
    """Create the data dir if needed and make sure Studio can write there."""
    fix = f"set {setting_name('data_dir')} to a folder Studio can write"
    if path.exists() and not path.is_dir():
        raise ConfigError(f"The data dir {path} is a file, not a folder; {fix}.")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ConfigError(f"The data dir {path} is not usable ({_reason(exc)}); {fix}.") from None


async def _check_services(settings: Settings, *, redis: bool) -> None:
    url = settings.resolved_database_url
    try:
        await probe(url)
    except CONNECTION_ERRORS as exc:
        raise ConfigError(_database_problem(url, exc)) from None
    if redis and settings.redis_url:
        try:
            await ping_redis(settings.redis_url, timeout=5)
        except RedisError as exc:
            raise ConfigError(_redis_problem(settings.redis_url, exc)) from None


def _database_problem(url: str, exc: BaseException) -> str:
    fix = setting_name("database_url")
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        return f"The SQLite database {path} cannot be opened ({_reason(exc)}); set {fix} to a file Studio can write."
    if isinstance(exc, (OSError, asyncio.TimeoutError)):
        return f"PostgreSQL at {display_url(url)} does not answer ({_reason(exc)}); start it or fix {fix}."
    return f"PostgreSQL at {display_url(url)} refused Studio ({_reason(exc)}); fix {fix}."


def _redis_problem(url: str, exc: RedisError) -> str:
    fix = setting_name("redis_url")
    if isinstance(exc, (RedisConnectionError, RedisTimeoutError)):
        return f"Redis at {display_url(url)} does not answer ({_reason(exc)}); start it or fix {fix}."
    return f"Redis at {display_url(url)} refused Studio ({_reason(exc)}); fix {fix}."


def _reason(exc: BaseException) -> str:
    """A few words on why a connection or file failed: `Connection refused`, `Permission denied`."""
    if isinstance(exc, (asyncio.TimeoutError, RedisTimeoutError)):
        return "no answer within 5 s"
    if isinstance(exc, OSError) and exc.errno:
        return os.strerror(exc.errno) if exc.errno > 0 else str(exc.strerror)
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, OSError):
        return _reason(cause)
    return str(exc).rstrip(".") or type(exc).__name__
