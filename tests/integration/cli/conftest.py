"""A real `studio serve` process per test module, its output kept in a file the tests read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.served import ServedStudio, serve_studio


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedStudio]:
    with serve_studio(tmp_path_factory.mktemp("studio")) as served:
        yield served
