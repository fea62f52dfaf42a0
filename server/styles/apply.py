"""A style applied to a job's parameters: what it sends in place of the user's."""

from __future__ import annotations

from typing import Any

from server.errors import FieldError
from server.styles.schemas import Style
from server.workflows.manifest import TextParam, Workflow

# The workflow parameters a style's templates write to.
POSITIVE, NEGATIVE = "prompt", "negative_prompt"


def styled_params(style: Style | None, workflow: Workflow, submitted: dict[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """The parameters `style` sets for a job of `workflow` submitted with `submitted`: the final
    prompt and negative prompt, and the style's defaults the job did not give. Laid over the
    submitted ones, they are what runs. A blank prompt or a value of the wrong type is left as
    it is, for the parameter check to refuse. No style sets nothing."""
    if style is None:
        return {}, []
    params = workflow.manifest.params
    positive, negative = params.get(POSITIVE), params.get(NEGATIVE)
    if not isinstance(positive, TextParam):
        return {}, [FieldError("style", f"the workflow {workflow.name} has no prompt to style")]
    styled: dict[str, Any] = {
        name: value for name, value in style.params.items() if name in params and submitted.get(name) is None
    }
    prompt = _given(positive, submitted.get(POSITIVE))
    if isinstance(prompt, str) and prompt.strip():
        styled[POSITIVE] = style.positive_prompt(prompt)
    if isinstance(negative, TextParam) and isinstance(text := _given(negative, submitted.get(NEGATIVE)), str):
        styled[NEGATIVE] = style.negative_prompt(text)
    return styled, []


def blamed(style: Style | None, styled: dict[str, Any], errors: list[FieldError]) -> list[FieldError]:
    """The parameter check's refusals, those of a value the style set saying so (the user never
    typed a styled prompt or the style's steps)."""
    if style is None:
        return errors
    return [
        FieldError(error.field, f"as the style {style.name} sets it: {error.message}")
        if error.field.removeprefix("params.") in styled
        else error
        for error in errors
    ]


def own_prompts(workflow: Workflow, submitted: dict[str, Any], styled: dict[str, Any]) -> dict[str, Any]:
    """The user's own text of each prompt parameter that `styled` rewrote (its default if not given)."""
    params = workflow.manifest.params
    return {name: _given(params[name], submitted.get(name)) for name in (POSITIVE, NEGATIVE) if name in styled}


def _given(param: Any, value: Any) -> Any:
    return param.default if value is None else value
