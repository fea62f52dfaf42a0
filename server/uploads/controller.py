from __future__ import annotations

import hashlib
import uuid
from typing import Any

import anyio
import msgspec
from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.datastructures import UploadFile
from litestar.params import MultipartBody

from server.config import Settings
from server.errors import BadRequest, FieldError, PayloadTooLarge
from server.storage import LocalStorage
from server.uploads import repository
from server.uploads.images import NotAnImage, prepare_image


class UploadInfo(msgspec.Struct, kw_only=True):
    # Use this as the value of an image parameter.
    name: str
    original_name: str
    content_type: str
    width: int
    height: int
    size_bytes: int
    downscaled: bool


class UploadController(Controller):
    path = "/api/uploads"
    tags = ["uploads"]

    @post("/", summary="Upload an input image (multipart field `file`)")
    async def upload(
        self,
        data: MultipartBody[dict[str, Any]],
        settings: NamedDependency[Settings],
        storage: NamedDependency[LocalStorage],
    ) -> UploadInfo:
        file = data.get("file", data.get("image"))
        if not isinstance(file, UploadFile):
            raise BadRequest.from_fields([FieldError("file", "send the image as a multipart file field named 'file'")])
        raw = await file.read(settings.upload_max_bytes + 1)
        if len(raw) > settings.upload_max_bytes:
            raise PayloadTooLarge(
                f"The upload is larger than the {settings.upload_max_bytes} byte limit (STUDIO_UPLOAD_MAX_BYTES).",
                [FieldError("file", "too large")],
            )
        try:
            image = await anyio.to_thread.run_sync(prepare_image, raw, settings.upload_max_side)
        except NotAnImage as exc:
            raise BadRequest.from_fields([FieldError("file", str(exc))]) from None
        name = f"{uuid.uuid4().hex}.{image.extension}"
        storage.write("uploads", name, image.data)
        original_name = (file.filename or "")[:255]
        await repository.insert(
            {
                "name": name,
                "original_name": original_name,
                "content_type": image.content_type,
                "width": image.width,
                "height": image.height,
                "size_bytes": len(image.data),
                "sha256": hashlib.sha256(image.data).hexdigest(),
            }
        )
        return UploadInfo(
            name=name,
            original_name=original_name,
            content_type=image.content_type,
            width=image.width,
            height=image.height,
            size_bytes=len(image.data),
            downscaled=image.downscaled,
        )
