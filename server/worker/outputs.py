"""Stores a finished prompt's images under outputs/<job id>/: the files ComfyUI wrote (copied
through /view, never its folders, all at once and streamed to disk), then the images
SaveImageWebsocket sent over the socket."""

from __future__ import annotations

import asyncio
import mimetypes
import re
import uuid
from collections import Counter
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from PIL import Image

from server.comfy import ComfyClient, OutputImage, SocketImage
from server.jobs.schemas import Output
from server.storage import LocalStorage
from server.thumbs.maker import make_soon

T = TypeVar("T")


async def collect_outputs(
    client: ComfyClient,
    storage: LocalStorage,
    job_id: uuid.UUID,
    images: list[OutputImage],
    socket_images: list[SocketImage],
) -> list[Output]:
    folder = _JobFolder(job_id)
    # Names are taken in ComfyUI's order before the fetches race, so they do not depend on timing.
    names = [folder.name(image.node_id, image.filename) for image in images]
    fetched = await _all(
        [
            storage.write_chunks("outputs", name, client.stream_view(image.filename, image.subfolder, image.type))
            for name, image in zip(names, images, strict=True)
        ]
    )
    outputs = [_output(name, image.node_id, path, size) for name, image, (path, size) in zip(names, images, fetched, strict=True)]
    # Socket images have no name: number them per node, in the order they arrived, the way
    # SaveImage numbers a batch (<prefix>_00001_.png).
    numbers: Counter[str] = Counter()
    for image in socket_images:
        numbers[image.node_id] += 1
        extension = mimetypes.guess_extension(image.mime) or ".png"
        name = folder.name(image.node_id, f"websocket_{_safe(image.node_id)}_{numbers[image.node_id]:05}_{extension}")
        outputs.append(_output(name, image.node_id, storage.write("outputs", name, image.image), len(image.image)))
    make_soon(storage, [(output.path, output.content_type) for output in outputs])  # in threads: the job finishes meanwhile
    return outputs


async def _all(fetches: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Run the fetches at once; the first error stops the others (and is raised as it is, for
    the caller's retry), so a retry never races a fetch left over from the last try."""
    tasks = [asyncio.ensure_future(fetch) for fetch in fetches]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


class _JobFolder:
    """One job's outputs folder: each file under a name no other output has."""

    def __init__(self, job_id: uuid.UUID) -> None:
        self.job_id = job_id
        self._used: set[str] = set()

    def name(self, node_id: str, filename: str) -> str:
        """The stored name (<job id>/<file>) of a node's file."""
        # Same name from two nodes (or subfolders): keep both.
        if filename in self._used:
            filename = f"{_safe(node_id)}_{filename}"
        self._used.add(filename)
        return f"{self.job_id}/{filename}"


def _output(name: str, node_id: str, path: Path, size: int) -> Output:
    width, height = _size(path)
    filename = name.rpartition("/")[2]
    return Output(
        path=name,
        url=f"/outputs/{name}",
        filename=filename,
        node_id=node_id,
        content_type=mimetypes.guess_type(filename)[0] or "application/octet-stream",
        width=width,
        height=height,
        size_bytes=size,
    )


def _safe(node_id: str) -> str:
    """A node id as part of a file name (API graphs may use any string as a node id)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", node_id)[:64]


def _size(path: Path) -> tuple[int | None, int | None]:
    try:
        with Image.open(path) as image:  # reads the header only
            return image.size
    except Exception:
        return None, None
