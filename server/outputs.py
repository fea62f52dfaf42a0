"""GET /outputs/...: stored result files, never anything outside the outputs folder, and only to
whom may see them: a key's own jobs' files (an admin's: any), or the one file a signed link names."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIFormat, OpenAPIHeader, OpenAPIMediaType, OpenAPIType, Operation, Schema
from litestar.params import FromPath, QueryParameter
from litestar.response import File

from server.access.links import LinkSigner
from server.access.schemas import Caller
from server.errors import BadRequest, FieldError, Forbidden, NotFound, echo, error_response, error_responses
from server.jobs import repository
from server.sweeps import repository as sweeps
from server.sweeps.service import SHEETS_FOLDER
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
        # Litestar documents Last-Modified as an RFC 3339 date-time; it sends an HTTP-date (RFC 9110).
        served.headers = {
            **(served.headers or {}),
            "last-modified": OpenAPIHeader(schema=Schema(type=OpenAPIType.STRING), description="When the file was written, as an HTTP-date"),
        }


_EXP = "Signed links (a job's output `url`): when the link stops opening the file, in Unix seconds"
_SIG = "Signed links: the signature of the path and `exp`; with it, the file opens without an API key"


@get(
    "/outputs/{path:path}",
    tags=["outputs"],
    summary="A stored output file",
    description=(
        "Opens with an API key (a user key: its own jobs' files only) or without one as a signed link, "
        "the `url` a job's outputs carry, until its `exp`. Reload the job for a fresh link."
    ),
    responses={**error_responses(404), 403: error_response("A signed link that has expired, or that does not sign this file")},
    operation_class=_OutputFileOperation,
)
async def serve_output(
    path: FromPath[str],
    storage: NamedDependency[LocalStorage],
    links: NamedDependency[LinkSigner],
    caller: NamedDependency[Caller | None],
    exp: Annotated[int | None, QueryParameter(ge=0, description=_EXP)] = None,
    sig: Annotated[str | None, QueryParameter(description=_SIG)] = None,
) -> File:
    # No caller: a signed link without a key, which opens exactly the file it names.
    if caller is None:
        check_link(links, f"/outputs{path}", exp, sig)
    elif caller.scope is not None and not await of_own_job(path, caller.scope):
        raise NotFound(f"No output file {echo(path)}.")  # someone else's: as absent as a missing one
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


def check_link(links: LinkSigner, url_path: str, exp: int | None, sig: str | None) -> None:
    """Refuses (403) a link that does not sign `url_path` (an output's or its thumbnail's) until `exp`."""
    if exp is not None and links.expired(exp):
        expired = datetime.datetime.fromtimestamp(exp, datetime.timezone.utc)
        raise Forbidden(
            f"This output link expired at {expired:%Y-%m-%d %H:%M} UTC: reload its job "
            "(GET /api/jobs/<job id>, or the page that showed it) for a fresh link."
        )
    if exp is None or sig is None or not links.verify(url_path, exp, sig):
        raise Forbidden(
            "This output link is not signed for this file: open it exactly as Studio gave it "
            "(a job's output url), or send an API key."
        )


async def of_own_job(path: str, owner: str) -> bool:
    """Whether the file is in the folder of one of `owner`'s jobs (named by the job id), or of one
    of `owner`'s sweeps (sweeps/<sweep id>/, its contact sheet)."""
    folder, _, rest = path.lstrip("/").partition("/")
    of_sweep = folder == SHEETS_FOLDER
    try:
        found_id = uuid.UUID(rest.partition("/")[0] if of_sweep else folder)
    except ValueError:
        return False
    if of_sweep:
        return await sweeps.get(found_id, owner=owner) is not None
    return await repository.get(found_id, owner=owner) is not None
