from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema

from server.access.schemas import Caller
from server.errors import error_responses
from server.uploads.schemas import UploadInfo
from server.uploads.service import UploadService

_FORM = Schema(
    type=OpenAPIType.OBJECT,
    properties={"file": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY, description="A PNG, JPEG or WebP image")},
    required=["file"],
)


@dataclass
class UploadOperation(Operation):
    """The upload's form in the OpenAPI: Studio reads it itself (server/uploads/form.py), so
    Litestar sees no body parameter to describe."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(content={"multipart/form-data": OpenAPIMediaType(schema=_FORM)}, required=True)


class UploadController(Controller):
    path = "/api/uploads"
    tags = ["uploads"]

    @post(
        "/",
        summary="Upload an input image (multipart field `file`)",
        # The form is read, and its size limited, as it streams in (UploadService).
        request_max_body_size=None,
        operation_class=UploadOperation,
        responses=error_responses(413, 429),
    )
    async def upload(
        self, request: Request, uploads: NamedDependency[UploadService], caller: NamedDependency[Caller]
    ) -> UploadInfo:
        return await uploads.accept(request, caller)
