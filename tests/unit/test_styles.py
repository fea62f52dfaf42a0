"""Style files: a broken one stops start-up naming the file and the field; templates keep the
user's words as typed."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.styles.registry import StyleError, StyleRegistry
from server.styles.schemas import Style
from tests.common.paths import REPO


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('positive = "no placeholder"', "positive: the template must contain {prompt}"),
        ('positive = "{prompt}"\ncolour = "red"', "Object contains unknown field 'colour'"),
        ('positive = "{prompt}"\n[params]\ncfg = [1, 2]', "params.cfg: must be a number, a word or true/false, not list"),
        ("positive = ", "not valid TOML"),
        ("positive = 3", "Expected 'str', got 'int' - at '$.positive'"),
    ],
)
def test_a_broken_style_file_is_refused_with_file_and_reason(tmp_path: Path, text: str, words: str) -> None:
    (tmp_path / "broken.toml").write_text(text)
    with pytest.raises(StyleError) as raised:
        StyleRegistry.from_folder(tmp_path)
    assert str(raised.value).startswith(f"{tmp_path / 'broken.toml'}: ")
    assert words in str(raised.value)


def test_templates_replace_only_the_placeholder() -> None:
    style = Style(name="s", positive="art of {prompt} {style}", negative="ugly")
    assert style.positive_prompt("a {weird} {prompt}") == "art of a {weird} {prompt} {style}"
    assert style.negative_prompt("") == "ugly"
    assert style.negative_prompt(" blurry ") == "ugly, blurry"
    assert Style(name="s").negative_prompt("") == ""


def test_every_built_in_style_loads_with_a_title_and_a_description() -> None:
    styles = list(StyleRegistry.from_folder(REPO / "styles"))
    assert len(styles) >= 5
    assert all(style.title and style.description for style in styles)
