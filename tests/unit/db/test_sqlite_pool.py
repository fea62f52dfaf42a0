"""The SQLite engine's connection pools (server/db/engine.py): one per event loop, each
connection lent to one query or transaction at a time, and closed by disconnect - an aiosqlite
connection left open is a thread that keeps the process alive."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from piccolo.engine.sqlite import TransactionType

from server.db.engine import PooledSQLiteEngine, connect, disconnect, open_pool
from server.db.migrate import migrate
from server.db.tables import Job as JobRow


def connection_threads() -> set[threading.Thread]:
    """aiosqlite's connection threads (named after their target, as Python names threads)."""
    return {thread for thread in threading.enumerate() if "_connection_worker_thread" in thread.name}


def assert_no_thread_left(before: set[threading.Thread]) -> None:
    left = connection_threads() - before
    for thread in left:
        thread.join(5)  # a closed connection's thread ends at once; an open one's never
    assert not [thread for thread in left if thread.is_alive()]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'studio.sqlite'}"
    asyncio.run(migrate(url))
    return url


def test_queries_and_transactions_share_the_pool_and_leave_no_thread(sqlite_url: str) -> None:
    threads = connection_threads()

    async def run() -> None:
        engine = await connect(sqlite_url)
        assert isinstance(engine, PooledSQLiteEngine)
        await asyncio.gather(*(JobRow.insert(JobRow(workflow=f"w{i}")) for i in range(40)))
        async with engine.transaction(transaction_type=TransactionType.immediate):
            await JobRow.insert(JobRow(workflow="kept"))
        with pytest.raises(RuntimeError):
            async with engine.transaction(transaction_type=TransactionType.immediate):
                await JobRow.insert(JobRow(workflow="rolled back"))
                raise RuntimeError("undo")
        counts = await asyncio.gather(*(JobRow.count() for _ in range(20)))
        assert set(counts) == {41}
        assert not await JobRow.exists().where(JobRow.workflow == "rolled back")
        await disconnect(engine)

    asyncio.run(run())
    assert_no_thread_left(threads)


def test_two_event_loops_write_side_by_side_each_on_its_own_pool(sqlite_url: str) -> None:
    """`studio serve`: the API's loop and the embedded worker's."""
    threads = connection_threads()
    engine_ready = threading.Event()

    async def writes(name: str) -> None:
        await open_pool(JobRow._meta.db)
        try:
            for i in range(50):
                async with JobRow._meta.db.transaction(transaction_type=TransactionType.immediate):
                    await JobRow.insert(JobRow(workflow=f"{name}{i}"))
                await JobRow.count()
        finally:
            await disconnect(JobRow._meta.db)

    async def api() -> None:
        engine = await connect(sqlite_url)
        engine_ready.set()
        await writes("api")
        await disconnect(engine)

    def worker() -> None:
        engine_ready.wait(10)
        asyncio.run(writes("worker"))

    other = threading.Thread(target=worker)
    other.start()
    asyncio.run(api())
    other.join(30)

    async def total() -> int:
        return await JobRow.count()

    assert asyncio.run(total()) == 100  # a loop without a pool: a connection per query
    assert_no_thread_left(threads)
