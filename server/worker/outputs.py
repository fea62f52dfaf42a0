"""Copies a finished prompt's images from ComfyUI (through /view, never its folders) into storage."""

from __future__ import annotations

import io
import mimetypes
import uuid

from PIL import Image

from server.comfy import ComfyClient, OutputImage
from server.jobs.schemas import Output
from server.storage import LocalStorage


async def collect_outputs(client: ComfyClient, storage: LocalStorage, job_id: uuid.UUID, images: list[OutputImage]) -> list[Output]:
    outputs: list[Output] = []
    used: set[str] = set()
    for image in images:
        data = await client.view(image.filename, image.subfolder, image.type)
        # Same name from two nodes (or subfolders): keep both.
        name = image.filename if image.filename not in used else f"{image.node_id}_{image.filename}"
        used.add(name)
        path = f"{job_id}/{name}"
        storage.write("outputs", path, data)
        width, height = _size(data)
        outputs.append(
            Output(
                path=path,
                url=f"/outputs/{path}",
                filename=name,
                node_id=image.node_id,
                content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                width=width,
                height=height,
                size_bytes=len(data),
            )
        )
    return outputs


def _size(data: bytes) -> tuple[int | None, int | None]:
    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            return image.size
    except Exception:
        return None, None
