"""Pytest fixtures, a plugin that tests/conftest.py registers (`pytest_plugins`): every test may
ask for `comfy_double` or `comfy_double_process`.

Override `comfy_double_settings` in a module or conftest to configure models, timings or failures.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .double import ComfyDouble
from .process import ComfyDoubleProcess
from .settings import DoubleSettings


@pytest.fixture
def comfy_double_settings() -> DoubleSettings:
    return DoubleSettings()


@pytest.fixture
def comfy_double(comfy_double_settings: DoubleSettings, tmp_path: Path) -> Iterator[ComfyDouble]:
    """A started in-process double on a free port; kill()/restart() keep that port."""
    double = ComfyDouble(comfy_double_settings, data_dir=tmp_path / "comfyui")
    double.start()
    try:
        yield double
    finally:
        double.stop()


@pytest.fixture
def comfy_double_process(comfy_double_settings: DoubleSettings, tmp_path: Path) -> Iterator[ComfyDoubleProcess]:
    """The double as a child process (kill() is a real SIGKILL). Slower to start: ~0.5-1 s."""
    double = ComfyDoubleProcess(comfy_double_settings, data_dir=tmp_path / "comfyui-process")
    double.start()
    try:
        yield double
    finally:
        double.stop()
