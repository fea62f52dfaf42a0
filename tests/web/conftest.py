"""One Studio (with the ComfyUI double) and one headless Chromium per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.comfyui_double.double import ComfyDouble
from tests.integration.worker.stack import Stack
from tests.web.browser import Browser, chromium, require_chromium, served_studio


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, ComfyDouble]]:
    require_chromium()
    with served_studio(tmp_path_factory.mktemp("studio")) as pair:
        yield pair


@pytest.fixture(scope="module")
def studio(served: tuple[Stack, ComfyDouble]) -> Stack:
    return served[0]


@pytest.fixture(scope="module")
def double(served: tuple[Stack, ComfyDouble]) -> ComfyDouble:
    return served[1]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    require_chromium()
    with chromium(tmp_path_factory.mktemp("browser")) as opened:
        yield opened
