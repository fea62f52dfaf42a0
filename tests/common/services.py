"""The PostgreSQL and Redis servers the tests use: found, or skipped on a laptop and failed in CI.

PostgreSQL is found at STUDIO_TEST_POSTGRES_URL; `.ci/run` starts it (and Redis) and sets CI=true.
"""

from __future__ import annotations

import os

import asyncpg
import pytest

POSTGRES_ADMIN_URL = os.environ.get("STUDIO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_service(name: str, reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{name} is required in CI but unavailable: {reason}")
    pytest.skip(f"{name} unavailable: {reason}")


async def postgres_admin(statement: str) -> None:
    """One statement on the admin database (CREATE / DROP DATABASE)."""
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def truncate(url: str) -> None:
    """Empty a test database's tables."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("TRUNCATE jobs, uploads, api_keys, presets, webhook_deliveries, sessions, sweeps")
    finally:
        await connection.close()
