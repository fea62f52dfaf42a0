"""Counts and times every HTTP request, labelled by its route's path template
(`/api/jobs/{job_id}`): a job id never becomes a label, which would make a series per job."""

from __future__ import annotations

import time

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.stats.metrics import Metrics


class RequestMetrics(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        started = time.perf_counter()
        status: int | None = None

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await next_app(scope, receive, sending)
        except Exception as exc:
            # A refusal raised by a middleware after this one (no key: 401) is answered by the
            # app's exception handler, outside: its status is the exception's.
            if status is None:
                status = getattr(exc, "status_code", 500)
            raise
        finally:
            route = scope.get("path_template") or "unknown"
            self.metrics.observe(scope["method"], route, status or 500, time.perf_counter() - started)
