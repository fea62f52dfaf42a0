"""GET /outputs/...: stored result files, never anything outside the outputs folder."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import get
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, Schema
from litestar.params import FromPath
from litestar.response import File

from server.errors import BadRequest, FieldError, NotFound, echo, error_responses
from server.storage import LocalStorage, UnsafePath

# Served as the Content-Type the file's name implies (Litestar's File guesses it). ComfyUI lists the
# videos its nodes save among a prompt's images too (SaveWEBM, SaveVideo: comfy_extras/nodes_video.py).
MEDIA_TYPES = ("image/*", "video/*", "application/octet-stream")
_SERVED_AS = (
    "The file, as the Content-Type its name implies: image/png, image/jpeg or image/webp for images, "
    "video/webm or video/mp4 from ComfyUI's video nodes, application/octet-stream for a name of no known type"
)


@dataclass
class _OutputFileOperation(Operation):
    """Litestar documents a File under the route's one media type; an output file has one of several."""

    def __post_init__(self) -> None:
        served = self.responses["200"]
        served.description = _SERVED_AS
        binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        served.content = {media_type: OpenAPIMediaType(schema=binary) for media_type in MEDIA_TYPES}


@get(
    "/outputs/{path:path}",
    tags=["outputs"],
    summary="A stored output file",
    responses=error_responses(404),
    operation_class=_OutputFileOperation,
)
async def serve_output(path: FromPath[str], storage: NamedDependency[LocalStorage]) -> File:
    try:
        target = storage.path("outputs", path.lstrip("/"))
        found = target.is_file()
    except UnsafePath:
        raise BadRequest.from_fields([FieldError("path", "points outside the outputs folder")]) from None
    except OSError:  # a name the file system cannot hold (ENAMETOOLONG and the like) names no file
        found = False
    if not found:
        raise NotFound(f"No output file {echo(path)}.")
    return File(path=target, filename=target.name, content_disposition_type="inline")
