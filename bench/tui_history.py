"""How long the TUI's history table freezes when a new job joins it, with many rows loaded.

    .venv/bin/python bench/tui_history.py [--rows 10000]

Loads --rows jobs into the history table of a headless Textual app, a page (100) at a time as
scrolling does, then adds one new job the way the live feed does (appended, sorted in place)
and, for comparison, by rebuilding the table. Prints the median of several runs in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from textual.app import App, ComposeResult

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.tui.jobs import job  # noqa: E402
from tui.widgets.history.table import HistoryTable, history_cells  # noqa: E402

PAGE = 100
RUNS = 5


class Bench(App[None]):
    def compose(self) -> ComposeResult:
        yield HistoryTable()


async def timed(pilot, action) -> float:
    started = time.perf_counter()
    action()
    await pilot.pause()  # the redraw is part of the freeze
    return (time.perf_counter() - started) * 1000


async def main(rows: int) -> None:
    app = Bench()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(HistoryTable)
        pages = []
        for start in range(rows, 0, -PAGE):
            page = [job(n, "finished") for n in range(start, max(start - PAGE, 0), -1)]
            pages.append(await timed(pilot, lambda page=page: table.add_page(page, "more")))
        newest = rows
        joined, rebuilt = [], []
        for _ in range(RUNS):
            newest += 1
            joined.append(await timed(pilot, lambda n=newest: table.add_jobs([job(n, "finished")])))
            newest += 1
            everything = [job(newest, "finished"), *table.jobs.values()]
            rebuilt.append(await timed(pilot, lambda rows=everything: table.show([(j, history_cells(j)) for j in rows])))
    print(f"History table with {rows:,} rows loaded (median of {RUNS}, ms):")
    print(f"  a page of {PAGE} rows appended         {statistics.median(pages):8.1f}")
    print(f"  a new job joins (sorted in place)    {statistics.median(joined):8.1f}")
    print(f"  a new job joins by a full rebuild    {statistics.median(rebuilt):8.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    asyncio.run(main(parser.parse_args().rows))
