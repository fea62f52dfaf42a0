"""A bug (an unexpected exception, 500) is still logged at ERROR with its traceback."""

from __future__ import annotations

import logging

from litestar import get
from litestar.testing import TestClient

from server.app import create_app
from server.config import Settings


@get("/test/broken")
async def broken() -> None:
    raise RuntimeError("a bug in a route")


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_an_unexpected_error_is_a_500_logged_with_its_traceback(settings: Settings) -> None:
    app = create_app(settings)
    app.register(broken)
    records = Records()
    with TestClient(app, raise_server_exceptions=False) as client:
        logging.getLogger("litestar").addHandler(records)
        try:
            response = client.get("/test/broken")
        finally:
            logging.getLogger("litestar").removeHandler(records)
    assert response.status_code == 500
    [record] = records.records
    assert record.levelno == logging.ERROR
    message = record.getMessage()
    assert "GET /test/broken" in message and "Traceback" in message and "RuntimeError: a bug in a route" in message
