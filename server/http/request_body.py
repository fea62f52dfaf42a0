"""JSON bodies Studio cannot decode are the client's mistake: a 400 with a sentence, never a 500.

Litestar turns only msgspec's DecodeError into a 400; msgspec raises UnicodeDecodeError for bytes
that are not UTF-8 and RecursionError for JSON nested deeper than Python's recursion limit.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import SerializationException

# Every body but an upload is JSON of a few KB; a larger one is refused before it is decoded.
JSON_MAX_BYTES = 1024 * 1024
TOO_LARGE = f"The request body is larger than the {JSON_MAX_BYTES} byte limit for JSON (images go to POST /api/uploads)."


class StudioRequest(Request):
    async def json(self) -> Any:
        try:
            return await super().json()
        except UnicodeDecodeError as exc:
            raise SerializationException(f"byte {exc.start} is not UTF-8; JSON must be sent as UTF-8 text") from None
        except RecursionError:
            raise SerializationException("its JSON is nested too deeply") from None
