"""The web gallery on a history of a million jobs: the first page's API request, one page of
thumbnails, and the page in headless Chromium (time to interactive, and what scrolling fetches).

    .venv/bin/python bench/gallery.py [--rows 1000000] [--pages 4] [--runs 3]

Fills a fresh SQLite database with finished jobs in one INSERT ... SELECT over a recursive CTE
(not the API), each with one 1024x1024 PNG output; the newest `--pages` gallery pages get real files
(one noisy PNG, hard-linked), the older rows name files that are not there. Then starts `studio
serve` on it (open: loopback, no keys) and measures:

- GET /api/jobs?limit=60 (the gallery's page size, server/web/static/gallery.js): the first
  request after start-up and the median / p95 of 20 more;
- the first page's 60 thumbnails fetched over 6 connections (a browser's per-host limit), made on
  demand (an old job's), then again as kept on disk (what the worker makes when a job finishes);
- Debian's Chromium (/usr/bin/chromium + chromedriver, through Selenium): the time from navigation
  to the first page interactive (60 tiles in the grid, every thumbnail in view shown), each run in a
  fresh profile; then scrolling to `--pages` pages, the bytes of thumbnails and of full images the
  page fetched (Resource Timing entries: /thumbs/ versus /outputs/).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.db.migrate import migrate  # noqa: E402
from tests.served import serve_studio  # noqa: E402
from tests.web.browser import chromium, require_chromium  # noqa: E402

PAGE_SIZE = 60  # gallery.js PAGE_SIZE
CONNECTIONS = 6
SIDE = 1024
FILE = "studio_00001_.png"
START = 1_735_689_600  # 2025-01-01, the oldest job; one job every 3 s after it

# Row i (1 = oldest) has the id below: a valid UUID that is a pure function of i, so the outputs
# JSON can name the job's own folder in the same statement.
FILL = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :rows),
rows AS (
    SELECT i, printf('%08x-0000-4000-8000-%012x', i, i) AS id,
           strftime('%Y-%m-%d %H:%M:%S', :start + i * 3, 'unixepoch') || '.000000+00:00' AS at,
           'a ' || (CASE i % 4 WHEN 0 THEN 'red fox' WHEN 1 THEN 'neon city' WHEN 2 THEN 'castle' ELSE 'owl' END)
               || ' number ' || i AS prompt
    FROM n
)
INSERT INTO jobs (id, workflow, params, prompt, model, aspect_ratio, width, height, batch_size, seed, steps,
                  status, progress, outputs, attempts, created_at, started_at, finished_at, updated_at, enqueued_at)
SELECT id, 'text_to_image', json_object('prompt', prompt, 'seed', i), prompt, 'sd_xl_base_1.0.safetensors', '1:1',
       :side, :side, 1, i, 20, 'finished', 100,
       json_array(json_object('path', id || '/' || :file, 'url', '/outputs/' || id || '/' || :file, 'filename', :file,
                              'node_id', '9', 'content_type', 'image/png', 'width', :side, 'height', :side,
                              'size_bytes', :size)),
       1, at, at, at, at, at
FROM rows
"""
# Installed before the page's own scripts: Resource Timing keeps every request (250 by default),
# and the first moment the first page is interactive is written down.
WATCH = """
performance.setResourceTimingBufferSize(100000);
(() => {
  const check = () => {
    const tiles = document.querySelectorAll("#gallery li.tile");
    const shown = [...document.querySelectorAll("#gallery li.tile img")].filter((img) => {
      const box = img.getBoundingClientRect();
      return box.top < innerHeight && box.bottom > 0;
    });
    if (tiles.length >= %d && shown.length && shown.every((img) => img.complete && img.naturalWidth > 0)) {
      window.__interactive = performance.now();
    } else {
      requestAnimationFrame(check);
    }
  };
  requestAnimationFrame(check);
})();
""" % PAGE_SIZE
# When the page's own files were in (DOMContentLoaded) and when its first /api/jobs answer was.
MILESTONES = """
const page = performance.getEntriesByType("resource").find((e) => new URL(e.name).pathname === "/api/jobs");
return [performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd, page ? page.responseEnd : null];
"""
FETCHED = """
return performance.getEntriesByType("resource").map((e) => [new URL(e.name).pathname, e.encodedBodySize]);
"""


def output_png() -> bytes:
    """A 1024x1024 PNG about the size of a real one (smooth shapes and grain), not a flat colour."""
    grain = Image.effect_noise((SIDE, SIDE), 48).filter(ImageFilter.GaussianBlur(1.2))
    gradient = Image.linear_gradient("L").resize((SIDE, SIDE))
    image = Image.merge("RGB", (grain, gradient, Image.blend(grain, gradient.rotate(90), 0.5)))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def job_id(i: int) -> str:
    return f"{i:08x}-0000-4000-8000-{i:012x}"


def fill(data: Path, rows: int, with_files: int) -> tuple[float, int]:
    """The database and the newest `with_files` jobs' files; seconds taken, bytes of one image."""
    began = time.perf_counter()
    png = output_png()
    source = data / "bench-output.png"
    source.write_bytes(png)
    with sqlite3.connect(data / "studio.sqlite") as db:
        db.execute(FILL, {"rows": rows, "start": START, "side": SIDE, "file": FILE, "size": len(png)})
        db.execute("ANALYZE")
    for i in range(rows, max(0, rows - with_files), -1):
        folder = data / "outputs" / job_id(i)
        folder.mkdir(parents=True)
        os.link(source, folder / FILE)
    return time.perf_counter() - began, len(png)


def milliseconds(seconds: list[float]) -> tuple[float, float]:
    ordered = sorted(seconds)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000


