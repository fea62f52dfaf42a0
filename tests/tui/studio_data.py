"""Jobs and API keys written straight into a running Studio's database, and polling for the TUI tests."""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from PIL import Image
from textual.pilot import Pilot

from server.access import repository as keys
from server.access.schemas import KeyLimits, Role
from server.access.tokens import new_token, stored
from server.db.engine import bind
from server.db.tables import Job as JobRow
from tests.integration.worker.stack import Stack

T = TypeVar("T")
UTC = datetime.timezone.utc
# Far enough ahead that no sweep resends, adopts or rescues these rows during a test.
FAR_FUTURE = datetime.datetime(2100, 1, 1, tzinfo=UTC)
# SQLite allows so many bound values per statement; a job row has ~40 columns.
BATCH = 200


def job_id(n: int) -> uuid.UUID:
    return uuid.UUID(f"00000000-0000-4000-8000-{n:012d}")


def job_row(n: int, created_at: datetime.datetime, prompt: str, status: str = "finished", **fields: Any) -> dict[str, Any]:
    """A jobs row as Studio writes one; `fields` override the columns."""
    terminal = status in ("finished", "failed", "cancelled")
    row: dict[str, Any] = {
        "id": job_id(n),
        "workflow": "text_to_image",
        "params": {"prompt": prompt},
        "prompt": prompt,
        "model": "sd_xl_base_1.0.safetensors",
        "aspect_ratio": "1:1",
        "width": 1024,
        "height": 1024,
        "seed": 1000 + n,
        "steps": 20,
        "cfg": 7.0,
        "sampler": "euler",
        "scheduler": "normal",
        "status": status,
        "progress": 100 if status == "finished" else 0,
        "created_at": created_at,
        "updated_at": created_at,
        "started_at": created_at + datetime.timedelta(seconds=2) if status != "queued" else None,
        "finished_at": created_at + datetime.timedelta(seconds=14) if terminal else None,
        "attempts": 1 if status != "queued" else 0,
        "enqueued_at": FAR_FUTURE if status == "queued" else created_at,
    }
    row.update(fields)
    return row


async def insert_jobs(stack: Stack, rows: list[dict[str, Any]]) -> None:
    bind(f"sqlite:///{stack.data_dir / 'studio.sqlite'}")
    for start in range(0, len(rows), BATCH):
        await JobRow.insert(*(JobRow(**row) for row in rows[start : start + BATCH]))


async def make_key(data_dir: Path, name: str, role: Role = "user", *, revoked: bool = False) -> str:
    """A key made in the SQLite database of the Studio serving `data_dir`, as `studio keys create`
    makes one; from then on that Studio asks every request for a key. Returns the key."""
    bind(f"sqlite:///{data_dir / 'studio.sqlite'}")
    token = new_token()
    info = await keys.insert(name, role, KeyLimits(), token, stored(token))
    if revoked:
        await keys.revoke(info.id)
    return token.text


def write_output(
    stack: Stack, n: int, filename: str, colours: tuple[tuple[int, int, int], tuple[int, int, int]], size: tuple[int, int] = (64, 64)
) -> dict[str, Any]:
    """A fixed gradient image stored as job n's output; returns the output record."""
    width, height = size
    image = Image.new("RGB", (width, height))
    (r1, g1, b1), (r2, g2, b2) = colours
    image.putdata(
        [
            (r1 + (r2 - r1) * x // width, g1 + (g2 - g1) * y // height, b1 + (b2 - b1) * (x + y) // (width + height))
            for y in range(height)
            for x in range(width)
        ]
    )
    return store_output(stack, n, filename, image)


def store_output(stack: Stack, n: int, filename: str, image: Image.Image) -> dict[str, Any]:
    """`image` stored as job n's output; returns the output record (which says 16 times its size, as a full output would)."""
    width, height = image.size
    folder: Path = stack.data_dir / "outputs" / str(job_id(n))
    folder.mkdir(parents=True, exist_ok=True)
    image.save(folder / filename)
    path = f"{job_id(n)}/{filename}"
    return {
        "path": path,
        "url": f"/outputs/{path}",
        "filename": filename,
        "node_id": "9",
        "content_type": "image/png",
        "width": width * 16,
        "height": height * 16,
        "size_bytes": (folder / filename).stat().st_size,
    }


async def until(pilot: Pilot, condition: Callable[[], T], *, timeout: float = 20.0, what: str = "the condition") -> T:
    """Let the app run until `condition()` is truthy; return what it returned."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        await pilot.pause(0.05)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
