"""Checks that uploaded bytes are an image and shrinks oversized ones (Pillow, off the event loop)."""

from __future__ import annotations

import io
import warnings

import msgspec
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


class NotAnImage(Exception):
    """The bytes are not a PNG, JPEG or WebP image Pillow can decode; the message says why."""


class PreparedImage(msgspec.Struct, frozen=True):
    data: bytes
    extension: str
    content_type: str
    width: int
    height: int
    downscaled: bool


def prepare_image(raw: bytes, max_side: int) -> PreparedImage:
    """Decode fully (so truncated files fail here, not in ComfyUI), fix EXIF rotation, downscale."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                source_format = probe.format
                probe.verify()
            if source_format not in ACCEPTED_FORMATS:
                raise NotAnImage(f"{source_format} images are not accepted; send PNG, JPEG or WebP")
            image = Image.open(io.BytesIO(raw))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise NotAnImage("the image has too many pixels to process safely") from None
    except UnidentifiedImageError:
        raise NotAnImage("the file is not a readable PNG, JPEG or WebP image") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise NotAnImage(f"the file is not a readable PNG, JPEG or WebP image ({exc})") from None

    image = ImageOps.exif_transpose(image)
    downscaled = max(image.size) > max_side
    if downscaled:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    out = io.BytesIO()
    if source_format == "JPEG" and not has_alpha:
        image.convert("RGB").save(out, format="JPEG", quality=95)
        extension, content_type = "jpg", "image/jpeg"
    else:
        image.convert("RGBA" if has_alpha else "RGB").save(out, format="PNG")
        extension, content_type = "png", "image/png"
    return PreparedImage(
        data=out.getvalue(),
        extension=extension,
        content_type=content_type,
        width=image.width,
        height=image.height,
        downscaled=downscaled,
    )
