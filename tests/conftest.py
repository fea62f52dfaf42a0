"""Shared fixtures: real SQLite and PostgreSQL databases, settings, and a client of the real app.

PostgreSQL (and later Redis) tests skip on a laptop without the server, but fail under CI
(`CI=true`), where .ci/run has started them.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.config import Settings, load_settings
from server.db.migrate import migrate
from tests.net import unused_url

REPO = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = os.environ.get("STUDIO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_service(name: str, reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{name} is required in CI but unavailable: {reason}")
    pytest.skip(f"{name} unavailable: {reason}")


async def _postgres(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of its own for this test session, migrated once."""
    name = f"studio_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_postgres(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as exc:
        require_service("PostgreSQL", f"{POSTGRES_ADMIN_URL}: {exc}")
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    asyncio.run(migrate(url))
    yield url
    asyncio.run(_postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _truncate(url: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("TRUNCATE jobs, uploads")
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every test using this runs twice: on a fresh SQLite file and on an emptied PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'data' / 'studio.sqlite'}"
        (tmp_path / "data").mkdir(exist_ok=True)
        asyncio.run(migrate(url))
        return url
    url = request.getfixturevalue("postgres_url")
    asyncio.run(_truncate(url))
    return url


@pytest.fixture
def comfy_url() -> Iterator[str]:
    """Where the app under test looks for ComfyUI: a port nobody listens on, never the default
    127.0.0.1:8188, where the user's own ComfyUI may answer. Tests that need one start a double."""
    with unused_url() as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str, comfy_url: str) -> Settings:
    return load_settings(
        {},
        overrides={
            "data_dir": str(tmp_path / "data"),
            "database_url": database_url,
            "comfy_urls": [comfy_url],
            "workflows_dir": str(REPO / "workflows"),
            "upload_max_bytes": 2 * 1024 * 1024,
            "upload_max_side": 512,
            # The name TestClient sends as Host; real servers in tests are reached as 127.0.0.1.
            "allowed_hosts": ["testserver.local"],
        },
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client
