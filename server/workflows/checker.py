"""Workflows against what a ComfyUI has (`/object_info`): `studio workflows check`, the start-up
warnings and the `runnable` mark of GET /api/workflows all ask `check_workflow`.

A problem stops the workflow from running as its manifest says: a node class ComfyUI lacks (a
custom node not installed there), a bound input its class does not take, a choice it does not
offer, a limit beyond its own. A model file ComfyUI lacks is only a warning: models come and go
with the files, and a job may name another one (jobs are refused with the list, like any model).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from pathlib import Path
from typing import Any, Literal

import msgspec

from server.comfy import ComfyUnavailable
from server.config import Settings
from server.workflows.loader import MANIFEST_FILE, WorkflowError, load_workflow
from server.workflows.manifest import (
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
from server.workflows.object_info import InputSpec, ObjectInfo, from_comfy, load_file

log = logging.getLogger(__name__)


class Problem(msgspec.Struct, kw_only=True, frozen=True):
    workflow: str
    field: str
    reason: str
    # "warning": the workflow runs, but not with its defaults as they are (a model file ComfyUI lacks).
    severity: Literal["problem", "warning"] = "problem"

    def sentence(self) -> str:
        return f"{self.field}: {self.reason}"


def check_workflow(workflow: Workflow, info: ObjectInfo) -> list[Problem]:
    problems = [
        Problem(
            workflow=workflow.name,
            field=f"graph.{node_id}",
            reason=f"node class {node['class_type']!r} is not on this ComfyUI (a custom node not installed there?)",
        )
        for node_id, node in workflow.graph.items()
        if info.node(node["class_type"]) is None
    ]
    for name, param in workflow.manifest.params.items():
        for field, reason, severity in _param_problems(workflow, param, info):
            problems.append(Problem(workflow=workflow.name, field=f"params.{name}.{field}", reason=reason, severity=severity))
    return problems


def bound_input(workflow: Workflow, binding: str, info: ObjectInfo) -> InputSpec | None:
    """What ComfyUI says of the input a binding names; None when its node class or input is unknown."""
    node_id, _, input_name = binding.partition(".")
    node_class = info.node(workflow.graph[node_id]["class_type"])
    return node_class.inputs.get(input_name) if node_class else None


def comfy_choices(workflow: Workflow, param: ChoiceParam, info: ObjectInfo) -> list[str]:
    """The choices every input the parameter binds offers on this ComfyUI, in ComfyUI's order."""
    offered: list[str] | None = None
    for binding in param.bind:
        spec = bound_input(workflow, binding, info)
        choices = list(spec.choices) if spec else []
        offered = choices if offered is None else [choice for choice in offered if choice in choices]
    return offered or []


_Found = tuple[str, str, Literal["problem", "warning"]]


def _param_problems(workflow: Workflow, param: Param, info: ObjectInfo) -> list[_Found]:
    found: list[_Found] = []
    for binding in param.bindings():
        node_id, _, input_name = binding.partition(".")
        class_type = workflow.graph[node_id]["class_type"]
        node_class = info.node(class_type)
        if node_class is None:
            continue  # named once, as a graph problem
        spec = node_class.inputs.get(input_name)
        where = f"node {node_id} ({class_type})"
        if spec is None:
            takes = ", ".join(name for name, s in node_class.inputs.items() if s.kind != "LINK") or "no values"
            found.append(("bind", f"{where} has no input {input_name!r} on this ComfyUI; it takes: {takes}", "problem"))
        elif spec.kind == "LINK":
            found.append(("bind", f"{where} input {input_name!r} takes a {spec.link_type} from another node, not a value", "problem"))
        else:
            found += _value_problems(param, binding, spec, where)
    return found


_KINDS: dict[type, tuple[str, ...]] = {
    TextParam: ("STRING",),
    IntegerParam: ("INT", "FLOAT"),
    NumberParam: ("FLOAT",),
    SeedParam: ("INT",),
    ChoiceParam: ("COMBO",),
    ModelParam: ("COMBO",),
    ImageParam: ("COMBO", "STRING"),
}


