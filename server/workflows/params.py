"""Checks submitted parameters against a manifest and fills them into the graph."""

from __future__ import annotations

import math
import secrets
from typing import Any

import msgspec

from server.errors import MAX_LISTED, NUL_MESSAGE, FieldError, echo, clip, has_nul
from server.workflows.manifest import (
    RANDOM_SEED_MAX,
    SEED_MAX,
    AspectRatioParam,
    ChoiceParam,
    ImageParam,
    IntegerParam,
    ModelParam,
    NumberParam,
    Param,
    SeedParam,
    TextParam,
    Workflow,
)
from server.workflows.checker import comfy_choices
from server.workflows.object_info import ObjectInfo


class ResolvedParams(msgspec.Struct, frozen=True):
    """Every parameter with a concrete value: defaults applied, a random seed drawn."""

    values: dict[str, Any]
    # Image parameter -> upload name; the caller checks the uploads exist.
    images: dict[str, str]
    # Unknown parameters past the first MAX_LISTED: counted, not listed.
    unlisted: int = 0


def resolve(workflow: Workflow, submitted: dict[str, Any]) -> tuple[ResolvedParams, list[FieldError]]:
    errors, unlisted = _unknown(workflow, submitted)
    values: dict[str, Any] = {}
    images: dict[str, str] = {}
    for name, param in workflow.manifest.params.items():
        field = f"params.{name}"
        if name not in submitted or submitted[name] is None:
            if isinstance(param, ImageParam) and param.required:
                errors.append(FieldError(field, "an input image is required (upload it with POST /api/uploads)"))
                continue
            if isinstance(param, TextParam) and param.required:
                errors.append(FieldError(field, "is required"))
                continue
            value = None if isinstance(param, ImageParam) else param.default
        else:
            value = submitted[name]
            if problem := _check(param, value):
                errors.append(FieldError(field, problem))
                continue
        if isinstance(param, SeedParam) and value == -1:
            value = secrets.randbelow(RANDOM_SEED_MAX + 1)
        if isinstance(param, ImageParam) and value is not None:
            images[name] = value
        values[name] = value
    return ResolvedParams(values=values, images=images, unlisted=unlisted), errors


def draws_seed(workflow: Workflow, submitted: dict[str, Any]) -> bool:
    """Whether `resolve` draws a random seed for these parameters (-1, given or by default)."""
    return any(
        (param.default if submitted.get(name) is None else submitted[name]) == -1
        for name, param in workflow.manifest.params.items()
        if isinstance(param, SeedParam)
    )


def _unknown(workflow: Workflow, submitted: dict[str, Any]) -> tuple[list[FieldError], int]:
    """Errors for the first MAX_LISTED unknown parameters (the first one says what the workflow
    takes, once) and how many more there are."""
    unknown = [name for name in submitted if name not in workflow.manifest.params]
    takes = f"unknown parameter; {workflow.name} takes: {', '.join(workflow.manifest.params)}"
    errors = [
        FieldError(f"params.{clip(name)}", takes if i == 0 else "unknown parameter")
        for i, name in enumerate(unknown[:MAX_LISTED])
    ]
    return errors, len(unknown) - len(errors)


def with_seed(workflow: Workflow, params: dict[str, Any], seed: int | None) -> dict[str, Any]:
    """`params` with the seed a job actually used in place of a random (-1) one, so a remix or a
    re-run reproduces the image."""
    if seed is None:
        return dict(params)
    return {**params, **{name: seed for name, p in workflow.manifest.params.items() if isinstance(p, SeedParam)}}


