"""What a SQLite commit costs on this disk, with WAL: synchronous=FULL vs NORMAL vs one transaction.

    .venv/bin/python bench/sqlite_commits.py [--rows 1000] [--folder /tmp]

Inserts --rows single-row jobs-sized rows into a fresh database in --folder (put it on the disk
Studio's data dir lives on), each in its own transaction with synchronous=FULL, then NORMAL, then
all of them in one transaction; prints the ms per row and the rows per second. With WAL, FULL
syncs the log on every commit; NORMAL syncs only at checkpoints, so a power cut may lose the
last commits but never corrupts the database (a killed process loses nothing: the log is in the
page cache).
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

ROW = "x" * 600  # about a job row's size (params, prompt, columns)


def timed(path: Path, rows: int, synchronous: str, one_transaction: bool) -> float:
    """Seconds to insert `rows` rows into a fresh WAL database at `path`."""
    path.unlink(missing_ok=True)
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(f"PRAGMA synchronous={synchronous}")
        connection.execute("CREATE TABLE jobs (id TEXT PRIMARY KEY, body TEXT)")
        began = time.perf_counter()
        if one_transaction:
            connection.execute("BEGIN IMMEDIATE")
        for _ in range(rows):
            if not one_transaction:
                connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO jobs VALUES (?, ?)", (uuid.uuid4().hex, ROW))
            if not one_transaction:
                connection.execute("COMMIT")
        if one_transaction:
            connection.execute("COMMIT")
        return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        path = Path(folder) / "commits.sqlite"
        print(f"{args.rows} single-row INSERTs, WAL, in {args.folder}:")
        for label, synchronous, one in (
            ("a commit each, synchronous=FULL", "FULL", False),
            ("a commit each, synchronous=NORMAL", "NORMAL", False),
            ("one transaction, synchronous=FULL", "FULL", True),
        ):
            seconds = timed(path, args.rows, synchronous, one)
            print(f"  {label:36} {seconds / args.rows * 1000:7.3f} ms/row  {args.rows / seconds:9.0f} rows/s")


if __name__ == "__main__":
    main()
