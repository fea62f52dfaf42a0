"""GET /thumbs/<job id>/<file>.webp: an image output's thumbnail, made on the first request when the
worker has not made it yet (a job that finished before thumbnails existed, or moments ago). Who may
open it is who may open the output itself (server/outputs.py): a key's own jobs, an admin's any, or
a signed link (a job's outputs' `thumbnail_url`)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, Schema
from litestar.params import FromPath, QueryParameter
from litestar.response import File

from server.access.links import LinkSigner
from server.access.schemas import Caller
from server.errors import NotFound, echo, error_response, error_responses
from server.outputs import check_link, of_own_job
from server.storage import LocalStorage, UnsafePath
from server.thumbs.maker import SUFFIX, THUMB_SIZE, NotAnImage, make

# The file for a path never changes (its output never does): browsers keep it for a year. Private,
# since whether it opens depends on the key.
CACHE_CONTROL = "private, max-age=31536000, immutable"


@dataclass
class _ThumbnailOperation(Operation):
    """Litestar documents a File as a string of media type application/octet-stream; this one is WebP bytes."""

    def __post_init__(self) -> None:
        binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        self.responses["200"].content = {"image/webp": OpenAPIMediaType(schema=binary)}


@get(
    "/thumbs/{path:path}",
    tags=["outputs"],
    summary="The thumbnail of an image output",
    description=(
        f"A WebP {THUMB_SIZE} px on its long side (smaller images keep their size), made on the first request if the "
        "worker has not made it yet. Opens like the output itself: with an API key (a user key: its own jobs' "
        "outputs only) or without one as the signed link an output's `thumbnail_url` is, until its `exp`."
    ),
    responses={
        **error_responses(404),
        403: error_response("A signed link that has expired, or that does not sign this thumbnail"),
    },
    media_type="image/webp",
    response_description="The thumbnail (image/webp)",
    operation_class=_ThumbnailOperation,
)
async def serve_thumbnail(
    path: FromPath[str],
    storage: NamedDependency[LocalStorage],
    links: NamedDependency[LinkSigner],
    caller: NamedDependency[Caller | None],
    exp: Annotated[int | None, QueryParameter(ge=0, description="Signed links: when the link stops opening the thumbnail, in Unix seconds")] = None,
    sig: Annotated[str | None, QueryParameter(description="Signed links: the signature of the path and `exp`")] = None,
) -> File:
    if caller is None:  # a signed link without a key
        check_link(links, f"/thumbs{path}", exp, sig)
    missing = NotFound(f"No thumbnail {echo(path)}: thumbnails are at /thumbs/<job id>/<output file>{SUFFIX}.")
    output_path = path.lstrip("/").removesuffix(SUFFIX)
    job, _, file = output_path.partition("/")
    if not path.endswith(SUFFIX) or not _is_uuid(job) or not file or "/" in file or file.startswith("."):
        raise missing
    if caller is not None and caller.scope is not None and not await of_own_job(output_path, caller.scope):
        raise missing  # someone else's: as absent as a missing one
    try:
        if not storage.path("outputs", output_path).is_file():
            raise missing
        target = await asyncio.wrap_future(make(storage, output_path))
    except (UnsafePath, FileNotFoundError):
        raise missing from None
    except NotAnImage:
        raise NotFound(f"No thumbnail {echo(path)}: its output is not an image (only images have thumbnails).") from None
    return File(
        path=target,
        filename=f"{file}{SUFFIX}",
        media_type="image/webp",
        content_disposition_type="inline",
        headers={"Cache-Control": CACHE_CONTROL},
    )


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
