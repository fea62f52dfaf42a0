"""The upload's multipart body, read as it streams in: the image file field, bounded, and nothing
else kept.

Studio reads the form itself instead of through Litestar's `MultipartBody` so that a body over
the limit gets the same 413 sentence whether it announces its length or arrives chunked (and is
refused the moment it passes the limit), and so that a text field that is not UTF-8 is a 400
(Litestar's parser raises UnicodeDecodeError from inside the framework: a 500).
"""

from __future__ import annotations

import msgspec
from litestar import Request
from multipart import MultipartError, MultipartSegment, ParserLimitReached, PushMultipartParser

from server.errors import NUL_MESSAGE, BadRequest, FieldError, PayloadTooLarge, echo, clip, has_nul

# "image" is the original system's name for the field.
FILE_FIELDS = ("file", "image")
# Room around the image for the multipart framing and a few small text fields.
FORM_MARGIN = 64 * 1024
MAX_PARTS = 16


class UploadedFile(msgspec.Struct, frozen=True):
    filename: str
    data: bytes


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The upload is larger than the {limit} byte limit (STUDIO_UPLOAD_MAX_BYTES).", [FieldError("file", "too large")]
    )


def _refused(field: str, message: str) -> BadRequest:
    return BadRequest.from_fields([FieldError(field, message)])


async def read_file_field(request: Request, limit: int) -> UploadedFile:
    """The first file field named `file` (or `image`), at most `limit` bytes."""
    media_type, options = request.content_type
    if media_type != "multipart/form-data" or not options.get("boundary"):
        raise _refused("file", "send the image as multipart/form-data, in a file field named 'file'")
    if (request.content_length or 0) > limit + FORM_MARGIN:
        raise too_large(limit)
    reader = _FormReader(limit)
    received = 0
    try:
        with PushMultipartParser(options["boundary"], max_segment_count=MAX_PARTS) as parser:
            async for chunk in request.stream():
                received += len(chunk)
                if received > limit + FORM_MARGIN:
                    raise too_large(limit)
                for event in parser.parse(chunk):
                    reader.feed(event)
    except ParserLimitReached:
        raise _refused("file", f"the form has more than {MAX_PARTS} parts or an oversized part header") from None
    except MultipartError as exc:
        raise _refused("file", f"the multipart body is malformed ({exc})") from None
    if reader.file is None:
        raise _refused("file", "send the image as a multipart file field named 'file'")
    return reader.file


class _FormReader:
    """Collects one part at a time from the parser's events; keeps the file, checks text fields."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.file: UploadedFile | None = None
        self._segment: MultipartSegment | None = None
        self._body = bytearray()

    def feed(self, event: MultipartSegment | bytes | bytearray | None) -> None:
        if isinstance(event, MultipartSegment):
            self._segment, self._body = event, bytearray()
        elif event:
            self._body += event
            if len(self._body) > self.limit:
                raise too_large(self.limit)
        elif self._segment is not None:
            self._end(self._segment, bytes(self._body))
            self._segment, self._body = None, bytearray()

    def _end(self, segment: MultipartSegment, body: bytes) -> None:
        name = segment.name or ""
        if segment.filename is not None:
            if name in FILE_FIELDS and self.file is None:
                if has_nul(segment.filename):
                    raise _refused("file", f"its file name {NUL_MESSAGE}")
                self.file = UploadedFile(segment.filename, body)
            return
        # Text fields are not used, but one that is not text in its declared charset is malformed.
        charset = segment.charset or "utf-8"
        try:
            body.decode(charset)
        except (UnicodeDecodeError, LookupError):
            raise _refused(clip(name) or "form", f"is not readable as {echo(charset)} text") from None