def _value_problems(param: Param, binding: str, spec: InputSpec, where: str) -> list[_Found]:
    input_name = binding.partition(".")[2]
    if isinstance(param, AspectRatioParam):
        if binding in param.bind:  # the preset's name itself, rarely bound
            return [] if spec.kind in ("STRING", "COMBO") else [("bind", f"{where} input {input_name!r} is {spec.kind}, not a name", "problem")]
        axis = 0 if binding in param.width else 1
        sizes = sorted({size[axis] for size in param.presets.values()})
        return _limits(spec, "presets", sizes[0], sizes[-1], where, input_name)
    kinds = _KINDS[type(param)]
    if spec.kind not in kinds:
        return [("bind", f"{where} input {input_name!r} is {spec.kind}; a {_tag(param)} parameter needs {' or '.join(kinds)}", "problem")]
    match param:
        case ChoiceParam() if param.from_comfy():
            if param.default not in spec.choices:
                return [("default", f"{param.default!r} is not among {where} {input_name!r} choices: {_listed(spec.choices)}", "problem")]
        case ChoiceParam():
            missing = [choice for choice in param.choices if choice not in spec.choices]  # type: ignore[union-attr]
            if missing:
                return [("choices", f"{_listed(missing)} not offered by {where} {input_name!r}; it offers: {_listed(spec.choices)}", "problem")]
        case ModelParam() if param.default not in spec.choices:
            return [("default", f"model {param.default!r} is not in this ComfyUI's {param.folder} (it has: {_listed(spec.choices) or 'none'}); jobs must name one it has", "warning")]
        case IntegerParam() | NumberParam():
            return _limits(spec, "min", param.min, None, where, input_name) + _limits(spec, "max", None, param.max, where, input_name)
        case SeedParam() if spec.max is not None and spec.max < SEED_MAX:
            return [("bind", f"{where} input {input_name!r} takes seeds up to {spec.max:g}, below Studio's {SEED_MAX}", "problem")]
    return []


def _limits(spec: InputSpec, field: str, low: float | None, high: float | None, where: str, input_name: str) -> list[_Found]:
    found: list[_Found] = []
    if low is not None and spec.min is not None and low < spec.min:
        found.append((field, f"{low:g} is below the minimum of {where} {input_name!r}, {spec.min:g}", "problem"))
    if high is not None and spec.max is not None and high > spec.max:
        found.append((field, f"{high:g} is above the maximum of {where} {input_name!r}, {spec.max:g}", "problem"))
    return found


def _tag(param: Param) -> str:
    return msgspec.inspect.type_info(type(param)).tag  # type: ignore[attr-defined]


def _listed(names: Any) -> str:
    return ", ".join(repr(name) for name in names)


class FileProblem(msgspec.Struct, kw_only=True, frozen=True):
    file: Path
    problem: Problem


def check_folder(folder: Path, info: ObjectInfo) -> list[FileProblem]:
    """Every workflow folder's problems; a folder that does not load is one problem of its own."""
    found = []
    for path in sorted(folder.iterdir()):
        manifest = path / MANIFEST_FILE
        if not manifest.is_file():
            continue
        try:
            workflow = load_workflow(path)
        except WorkflowError as exc:
            message = str(exc).removeprefix(f"{manifest}: ")
            field, _, reason = message.partition(": ")
            found.append(FileProblem(file=manifest, problem=Problem(workflow=path.name, field=field, reason=reason)))
            continue
        found += [FileProblem(file=manifest, problem=p) for p in check_workflow(workflow, info)]
    return found


def run(args: argparse.Namespace, settings: Settings) -> int:
    folder = Path(settings.workflows_dir)
    if not folder.is_dir():
        print(f"studio: workflows folder {folder} does not exist (set --workflows-dir).", file=sys.stderr)
        return 2
    info = load_file(Path(args.object_info)) if args.object_info else asyncio.run(from_comfy(settings.comfy_urls))
    found = check_folder(folder, info)
    for item in found:
        label = "warning: " if item.problem.severity == "warning" else ""
        print(f"{item.file}: {item.problem.field}: {label}{item.problem.reason}")
    problems = sum(item.problem.severity == "problem" for item in found)
    warnings = len(found) - problems
    print(f"{problems} problem(s), {warnings} warning(s) (models ComfyUI lacks are warnings)", file=sys.stderr)
    return 1 if problems else 0


def startup_check(
    workflows: Iterable[Workflow], object_info: Callable[[], Awaitable[ObjectInfo]]
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A lifespan that logs each workflow's problems once ComfyUI answers, in the background:
    start-up never waits for ComfyUI, and an unreachable one is only noted."""

    async def log_problems() -> None:
        try:
            info = await object_info()
        except ComfyUnavailable as exc:
            log.info("workflows not checked against ComfyUI (%s); `studio workflows check` does it later", exc)
            return
        for workflow in workflows:
            for problem in check_workflow(workflow, info):
                label = "warning: " if problem.severity == "warning" else "cannot run on this ComfyUI: "
                log.warning("workflow %s: %s%s", workflow.name, label, problem.sentence())

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        task = asyncio.create_task(log_problems())
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    return lifespan