def fetch_all(url: str, paths: list[str]) -> tuple[float, int]:
    """Every path over CONNECTIONS keep-alive connections; seconds for all, bytes received."""
    clients = [httpx.Client(base_url=url, timeout=60) for _ in range(CONNECTIONS)]
    try:
        began = time.perf_counter()
        with ThreadPoolExecutor(CONNECTIONS) as pool:
            answers = list(pool.map(lambda n: clients[n % CONNECTIONS].get(paths[n]), range(len(paths))))
        took = time.perf_counter() - began
    finally:
        for client in clients:
            client.close()
    assert all(answer.status_code == 200 for answer in answers), {answer.status_code for answer in answers}
    return took, sum(len(answer.content) for answer in answers)


def in_browser(url: str, folder: Path, pages: int) -> tuple[list[float], dict[str, tuple[int, int]]]:
    """Times from navigation (ms): the page's files in, its first /api/jobs answer, the first page
    interactive; then, scrolled to `pages` pages, what was fetched by kind: (requests, bytes)."""
    with chromium(folder) as browser:
        browser.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})
        browser.open(f"{url}/")
        interactive = browser.wait(lambda: browser.driver.execute_script("return window.__interactive"), "the first page", 60)
        times = [*browser.driver.execute_script(MILESTONES), interactive]
        for page in range(2, pages + 1):
            browser.driver.execute_script("window.scrollTo(0, document.documentElement.scrollHeight)")
            browser.wait(lambda: len(browser.all("#gallery li.tile")) >= page * PAGE_SIZE, f"page {page}", 60)
        browser.wait(
            lambda: browser.driver.execute_script(
                "return [...document.querySelectorAll('#gallery li.tile img')].every((img) => {"
                " const box = img.getBoundingClientRect();"
                " return box.top >= innerHeight || box.bottom <= 0 || (img.complete && img.naturalWidth > 0); })"
            ),
            "the thumbnails in view",
            60,
        )
        fetched: dict[str, tuple[int, int]] = {}
        for path, size in browser.driver.execute_script(FETCHED):
            kind = next((k for k in ("/thumbs/", "/outputs/", "/api/", "/app/") if path.startswith(k)), "other")
            count, total = fetched.get(kind, (0, 0))
            fetched[kind] = (count + 1, total + size)
    return [float(time or 0) for time in times], fetched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=4, help="gallery pages to scroll through in the browser (default 4)")
    parser.add_argument("--runs", type=int, default=3, help="browser runs, each in a fresh profile (default 3)")
    args = parser.parse_args()
    require_chromium()

    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        data.mkdir()
        asyncio.run(migrate(f"sqlite:///{data / 'studio.sqlite'}"))
        filled, image_bytes = fill(data, args.rows, (args.pages + 1) * PAGE_SIZE)
        print(f"Gallery: {args.rows:,} finished jobs in SQLite (filled in {filled:.0f} s), pages of {PAGE_SIZE}\n")
        rows: list[tuple[str, str]] = []
        with serve_studio(Path(folder)) as served, httpx.Client(base_url=served.url, timeout=60) as http:
            page_path = f"/api/jobs?limit={PAGE_SIZE}"
            began = time.perf_counter()
            first = http.get(page_path)
            cold = time.perf_counter() - began
            samples = []
            for _ in range(20):
                began = time.perf_counter()
                http.get(page_path).raise_for_status()
                samples.append(time.perf_counter() - began)
            median, p95 = milliseconds(samples)
            rows.append((f"GET {page_path}: first request after start-up", f"{cold * 1000:.1f} ms ({len(first.content) / 1024:.0f} KB)"))
            rows.append((f"GET {page_path}: median / p95 of 20", f"{median:.1f} / {p95:.1f} ms"))

            thumbnails = [output["thumbnail_url"] for job in first.json()["items"] for output in job["outputs"]]
            made, thumb_bytes = fetch_all(served.url, thumbnails)
            kept, _ = fetch_all(served.url, thumbnails)
            rows.append((f"{len(thumbnails)} thumbnails of a page, made on demand ({CONNECTIONS} connections)", f"{made * 1000:.0f} ms"))
            rows.append((f"{len(thumbnails)} thumbnails of a page, kept on disk ({CONNECTIONS} connections)", f"{kept * 1000:.0f} ms"))
            rows.append(
                ("bytes of a page: thumbnails / full images", f"{thumb_bytes / 1024:.0f} KB / {len(thumbnails) * image_bytes / 1024 / 1024:.1f} MB")
            )

            for run in range(1, args.runs + 1):
                (files, answer, interactive), fetched = in_browser(served.url, Path(folder) / f"browser-{run}", args.pages)
                rows.append(
                    (
                        f"Chromium run {run}: first page interactive after navigation",
                        f"{interactive:.0f} ms (page's files in at {files:.0f}, first /api/jobs answer at {answer:.0f})",
                    )
                )
                for kind, label in (("/thumbs/", "thumbnails"), ("/outputs/", "full images"), ("/api/", "API answers")):
                    count, size = fetched.get(kind, (0, 0))
                    rows.append((f"Chromium run {run}, {args.pages} pages scrolled: {label} fetched", f"{count} ({size / 1024:.0f} KB)"))

        width = max(len(label) for label, _ in rows)
        print(f"| {'measure':<{width}} | value |\n| {'-' * width} | --- |")
        for label, value in rows:
            print(f"| {label:<{width}} | {value} |")
        print(
            "\nRun 1 makes the thumbnails of pages 2 and on as it scrolls (on demand, as for old jobs); later runs find them "
            "kept. Each run starts a fresh browser profile: nothing comes from its cache."
        )


if __name__ == "__main__":
    main()
