"""History query speed with many jobs: first page, a deep cursor page, deep offset, filters.

    .venv/bin/python bench/history.py [--rows 1000000] [--postgres postgresql://postgres@127.0.0.1/test]

Fills a fresh database (SQLite in a temp folder, and PostgreSQL when given) with synthetic jobs,
then times the repository queries the API runs; prints the median of several runs in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

from server.db.engine import connect, disconnect
from server.db.migrate import migrate
from server.jobs import repository
from server.jobs.cursor import Cursor
from server.jobs.schemas import JobFilters

STATUSES = ["finished"] * 90 + ["failed"] * 6 + ["cancelled"] * 3 + ["queued"]
WORDS = "fox owl cat forest night neon city river castle portrait dragon ocean mountain".split()
COLUMNS = ("id", "workflow", "params", "prompt", "status", "favorite", "created_at", "updated_at", "outputs", "seed")


def synthetic_rows(count: int):
    rng = random.Random(7)
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    for i in range(count):
        created = start + datetime.timedelta(seconds=i * 3, microseconds=rng.randrange(1_000_000))
        prompt = " ".join(rng.choices(WORDS, k=6))
        yield (
            uuid.UUID(int=rng.getrandbits(128), version=4),
            rng.choice(["text_to_image", "text_to_image_unet", "image_edit"]),
            '{"prompt": "%s"}' % prompt,
            prompt,
            rng.choice(STATUSES),
            rng.random() < 0.02,
            created,
            created,
            "[]",
            rng.getrandbits(40),
        )


def fill_sqlite(path: Path, count: int) -> None:
    with sqlite3.connect(path) as db:
        db.executemany(
            f"INSERT INTO jobs ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
            ((str(r[0]), *r[1:6], str(r[6]), str(r[7]), *r[8:]) for r in synthetic_rows(count)),
        )
        db.execute("ANALYZE")


async def fill_postgres(url: str, count: int) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.copy_records_to_table("jobs", records=synthetic_rows(count), columns=list(COLUMNS))
        await connection.execute("ANALYZE jobs")
    finally:
        await connection.close()


async def timed(label: str, query, runs: int = 7) -> None:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        jobs, _ = await query()
        samples.append((time.perf_counter() - began) * 1000)
    print(f"  {label:<44} {statistics.median(samples):8.1f} ms  ({len(jobs)} rows)")


async def measure(url: str, count: int) -> None:
    engine = await connect(url)
    try:
        middle, _ = await repository.page(JobFilters(), limit=1, offset=count // 2)
        deep = Cursor(middle[0].created_at, middle[0].id)
        everything = JobFilters()
        await timed("first page (50)", lambda: repository.page(everything, limit=50))
        await timed("cursor page at the middle", lambda: repository.page(everything, limit=50, cursor=deep))
        await timed("offset page at the middle", lambda: repository.page(everything, limit=50, offset=count // 2))
        failed = JobFilters(statuses=("failed",))
        await timed("status=failed, first page", lambda: repository.page(failed, limit=50))
        await timed("status=failed, cursor at the middle", lambda: repository.page(failed, limit=50, cursor=deep))
        await timed("favorite=true, first page", lambda: repository.page(JobFilters(favorite=True), limit=50))
        await timed("q='dragon castle', first page", lambda: repository.page(JobFilters(text="dragon castle"), limit=50))
    finally:
        await disconnect(engine)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server; a scratch database is created there")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite"
        await migrate(url)
        began = time.perf_counter()
        fill_sqlite(Path(folder) / "bench.sqlite", args.rows)
        print(f"SQLite, {args.rows:,} jobs (filled in {time.perf_counter() - began:.0f} s)")
        await measure(url, args.rows)

    if args.postgres:
        name = f"studio_bench_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(args.postgres)
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = args.postgres.rsplit("/", 1)[0] + f"/{name}"
        try:
            await migrate(url)
            began = time.perf_counter()
            await fill_postgres(url, args.rows)
            print(f"PostgreSQL, {args.rows:,} jobs (filled in {time.perf_counter() - began:.0f} s)")
            await measure(url, args.rows)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
