"""Accepting an upload: read the form, check and shrink the image, store the file and its row."""

from __future__ import annotations

import hashlib
import uuid

import anyio
from litestar import Request

from server.access import limits
from server.access.schemas import Caller
from server.config import Settings
from server.errors import BadRequest, FieldError
from server.storage import LocalStorage
from server.uploads import repository
from server.uploads.form import read_file_field
from server.uploads.images import NotAnImage, TooManyPixels, prepare_image
from server.uploads.schemas import UploadInfo

# Decoding is what costs memory (up to ~4 bytes a pixel, several hundred MB for a large image):
# however many uploads arrive at once, two are decoded at a time and the others wait their turn.
MAX_DECODES = 2


class UploadService:
    def __init__(self, settings: Settings, storage: LocalStorage) -> None:
        self.settings = settings
        self.storage = storage
        self.decodes = anyio.CapacityLimiter(MAX_DECODES)

    async def accept(self, request: Request, caller: Caller) -> UploadInfo:
        """Store the form's image as an upload of `caller`'s: only its jobs may use it. It must fit
        the caller's upload quota (server/access/limits.py)."""
        settings = self.settings
        upload = await read_file_field(request, settings.upload_max_bytes)
        try:
            image = await anyio.to_thread.run_sync(
                prepare_image, upload.data, settings.upload_max_side, settings.upload_max_pixels, limiter=self.decodes
            )
        except (NotAnImage, TooManyPixels) as exc:
            raise BadRequest.from_fields([FieldError("file", str(exc))]) from None
        name = f"{uuid.uuid4().hex}.{image.extension}"
        info = UploadInfo(
            name=name,
            original_name=upload.filename[:255],
            content_type=image.content_type,
            width=image.width,
            height=image.height,
            size_bytes=len(image.data),
            downscaled=image.downscaled,
        )
        row = {
            "name": name,
            "original_name": info.original_name,
            "content_type": image.content_type,
            "width": image.width,
            "height": image.height,
            "size_bytes": info.size_bytes,
            "sha256": hashlib.sha256(image.data).hexdigest(),
            "owner": caller.name,
        }

        async def store() -> None:
            # Within the quota's transaction: a refused upload leaves no file behind.
            self.storage.write("uploads", name, image.data)
            await repository.insert(row)

        await limits.admit_upload(caller, info.size_bytes, settings, store)
        return info
