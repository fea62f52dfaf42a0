"""The styles of a folder (`STUDIO_STYLES_DIR`), loaded once at start-up and looked up by name."""

from __future__ import annotations

import tomllib
from pathlib import Path

import msgspec

from server.config import ConfigError
from server.errors import BadRequest, FieldError, echo
from server.styles.schemas import DEFAULT_TYPES, PROMPT, Style, StyleFile

SUFFIX = ".toml"


class StyleError(ConfigError):
    """A style file is broken; the message names the file and the field."""


class StyleRegistry:
    def __init__(self, styles: dict[str, Style]) -> None:
        self._styles = styles

    @classmethod
    def from_folder(cls, folder: Path) -> StyleRegistry:
        """Every `<name>.toml` of `folder`, by name; no folder means no styles (they are optional)."""
        if not folder.is_dir():
            return cls({})
        return cls({path.stem: load_style(path) for path in sorted(folder.glob(f"*{SUFFIX}"))})

    def __iter__(self):
        return iter(self._styles.values())

    def get(self, name: str) -> Style:
        """The style named `name`, or a 400 that lists the ones there are."""
        style = self._styles.get(name)
        if style is None:
            available = ", ".join(self._styles) or "none (the styles folder is empty)"
            raise BadRequest.from_fields([FieldError("style", f"unknown style {echo(name)}; available: {available}")])
        return style


def load_style(path: Path) -> Style:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise StyleError(f"{path}: not valid TOML ({exc})") from None
    params = raw.get("params")
    for name, value in (params.items() if isinstance(params, dict) else ()):
        if not isinstance(value, DEFAULT_TYPES):
            raise StyleError(f"{path}: params.{name}: must be a number, a word or true/false, not {type(value).__name__}")
    try:
        spec = msgspec.convert(raw, StyleFile)
    except msgspec.ValidationError as exc:  # e.g. "Expected 'str', got 'int' - at '$.positive'"
        raise StyleError(f"{path}: {str(exc).replace('`', chr(39))}") from None
    if PROMPT not in spec.positive:
        raise StyleError(f"{path}: positive: the template must contain {PROMPT} (where the user's prompt goes)")
    return Style(name=path.stem, **msgspec.structs.asdict(spec))

