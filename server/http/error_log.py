"""How Litestar logs a request that ended in an exception: a refusal is one line, a bug a traceback.

A 4xx is the client's mistake and already has its sentence in the answer: one INFO line (the
status and the start of that sentence) is enough. A deliberate 5xx (a store or ComfyUI
unreachable) is one WARNING line. Only an unexpected exception, a bug, is logged with its traceback.
"""

from __future__ import annotations

import logging
import sys

from litestar.exceptions import HTTPException
from litestar.types import Scope

from server.errors import StudioError

# Refusals quote the client's input; a log line stays short whatever was sent.
MAX_DETAIL = 300


def log_exception(logger: logging.Logger, scope: Scope, traceback: list[str]) -> None:
    """Litestar's `exception_logging_handler`; it runs inside the `except` that caught the exception."""
    exc = sys.exc_info()[1]
    where = f"{scope.get('method', 'WebSocket')} {scope['path']}"
    # Litestar's own 500s (HTTPException subclasses such as ImproperlyConfiguredException) are bugs.
    if isinstance(exc, StudioError | HTTPException) and (isinstance(exc, StudioError) or exc.status_code < 500):
        status, detail = exc.status_code, str(exc.detail)
        if len(detail) > MAX_DETAIL:
            detail = detail[:MAX_DETAIL] + "..."
        logger.log(logging.INFO if status < 500 else logging.WARNING, "%s answered %d: %s", where, status, detail)
    else:
        logger.error("%s failed with an unexpected error:\n%s", where, "".join(traceback).rstrip())
