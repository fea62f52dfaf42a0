"""WS /ws/events: a snapshot of the active queue, then every job event, on one connection.

Reconnecting is the caller's choice (the TUI retries forever and shows the connection state);
every way the connection can end is one ClientError.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import msgspec

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from client.errors import ClientError, detail_of, key_refused
from client.http import auth_headers
from server.events.schemas import Message, message_decoder

# A silent peer (host gone, network cut) is noticed within PING_SECONDS * 2.
PING_SECONDS = 10


def ws_url(base_url: str, path: str) -> str:
    scheme, _, rest = base_url.rstrip("/").partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}{path}"


def handshake_refused(refusal: InvalidStatus, api_key: str | None, otherwise: str) -> ClientError:
    """An upgrade Studio answered with an HTTP refusal: its sentence (for a 401, what to do about
    the key); `otherwise`, for an answer that is not Studio's, is followed by the status."""
    response = refusal.response
    if response.status_code == 401:
        return key_refused(response.body, api_key)
    return ClientError(detail_of(response.body) or f"{otherwise} (HTTP {response.status_code}).", usage=True)


async def queue_events(base_url: str, *, api_key: str | None = None) -> AsyncIterator[Message]:
    """The QueueSnapshot, then events, until the connection ends: then ClientError."""
    url = ws_url(base_url, "/ws/events")
    try:
        async with connect(
            url,
            additional_headers=auth_headers(api_key),
            open_timeout=10,
            ping_interval=PING_SECONDS,
            ping_timeout=PING_SECONDS,
            max_size=None,
        ) as socket:
            async for raw in socket:
                try:
                    message = message_decoder.decode(raw)
                except msgspec.DecodeError:
                    continue  # a message type a newer Studio sends and this client does not know
                yield message
            raise ClientError(f"Studio closed the live feed ({socket.close_reason or 'no reason given'}).")
    except ConnectionClosed as closed:
        reason = closed.rcvd.reason if closed.rcvd is not None and closed.rcvd.reason else "connection lost"
        raise ClientError(f"Studio closed the live feed ({reason}).") from None
    except InvalidURI:
        raise ClientError(f"{base_url!r} is not an http:// or https:// URL.", usage=True) from None
    except InvalidStatus as exc:
        raise handshake_refused(exc, api_key, f"{url} is not Studio's live feed") from None
    except InvalidHandshake as exc:
        raise ClientError(f"{url} is not Studio's live feed ({exc}).", usage=True) from None
    except (OSError, asyncio.TimeoutError) as exc:
        raise ClientError(f"Could not reach Studio at {base_url} ({exc or type(exc).__name__}).") from None
