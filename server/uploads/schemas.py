"""Wire types of the uploads API."""

from __future__ import annotations

import msgspec


class UploadInfo(msgspec.Struct, kw_only=True):
    # Use this as the value of an image parameter.
    name: str
    original_name: str
    content_type: str
    width: int
    height: int
    size_bytes: int
    downscaled: bool
