"""Reading /metrics as Prometheus does (its text parser), and waiting for a figure."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    """The sample's value; 0 for a series not (yet) exposed, as Prometheus's increase() reads it."""
    return samples(text).get((name, frozenset(labels.items())), 0.0)


def scrape(http: httpx.Client, **headers: str) -> str:
    response = http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    return response.text


def wait_for(http: httpx.Client, holds: Callable[[str], bool], timeout: float = 30) -> str:
    """Scrape until `holds(text)`: job figures may be a couple of seconds old (CACHE_SECONDS)."""
    deadline = time.monotonic() + timeout
    while True:
        text = scrape(http)
        if holds(text):
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"/metrics never showed it:\n{text}")
        time.sleep(0.3)
