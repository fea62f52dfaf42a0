"""GET /health: is the database reachable, and Redis when it is configured."""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Response, get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from piccolo.engine.base import Engine

from server.config import Settings
from server.db.engine import ping

Check = Literal["healthy", "unhealthy", "disabled"]


class Health(msgspec.Struct):
    status: Literal["ok", "degraded"]
    database: Check
    redis: Check
    mode: Literal["single-process", "scaled-out"]


_DEGRADED = ResponseSpec(Health, description="Degraded: the database or Redis does not answer", generate_examples=False)


@get("/health", tags=["health"], summary="Liveness of Studio and its stores", responses={503: _DEGRADED})
async def health(settings: NamedDependency[Settings], engine: NamedDependency[Engine]) -> Response[Health]:
    database: Check = "healthy" if await ping(engine) else "unhealthy"
    redis: Check = "disabled"
    if settings.redis_url:
        redis = "healthy" if await _redis_answers(settings.redis_url) else "unhealthy"
    ok = database == "healthy" and redis != "unhealthy"
    body = Health(
        status="ok" if ok else "degraded",
        database=database,
        redis=redis,
        mode="scaled-out" if settings.redis_url else "single-process",
    )
    return Response(body, status_code=200 if ok else 503)


async def _redis_answers(url: str) -> bool:
    try:
        await ping_redis(url)
    except Exception:
        return False
    return True


async def ping_redis(url: str, timeout: float = 2) -> None:
    """PING the Redis at `url`; raises what redis-py raises when it does not answer."""
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        await client.ping()
    finally:
        await client.aclose()
