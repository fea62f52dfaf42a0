"""Outputs saved on the client's machine (`studio submit --save`, the TUI's `s`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from client.http import StudioClient
from server.jobs.schemas import Output


def save_new(folder: Path, filename: str, data: bytes) -> Path:
    """Write `data` as `folder/filename`, or `name-1.png`, `name-2.png`… when that exists."""
    name = Path(filename).name  # a server's file name never picks the folder
    path, n = folder / name, 0
    while True:
        try:
            with path.open("xb") as file:
                file.write(data)
            return path
        except FileExistsError:
            n += 1
            path = folder / f"{Path(name).stem}-{n}{Path(name).suffix}"


async def save_outputs(studio: StudioClient, outputs: list[Output], folder: Path) -> list[Path]:
    """Download each output into `folder`, never overwriting; the paths written, in order."""
    saved = []
    for output in outputs:
        data = await studio.fetch(output.url)
        saved.append(await asyncio.to_thread(save_new, folder, output.filename, data))
    return saved
