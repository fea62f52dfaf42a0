"""Database engines: SQLite (embedded default) or PostgreSQL, chosen by URL, and the tables bound to one.

Importing this module builds no engine and touches neither the environment nor a file; each
function does what it says when called (migrations: server.db.migrate).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import asyncpg
from asyncpg import Pool
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

# Seconds a SQLite writer waits for another writer before "database is locked".
SQLITE_BUSY_TIMEOUT = 30


class LoopPoolPostgresEngine(PostgresEngine):
    """A PostgreSQL engine with one connection pool per event loop.

    asyncpg pools belong to the loop that created them, and `studio serve` runs two: the API's
    and the embedded worker's. Each loop starts its own pool; a loop without one gets a fresh
    connection per query.
    """

    def __init__(self, config: dict) -> None:
        self._pools: dict[asyncio.AbstractEventLoop | None, Pool] = {}
        super().__init__(config=config)

    @property  # type: ignore[override]
    def pool(self) -> Pool | None:
        return self._pools.get(_current_loop())

    @pool.setter
    def pool(self, value: Pool | None) -> None:
        if value is None:
            self._pools.pop(_current_loop(), None)
        else:
            self._pools[_current_loop()] = value


def _current_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def engine_for_url(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        return SQLiteEngine(path=path, timeout=SQLITE_BUSY_TIMEOUT)
    return LoopPoolPostgresEngine(config={"dsn": url.replace("postgres://", "postgresql://", 1)})


def bind(url: str) -> Engine:
    """Point every table (Studio's and Piccolo's own migration table) at the database at `url`."""
    from server.db.piccolo_app import APP_CONFIG

    engine = engine_for_url(url)
    for table in [*APP_CONFIG.table_classes, Migration]:
        table._meta.db = engine
    if isinstance(engine, SQLiteEngine):
        _prepare_sqlite(Path(engine.path))
    return engine


def _prepare_sqlite(path: Path) -> None:
    # WAL lets readers run while a writer commits; the setting is stored in the file.
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")


# What opening a connection raises when the database is not there, refuses us, or its file
# cannot be created (OverflowError: asyncpg's answer to a port above 65535).
CONNECTION_ERRORS = (OSError, asyncio.TimeoutError, OverflowError, asyncpg.PostgresError, asyncpg.InterfaceError, sqlite3.Error)


async def probe(url: str) -> None:
    """Open one connection to the database at `url` and close it; raises one of CONNECTION_ERRORS."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(sqlite3.connect(path)) as connection:
            connection.execute("PRAGMA user_version")
        return
    connection = await asyncpg.connect(url, timeout=5)
    await connection.close()


async def connect(url: str) -> Engine:
    engine = bind(url)
    await open_pool(engine)
    return engine


async def open_pool(engine: Engine) -> None:
    """Give the running event loop its own PostgreSQL pool (SQLite needs none)."""
    if isinstance(engine, PostgresEngine) and engine.pool is None:
        await engine.start_connection_pool(min_size=1, max_size=10)


async def disconnect(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()


async def ping(engine: Engine) -> bool:
    try:
        await engine.run_ddl("SELECT 1")
    except Exception:
        return False
    return True
