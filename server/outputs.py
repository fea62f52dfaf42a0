"""GET /outputs/...: stored result files, never anything outside the outputs folder."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import File

from server.errors import BadRequest, FieldError, NotFound, echo, error_responses
from server.storage import LocalStorage, UnsafePath


@get("/outputs/{path:path}", tags=["outputs"], summary="A stored output file", responses=error_responses(404))
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
