"""`studio submit --style NAME`, a real subprocess against a running Studio (in the repository: its
built-in styles)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.integration.cli.test_submit_preset import job, submit
from tests.served import ServedStudio


@pytest.fixture(scope="module")
def api(studio: ServedStudio) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=studio.url, timeout=30) as http:
        body = {"name": "anime fox", "workflow": "text_to_image", "params": {"prompt": "a fox"}, "style": "anime"}
        assert http.post("/api/presets", json=body).status_code == 201
        yield http


def test_the_style_applies_to_the_prompt_typed(api: httpx.Client) -> None:
    made = job(api, submit(api, "text_to_image", "prompt=a heron", "--style", "watercolor"))
    assert (made["prompt"], made["style"], made["steps"]) == ("a heron", "watercolor", 30)
    assert made["styled_params"]["prompt"].startswith("watercolour painting of a heron, ")


def test_a_style_given_replaces_the_presets(api: httpx.Client) -> None:
    assert job(api, submit(api, "--preset", "anime fox"))["style"] == "anime"
    assert job(api, submit(api, "--preset", "anime fox", "--style", "cinematic"))["style"] == "cinematic"


def test_an_unknown_style_is_one_sentence_naming_the_styles_there_are(api: httpx.Client) -> None:
    done = submit(api, "text_to_image", "prompt=a heron", "--style", "sepia")
    assert done.returncode == 2 and done.stdout == ""
    assert "unknown style 'sepia'; available: anime, cinematic, line_art, photographic, watercolor" in done.stderr
