"""Follow one job over WS /ws/jobs/{id}: its snapshot, then its events, until it ends.

A dropped connection (Studio restarting, a host going away, a client that fell behind) is
reopened: the new snapshot carries the job's state, so nothing that matters is missed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI

from client.errors import ClientError
from client.events import handshake_refused, ws_url
from client.http import auth_headers
from server.events.schemas import CLOSE_NO_JOB, JobSnapshot, Message, is_terminal, message_decoder
from server.jobs.schemas import TERMINAL_STATUSES

# Reconnection attempts in a row, one second apart, before giving up.
RECONNECTS = 10
RECONNECT_DELAY = 1.0


def socket_url(base_url: str, job_id: str) -> str:
    return ws_url(base_url, f"/ws/jobs/{job_id}")


async def follow(base_url: str, job_id: str, *, api_key: str | None = None) -> AsyncIterator[Message]:
    url = socket_url(base_url, job_id)
    # None until the first message: a Studio that never answered is reported at once.
    failures: int | None = None
    while True:
        try:
            async with connect(url, additional_headers=auth_headers(api_key), open_timeout=10, max_size=None) as socket:
                async for raw in socket:
                    message = message_decoder.decode(raw)
                    failures = 0
                    yield message
                    if _ends(message):
                        return
        except ConnectionClosed as closed:
            if closed.rcvd is not None and closed.rcvd.code == CLOSE_NO_JOB:
                raise ClientError(closed.rcvd.reason or f"No job with id {job_id}.", usage=True) from None
        except InvalidStatus as exc:
            raise handshake_refused(exc, api_key, f"{url} is not a Studio job socket") from None
        except InvalidURI:
            raise ClientError(f"{base_url!r} is not an http:// or https:// URL.", usage=True) from None
        except (OSError, asyncio.TimeoutError) as exc:
            if failures is None or failures >= RECONNECTS:
                raise ClientError(f"Could not reach Studio at {base_url} ({exc or type(exc).__name__}).") from None
        failures = (failures or 0) + 1
        await asyncio.sleep(RECONNECT_DELAY)


def _ends(message: Message) -> bool:
    return is_terminal(message) or (isinstance(message, JobSnapshot) and message.job.status in TERMINAL_STATUSES)
