"""Prompt styles through the API: listed, applied at submit (the job keeps the user's prompt, the
style's name and the final prompt), refused when unknown, kept by a remix."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.config import Settings
from tests.common.paths import REPO


def submit(client: TestClient, style: str | None, workflow: str = "text_to_image", **params):
    return client.post("/api/jobs", json={"workflow": workflow, "params": params, "style": style})


def test_styles_are_listed_with_their_templates(styled: TestClient) -> None:
    styles = {style["name"]: style for style in styled.get("/api/styles").json()}
    assert set(styles) == {"noir", "plain", "slow"}
    assert styles["noir"]["positive"] == "film noir photo of {prompt}, black and white"
    assert styles["noir"]["params"] == {"cfg": 4.5, "steps": 33, "scale_by": 2.0}
    assert styles["plain"] == {
        "name": "plain", "title": "", "description": "", "positive": "{prompt}, plain", "negative": "", "params": {},
    }


def test_a_styled_job_keeps_the_prompt_the_style_and_the_final_prompt(styled: TestClient) -> None:
    response = submit(styled, "noir", prompt="a detective {in} rain", negative_prompt="blurry")
    assert response.status_code == 202, response.text
    job = response.json()
    assert (job["prompt"], job["negative_prompt"], job["style"]) == ("a detective {in} rain", "blurry", "noir")
    assert job["params"] == {"prompt": "a detective {in} rain", "negative_prompt": "blurry"}, "params as submitted"
    # The workflow has no scale_by: that default is not for it.
    assert job["styled_params"] == {
        "prompt": "film noir photo of a detective {in} rain, black and white",
        "negative_prompt": "colour, cartoon, blurry",
        "cfg": 4.5,
        "steps": 33,
    }
    assert (job["cfg"], job["steps"]) == (4.5, 33), "the columns hold what runs"
    assert styled.get(f"/api/jobs/{job['id']}").json() == job


def test_the_jobs_own_values_override_the_styles_defaults(styled: TestClient) -> None:
    job = submit(styled, "noir", prompt="a cat", steps=12).json()
    assert job["styled_params"]["cfg"] == 4.5 and "steps" not in job["styled_params"]
    assert (job["steps"], job["cfg"]) == (12, 4.5)


def test_a_job_without_a_style_is_sent_as_typed(styled: TestClient) -> None:
    job = submit(styled, None, prompt="a cat").json()
    assert (job["style"], job["styled_params"], job["prompt"]) == (None, {}, "a cat")


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"style": "sepia"}, "style", "unknown style 'sepia'; available: noir, plain, slow"),
        ({"style": "noir", "workflow": "upscale", "params": {"image": "x.png"}}, "style", "upscale has no prompt to style"),
        ({"style": "noir", "params": {"prompt": "  "}}, "params.prompt", "must not be empty"),
        ({"style": "noir", "params": {"prompt": "x" * 3990}}, "params.prompt", "as the style noir sets it: is 4026 characters long; the limit is 4000"),
        ({"style": "slow"}, "params.steps", "as the style slow sets it: must be at most 150 (got 500)"),
        ({"style": "n" * 101}, "style", "Expected 'str' of length <= 100"),
    ],
)
def test_refusals_name_the_field(styled: TestClient, body: dict, field: str, words: str) -> None:
    response = styled.post("/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": "a cat"}, **body})
    assert response.status_code == 400, response.text
    assert any(e["field"] == field and words in e["message"] for e in response.json()["errors"]), response.json()
    assert styled.get("/api/jobs").json()["items"] == []


def test_remix_keeps_the_style_unless_told_otherwise(styled: TestClient) -> None:
    original = submit(styled, "noir", prompt="a cat", seed=7).json()
    kept = styled.post(f"/api/jobs/{original['id']}/remix", json={"params": {"prompt": "a dog"}}).json()
    assert (kept["style"], kept["prompt"], kept["seed"]) == ("noir", "a dog", 7)
    assert kept["styled_params"]["prompt"] == "film noir photo of a dog, black and white"
    bare = styled.post(f"/api/jobs/{original['id']}/remix").json()
    assert bare["style"] == "noir" and bare["styled_params"] == original["styled_params"]
    other = styled.post(f"/api/jobs/{original['id']}/remix", json={"style": "plain"}).json()
    assert (other["style"], other["styled_params"]) == ("plain", {"prompt": "a cat, plain", "negative_prompt": ""})
    assert other["cfg"] == 7.0, "the old style's defaults go with it"
    none = styled.post(f"/api/jobs/{original['id']}/remix", json={"style": None}).json()
    assert (none["style"], none["styled_params"], none["cfg"]) == (None, {}, 7.0)


def test_the_built_in_styles_load_and_style_a_prompt(settings: Settings, tmp_path: Path) -> None:
    with TestClient(create_app(msgspec.structs.replace(settings, styles_dir=str(REPO / "styles")))) as client:
        styles = client.get("/api/styles").json()
        assert len(styles) >= 5
        for style in styles:
            job = submit(client, style["name"], prompt="a lighthouse").json()
            assert "a lighthouse" in job["styled_params"]["prompt"] != "a lighthouse", style["name"]


def test_no_styles_folder_means_no_styles(settings: Settings, tmp_path: Path) -> None:
    with TestClient(create_app(msgspec.structs.replace(settings, styles_dir=str(tmp_path / "none")))) as client:
        assert client.get("/api/styles").json() == []
        assert "available: none (the styles folder is empty)" in submit(client, "noir", prompt="x").text