def resolve_run(workflow: Workflow, params: dict[str, Any], styled: dict[str, Any], seed: int | None) -> tuple[ResolvedParams, list[FieldError]]:
    """What a job runs with: what its style set over its parameters as submitted, with its seed."""
    return resolve(workflow, with_seed(workflow, {**params, **styled}, seed))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check(param: Param, value: Any) -> str | None:
    """Why `value` is not valid for `param`, or None. The JSON type is checked first, for every
    type: a list or an object where a name belongs is refused, never looked up."""
    if isinstance(value, str) and has_nul(value):
        return NUL_MESSAGE
    match param:
        case TextParam():
            if not isinstance(value, str):
                return "must be a string"
            if param.required and not value.strip():
                return "must not be empty"
            if len(value) > param.max_length:
                return f"is {len(value)} characters long; the limit is {param.max_length}"
        case IntegerParam() | NumberParam():
            return _number_problem(param, value)
        case ChoiceParam() if param.from_comfy():
            # Checked against ComfyUI's list by comfy_choice_errors, when ComfyUI answers.
            if not isinstance(value, str) or not value.strip():
                return "must be a name"
        case ChoiceParam():
            if not isinstance(value, str) or value not in param.choices:
                return f"{echo(value)} is not one of: {', '.join(param.choices)}"
        case AspectRatioParam():
            if not isinstance(value, str) or value not in param.presets:
                return f"{echo(value)} is not one of: {', '.join(param.presets)}"
        case SeedParam():
            if not _is_int(value) or not -1 <= value <= SEED_MAX:
                return f"must be -1 (random) or an integer from 0 to {SEED_MAX}"
        case ModelParam():
            if not isinstance(value, str) or not value.strip():
                return "must be a model file name"
        case ImageParam():
            if not isinstance(value, str) or not value:
                return "must be the name of an upload (from POST /api/uploads)"
    return None


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer past the float range
        return False


def _number_problem(param: IntegerParam | NumberParam, value: Any) -> str | None:
    if isinstance(param, IntegerParam) and not _is_int(value):
        return "must be an integer"
    if not _is_int(value) and not isinstance(value, float):
        return "must be a number"
    if isinstance(param, NumberParam) and not _finite(value):
        return "must be a finite number"
    if param.min is not None and value < param.min:
        return f"must be at least {param.min} (got {echo(value)})"
    if param.max is not None and value > param.max:
        return f"must be at most {param.max} (got {echo(value)})"
    return None


def comfy_choice_params(workflow: Workflow) -> list[str]:
    """The parameters whose choices are ComfyUI's (`"choices": "comfy"`)."""
    return [name for name, p in workflow.manifest.params.items() if isinstance(p, ChoiceParam) and p.from_comfy()]


def comfy_choice_errors(workflow: Workflow, values: dict[str, Any], info: ObjectInfo) -> list[FieldError]:
    """Refuse a value of a `"choices": "comfy"` parameter that this ComfyUI does not offer, naming the ones it does."""
    errors = []
    for name in comfy_choice_params(workflow):
        param = workflow.manifest.params[name]
        offered = comfy_choices(workflow, param, info)  # type: ignore[arg-type]
        if values.get(name) is not None and values[name] not in offered:
            errors.append(FieldError(f"params.{name}", f"{echo(values[name])} is not one of ComfyUI's: {', '.join(offered) or 'none'}"))
    return errors


def fill_graph(workflow: Workflow, values: dict[str, Any]) -> dict[str, Any]:
    """The API-format graph with every parameter written into its bound node inputs."""
    # A deep copy: the graph is JSON, which a round trip copies 6x faster than copy.deepcopy.
    graph: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(workflow.graph))
    for binding, value in bound_values(workflow, values):
        node_id, _, input_name = binding.partition(".")
        graph[node_id]["inputs"][input_name] = value
    return graph


def bound_values(workflow: Workflow, values: dict[str, Any]) -> list[tuple[str, Any]]:
    """("<node id>.<input>", value) for every input the parameters set, in the order fill_graph writes them."""
    writes: list[tuple[str, Any]] = []
    for name, param in workflow.manifest.params.items():
        value = values.get(name)
        if value is None:
            continue
        if isinstance(param, AspectRatioParam):
            width, height = param.presets[value]
            writes += [(binding, width) for binding in param.width] + [(binding, height) for binding in param.height]
        writes += [(binding, value) for binding in param.bind]
    return writes


def dimensions(workflow: Workflow, values: dict[str, Any]) -> tuple[int | None, int | None]:
    """Width and height the job will render at, when an aspect ratio parameter sets them."""
    for name, param in workflow.manifest.params.items():
        if isinstance(param, AspectRatioParam) and values.get(name) in param.presets:
            return param.presets[values[name]]
    return values.get("width"), values.get("height")
