"""Database engines: SQLite (embedded default) or PostgreSQL, chosen by URL, and the tables bound to one.

Importing this module builds no engine and touches neither the environment nor a file; each
function does what it says when called (migrations: server.db.migrate).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
from asyncpg import Pool
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory

# Seconds a SQLite writer waits for another writer before "database is locked".
SQLITE_BUSY_TIMEOUT = 30
# Connections per event loop: readers run side by side under WAL, writers take turns anyway.
SQLITE_POOL_SIZE = 4
# Set once per connection. synchronous=NORMAL under WAL: a commit is written to the WAL file
# (the OS has it: a kill -9 of the process loses nothing committed) but not fsynced; the WAL is
# fsynced at each checkpoint (every ~1,000 pages). A power loss or an OS crash may lose what was
# committed since the last checkpoint; the database stays consistent. FULL fsyncs each commit:
# 0.3-0.4 ms on the 2-core machine's disk, so with group commit (server/jobs/intake.py) one
# client's submit went 1.6 -> 1.9 ms p50 and 32 clients' 1,413 -> 1,289 submits/s (bench/submit.py,
# one run each, shared machine). A disk without a write cache pays ms per fsync: NORMAL.
SQLITE_PRAGMAS = "PRAGMA foreign_keys = 1; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"


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


class _ConnectionPool:
    """At most `size` connections, opened when first needed; each one lent to one caller at a time."""

    def __init__(self, engine: PooledSQLiteEngine, size: int) -> None:
        self._engine = engine
        # Idle connections on top (the most recently used first), None for one not opened yet.
        self._slots: asyncio.LifoQueue[aiosqlite.Connection | None] = asyncio.LifoQueue()
        for _ in range(size):
            self._slots.put_nowait(None)
        self._closed = False

    async def acquire(self) -> aiosqlite.Connection:
        connection = await self._slots.get()
        if connection is not None:
            return connection
        try:
            return await self._engine.get_connection()
        except BaseException:
            self._slots.put_nowait(None)
            raise

    async def release(self, connection: aiosqlite.Connection, *, broken: bool = False) -> None:
        """Return the connection; a broken one (or any once the pool closed) is closed instead."""
        if broken or self._closed:
            self._slots.put_nowait(None)
            await connection.close()
        else:
            self._slots.put_nowait(connection)

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[aiosqlite.Connection]:
        connection = await self.acquire()
        try:
            yield connection
        finally:
            await self.release(connection)

    async def close(self) -> None:
        """Close the idle connections now, the lent ones as they come back: their threads would
        keep the process alive."""
        self._closed = True
        while not self._slots.empty():
            if (connection := self._slots.get_nowait()) is not None:
                await connection.close()


class _PooledTransaction(SQLiteTransaction):
    """Piccolo's transaction on a connection of the loop's pool, given back (not closed) at the end."""

    def __init__(self, engine: PooledSQLiteEngine, pool: _ConnectionPool, **kwargs: Any) -> None:
        super().__init__(engine=engine, **kwargs)
        self.pool = pool

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.pool.acquire()
        try:
            await self.begin()
        except BaseException:  # BEGIN IMMEDIATE that waited out the busy timeout, a cancel
            await self.pool.release(self.connection, broken=True)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type, exception, traceback) -> bool:  # type: ignore[no-untyped-def]
        if self._parent:
            return exception is None
        broken = True  # a COMMIT or ROLLBACK that failed may leave the connection in the transaction
        try:
            if exception is not None:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
            broken = False
        finally:
            await self.pool.release(self.connection, broken=broken)
            self.engine.current_transaction.reset(self.context)
        return exception is None


class PooledSQLiteEngine(SQLiteEngine):
    """A SQLite engine that keeps its connections: a pool per event loop (`studio serve` runs two),
    each connection lent to one query or transaction at a time, its PRAGMAs set once. Piccolo's
    own opens a connection (a thread and PRAGMAs) per query, as a loop without a pool still does.
    """

    def __init__(self, path: str) -> None:
        super().__init__(path=path, timeout=SQLITE_BUSY_TIMEOUT)
        self._pools: dict[asyncio.AbstractEventLoop | None, _ConnectionPool] = {}

    def start_pool(self) -> None:
        self._pools.setdefault(_current_loop(), _ConnectionPool(self, SQLITE_POOL_SIZE))

    async def close_pool(self) -> None:
        if (pool := self._pools.pop(_current_loop(), None)) is not None:
            await pool.close()

    async def get_connection(self) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(**self.connection_kwargs)
        connection.row_factory = dict_factory  # type: ignore[assignment]
        try:
            await connection.executescript(SQLITE_PRAGMAS)
        except BaseException:
            await connection.close()
            raise
        return connection

    async def _run_in_new_connection(self, query: str, args: list[Any] | None = None, query_type: str = "generic", table: Any = None) -> Any:
        pool = self._pools.get(_current_loop())
        if pool is None:
            connection = await self.get_connection()
            try:
                return await connection.execute_fetchall(query, args or [])
            finally:
                await connection.close()
        async with pool.connection() as connection:
            # Outside a transaction the connection autocommits: one round trip to its thread.
            return await connection.execute_fetchall(query, args or [])

    async def _run_in_existing_connection(
        self, connection: aiosqlite.Connection, query: str, args: list[Any] | None = None, query_type: str = "generic", table: Any = None
    ) -> Any:
        # The connection's PRAGMAs were set when it opened; Piccolo's sets foreign_keys again per query.
        return await connection.execute_fetchall(query, args or [])

    def transaction(self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True) -> SQLiteTransaction:
        pool = self._pools.get(_current_loop())
        if pool is None:
            return super().transaction(transaction_type=transaction_type, allow_nested=allow_nested)
        return _PooledTransaction(self, pool, transaction_type=transaction_type, allow_nested=allow_nested)


def _current_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def engine_for_url(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        return PooledSQLiteEngine(path=path)
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
    """Give the running event loop its own pool of connections."""
    if isinstance(engine, PooledSQLiteEngine):
        engine.start_pool()
    elif isinstance(engine, PostgresEngine) and engine.pool is None:
        await engine.start_connection_pool(min_size=1, max_size=10)


async def disconnect(engine: Engine) -> None:
    """Close the running event loop's pool."""
    if isinstance(engine, PooledSQLiteEngine):
        await engine.close_pool()
    elif isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()


async def ping(engine: Engine) -> bool:
    try:
        if isinstance(engine, PooledSQLiteEngine):
            # A pooled connection keeps working on a file moved or deleted under it: open the path.
            await asyncio.to_thread(_open_existing, Path(engine.path))
        else:
            await engine.run_ddl("SELECT 1")
    except Exception:
        return False
    return True


def _open_existing(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True)) as connection:
        connection.execute("PRAGMA user_version")
