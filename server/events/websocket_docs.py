"""The WebSocket routes in the OpenAPI description, which has no WebSocket type: each is also a
GET that documents the 101 handshake and, asked without one, answers 426 with a sentence."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Response, get
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, QueryParameter
from litestar.status_codes import HTTP_426_UPGRADE_REQUIRED

from server.errors import ErrorBody, error_responses
from server.jobs.schemas import Status

_SWITCH = (
    "Switching Protocols: the WebSocket opens; messages are JSON text frames (README, Live events). "
    "Closed with 4401 once the API key it was opened with is revoked"
)

# Browsers cannot set headers on a WebSocket: the key may come in the query there, and only there.
_TOKEN = "The API key, for clients that cannot send 'Authorization: Bearer <key>' (browsers)"


def _upgrade_required(path: str) -> Response[ErrorBody]:
    detail = f"{path} is a WebSocket: open it with a WebSocket client (ws://...)."
    body = ErrorBody(HTTP_426_UPGRADE_REQUIRED, detail)
    return Response(body, status_code=HTTP_426_UPGRADE_REQUIRED, headers={"Upgrade": "websocket"})


@get(
    "/ws/events",
    tags=["live events"],
    summary="WebSocket: the active queue, then every job event",
    status_code=HTTP_426_UPGRADE_REQUIRED,
    responses={101: ResponseSpec(None, description=_SWITCH), **error_responses()},
)
async def events_socket_doc(
    status: Annotated[list[Status] | None, QueryParameter(description="Only events of jobs in these statuses")] = None,
    workflow: Annotated[str | None, QueryParameter(description="Only events of this workflow's jobs")] = None,
    owner: Annotated[
        str | None, QueryParameter(description="Only events of this key's jobs (admins; a user key gets its own only)")
    ] = None,
    token: Annotated[str | None, QueryParameter(description=_TOKEN)] = None,
) -> Response[ErrorBody]:
    return _upgrade_required("/ws/events")


@get(
    "/ws/jobs/{job_id:uuid}",
    tags=["live events"],
    summary="WebSocket: one job's snapshot, then its events until it ends (closes 4404 for no such job)",
    status_code=HTTP_426_UPGRADE_REQUIRED,
    responses={101: ResponseSpec(None, description=_SWITCH), **error_responses(404)},
)
async def job_socket_doc(
    job_id: FromPath[uuid.UUID], token: Annotated[str | None, QueryParameter(description=_TOKEN)] = None
) -> Response[ErrorBody]:
    return _upgrade_required(f"/ws/jobs/{job_id}")


ROUTES = [events_socket_doc, job_socket_doc]
