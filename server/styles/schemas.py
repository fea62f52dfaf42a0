"""A prompt style as its file spells it and as GET /api/styles lists it."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.openapi.spec import OpenAPIType, Schema

# The placeholder a positive template puts the user's prompt in.
PROMPT = "{prompt}"
# As long as the jobs.style column allows.
StyleName = Annotated[str, msgspec.Meta(max_length=100)]
# A parameter default a style sets: a number, a word (sampler, scheduler) or a switch.
Default = int | float | str | bool
DEFAULT_TYPES = (int, float, str, bool)
# Documented as one list of types: Litestar's oneOf of integer and number matches every whole
# number twice (a schema violation).
_DEFAULTS_SCHEMA = {"additional_properties": Schema(type=[OpenAPIType.NUMBER, OpenAPIType.STRING, OpenAPIType.BOOLEAN])}
Defaults = Annotated[dict[str, Default], msgspec.Meta(extra_json_schema={"extra": _DEFAULTS_SCHEMA})]


class StyleFile(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One `styles/<name>.toml`."""

    title: str = ""
    description: str = ""
    # The prompt sent: `{prompt}` stands for the user's prompt.
    positive: str = PROMPT
    # Joined before the user's own negative prompt (either may be empty).
    negative: str = ""
    # Defaults of the workflow's parameters (cfg, steps...); the job's own values win, and a
    # workflow without such a parameter ignores it.
    params: Defaults = msgspec.field(default_factory=dict)


class Style(StyleFile, kw_only=True, frozen=True):
    name: str

    def positive_prompt(self, prompt: str) -> str:
        # A plain replace, not str.format: braces in the user's prompt stay as typed.
        return self.positive.replace(PROMPT, prompt)

    def negative_prompt(self, negative: str) -> str:
        return ", ".join(part for part in (self.negative.strip(), negative.strip()) if part)
