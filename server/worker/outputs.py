"""Stores a finished prompt's images under outputs/<job id>/: the files ComfyUI wrote (copied
through /view, never its folders), then the images SaveImageWebsocket sent over the socket."""

from __future__ import annotations

import io
import mimetypes
import re
import uuid
from collections import Counter

from PIL import Image

from server.comfy import ComfyClient, OutputImage, SocketImage
from server.jobs.schemas import Output
from server.storage import LocalStorage


async def collect_outputs(
    client: ComfyClient,
    storage: LocalStorage,
    job_id: uuid.UUID,
    images: list[OutputImage],
    socket_images: list[SocketImage],
) -> list[Output]:
    folder = _JobFolder(storage, job_id)
    for image in images:
        folder.add(image.node_id, image.filename, await client.view(image.filename, image.subfolder, image.type))
    # Socket images have no name: number them per node, in the order they arrived, the way
    # SaveImage numbers a batch (<prefix>_00001_.png).
    numbers: Counter[str] = Counter()
    for image in socket_images:
        numbers[image.node_id] += 1
        extension = mimetypes.guess_extension(image.mime) or ".png"
        name = f"websocket_{_safe(image.node_id)}_{numbers[image.node_id]:05}_{extension}"
        folder.add(image.node_id, name, image.image)
    return folder.outputs


class _JobFolder:
    """One job's outputs folder: each file written once, under a name no other output has."""

    def __init__(self, storage: LocalStorage, job_id: uuid.UUID) -> None:
        self.storage = storage
        self.job_id = job_id
        self.outputs: list[Output] = []
        self._used: set[str] = set()

    def add(self, node_id: str, name: str, data: bytes) -> None:
        # Same name from two nodes (or subfolders): keep both.
        if name in self._used:
            name = f"{_safe(node_id)}_{name}"
        self._used.add(name)
        path = f"{self.job_id}/{name}"
        self.storage.write("outputs", path, data)
        width, height = _size(data)
        self.outputs.append(
            Output(
                path=path,
                url=f"/outputs/{path}",
                filename=name,
                node_id=node_id,
                content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                width=width,
                height=height,
                size_bytes=len(data),
            )
        )


def _safe(node_id: str) -> str:
    """A node id as part of a file name (API graphs may use any string as a node id)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", node_id)[:64]


def _size(data: bytes) -> tuple[int | None, int | None]:
    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            return image.size
    except Exception:
        return None, None
