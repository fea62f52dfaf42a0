"""Fixtures of the live-event tests: the app's bus, and scaled-out API hosts on Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from server.events.bus import EventBus
from tests.integration.events.scaled import Api, environment, redis_ready
from tests.net import free_port


@pytest.fixture
def bus(client: TestClient) -> EventBus:
    """The bus of the app under test; publishing from the test thread exercises the thread-safe path."""
    return client.app.dependencies["events"].dependency()


@pytest.fixture
def env(tmp_path: Path, comfy_url: str) -> dict[str, str]:
    """The environment of a scaled-out Studio's processes (Redis, shared database and data dir)."""
    redis_ready()
    return environment(tmp_path, comfy_url)


@pytest.fixture
def apis(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[Api, Api]]:
    """Two API hosts; one after the other, since the first migrates the shared database."""
    first = Api(env, tmp_path / "api-1.log").start()
    second = Api(env, tmp_path / "api-2.log").start()
    yield first, second
    second.stop()
    first.stop()


@pytest.fixture
def api(env: dict[str, str], tmp_path: Path) -> Iterator[Api]:
    host = Api(env, tmp_path / "api.log").start()
    yield host
    host.stop()


@pytest.fixture
def unused_url() -> str:
    return f"http://127.0.0.1:{free_port()}"
