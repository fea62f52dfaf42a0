"""A Studio app with a styles folder of its own, so the tests know every style's words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.config import Settings

NOIR = """
title = "Noir"
positive = "film noir photo of {prompt}, black and white"
negative = "colour, cartoon"

[params]
cfg = 4.5
steps = 33
scale_by = 2.0
"""
PLAIN = 'positive = "{prompt}, plain"\n'
# More steps than the built-in workflows allow.
SLOW = 'positive = "{prompt}, slowly"\n[params]\nsteps = 500\n'


def write_styles(folder: Path) -> Path:
    folder.mkdir()
    (folder / "noir.toml").write_text(NOIR)
    (folder / "plain.toml").write_text(PLAIN)
    (folder / "slow.toml").write_text(SLOW)
    return folder


@pytest.fixture
def styled(settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    """The app on the test's database with the styles `noir`, `plain` and `slow`."""
    folder = write_styles(tmp_path / "styles")
    with TestClient(create_app(msgspec.structs.replace(settings, styles_dir=str(folder)))) as client:
        yield client
