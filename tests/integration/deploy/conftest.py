"""The deployment tests' marker: `slow` (the container image build), still part of `make test`."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: builds a container image (minutes on a cold cache); part of make test")
