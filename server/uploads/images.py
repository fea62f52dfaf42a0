"""Checks that uploaded bytes are an image and shrinks oversized ones (Pillow, run off the event loop).

Memory is what an upload costs: a decoded image takes 3-4 bytes a pixel whatever its file size
(a 346 KB PNG of 9000x9900 decodes to ~350 MB, and more while it is resampled). So the pixel
count is checked from the header before anything is decoded, a large JPEG is decoded already
reduced (libjpeg's DCT scaling), and the caller runs at most two decodes at a time.
"""

from __future__ import annotations

import io
import warnings

import msgspec
from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow format -> stored file extension and content type. Each upload keeps its format.
ACCEPTED_FORMATS = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "WEBP": ("webp", "image/webp")}


class NotAnImage(Exception):
    """The bytes are not a PNG, JPEG or WebP image Pillow can decode; the message says why."""


class TooManyPixels(Exception):
    """The image has more pixels than the limit; the message says how many and what the limit is."""


class PreparedImage(msgspec.Struct, frozen=True):
    data: bytes
    extension: str
    content_type: str
    width: int
    height: int
    downscaled: bool


def prepare_image(raw: bytes, max_side: int, max_pixels: int) -> PreparedImage:
    """Decode fully (so truncated files fail here, not in ComfyUI), downscale, fix EXIF rotation."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                source_format, size = probe.format, probe.size
                if source_format not in ACCEPTED_FORMATS:
                    raise NotAnImage(f"{source_format} images are not accepted; send PNG, JPEG or WebP")
                _check_pixels(size, max_pixels)
                probe.verify()
            image = Image.open(io.BytesIO(raw))
            downscaled = max(size) > max_side
            if downscaled:
                # JPEG only: decode at 1/2, 1/4 or 1/8 scale, still at least the final size.
                image.draft(None, _fitted(size, max_side))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):  # Pillow's own limit, checked on open
        raise TooManyPixels(f"the image has more than {Image.MAX_IMAGE_PIXELS:,} pixels; {_limit(max_pixels)}") from None
    except UnidentifiedImageError:
        raise NotAnImage("the file is not a readable PNG, JPEG or WebP image") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise NotAnImage(f"the file is not a readable PNG, JPEG or WebP image ({exc})") from None

    # thumbnail() shrinks in place (by reduce() first when the factor is large); the box is
    # square, so rotating afterwards gives the same size and rotates the small image only.
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = image.convert("RGBA" if has_alpha else "RGB")
    extension, content_type = ACCEPTED_FORMATS[source_format]
    out = io.BytesIO()
    if source_format == "JPEG":
        image.save(out, format="JPEG", quality=95)
    elif source_format == "WEBP":
        image.save(out, format="WEBP", lossless=_webp_lossless(raw), quality=95)
    else:
        image.save(out, format="PNG")
    return PreparedImage(
        data=out.getvalue(),
        extension=extension,
        content_type=content_type,
        width=image.width,
        height=image.height,
        downscaled=downscaled,
    )


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise TooManyPixels(f"the image is {width}x{height} = {width * height:,} pixels; {_limit(max_pixels)}")


def _limit(max_pixels: int) -> str:
    return f"the limit is {max_pixels:,} (STUDIO_UPLOAD_MAX_PIXELS)"


def _fitted(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """The size `thumbnail((max_side, max_side))` gives an image of `size`."""
    width, height = size
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _webp_lossless(raw: bytes) -> bool:
    """Whether a WebP file holds lossless (VP8L) image data, so it is stored losslessly again."""
    offset = 12  # after "RIFF", the size and "WEBP"
    while offset + 8 <= len(raw):
        chunk = raw[offset : offset + 4]
        if chunk in (b"VP8L", b"VP8 "):
            return chunk == b"VP8L"
        size = int.from_bytes(raw[offset + 4 : offset + 8], "little")
        offset += 8 + size + (size & 1)  # chunks are padded to an even length
    return False
