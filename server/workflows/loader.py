"""Reads `workflows/<name>/` folders and refuses any manifest that does not fit its graph."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from server.workflows.manifest import (
    SEED_MAX,
    AspectRatioParam,
    ChoiceParam,
    ImageParam,
    IntegerParam,
    Manifest,
    NumberParam,
    Param,
    SeedParam,
    TextParam,
    Workflow,
)

MANIFEST_FILE = "manifest.json"


class WorkflowError(Exception):
    """A workflow folder is broken; the message names the file and the field."""


def load_workflows(folder: Path) -> dict[str, Workflow]:
    if not folder.is_dir():
        raise WorkflowError(f"Workflows folder {folder} does not exist (set STUDIO_WORKFLOWS_DIR).")
    return {
        path.name: load_workflow(path)
        for path in sorted(folder.iterdir())
        if (path / MANIFEST_FILE).is_file()
    }


def load_workflow(folder: Path) -> Workflow:
    manifest_path = folder / MANIFEST_FILE
    manifest = _decode_manifest(manifest_path)
    graph_path = folder / manifest.graph
    try:
        graph = msgspec.json.decode(graph_path.read_bytes())
    except FileNotFoundError:
        raise WorkflowError(f"{manifest_path}: graph: file {graph_path.name} not found") from None
    except msgspec.DecodeError as exc:
        raise WorkflowError(f"{graph_path}: not valid JSON ({exc})") from None
    if not isinstance(graph, dict) or not all(isinstance(n, dict) and "class_type" in n for n in graph.values()):
        raise WorkflowError(f"{graph_path}: not an API-format graph (use ComfyUI's \"Export (API)\")")
    for name, param in manifest.params.items():
        problem = _check_bindings(param, graph) or _check_default(param)
        if problem:
            raise WorkflowError(f"{manifest_path}: params.{name}.{problem}")
    return Workflow(name=folder.name, manifest=manifest, graph=graph)


def _decode_manifest(path: Path) -> Manifest:
    try:
        raw = msgspec.json.decode(path.read_bytes())
    except msgspec.DecodeError as exc:
        raise WorkflowError(f"{path}: not valid JSON ({exc})") from None
    # Each parameter on its own first, so an error names the parameter, not "params[...]".
    params = raw.get("params") if isinstance(raw, dict) else None
    for name, spec in (params.items() if isinstance(params, dict) else ()):
        _convert(spec, Param, path, f"params.{name}")
    return _convert(raw, Manifest, path, "")


def _convert(value: Any, type_: Any, path: Path, prefix: str) -> Any:
    try:
        return msgspec.convert(value, type_)
    except msgspec.ValidationError as exc:
        reason, _, where = str(exc).partition(" - at `$")
        field = f"{prefix}{where.rstrip('`')}".lstrip(".") or "top level"
        reason = reason.replace("`", "'")
        raise WorkflowError(f"{path}: {field}: {reason}") from None


def _check_bindings(param: Param, graph: dict[str, Any]) -> str | None:
    if not param.bindings():
        return "bind: binds to no node input"
    for binding in param.bindings():
        node_id, dot, input_name = binding.partition(".")
        if not dot:
            return f"bind: {binding!r} is not of the form '<node id>.<input>'"
        if node_id not in graph:
            return f"bind: node {node_id!r} is not in the graph"
        if input_name not in graph[node_id].get("inputs", {}):
            class_type = graph[node_id]["class_type"]
            return f"bind: node {node_id} ({class_type}) has no input {input_name!r}"
    return None


def _check_default(param: Param) -> str | None:
    match param:
        case IntegerParam() | NumberParam():
            if param.min is not None and param.max is not None and param.min > param.max:
                return f"min: {param.min} is above max {param.max}"
            if param.min is not None and param.default < param.min:
                return f"default: {param.default} is below min {param.min}"
            if param.max is not None and param.default > param.max:
                return f"default: {param.default} is above max {param.max}"
        case ChoiceParam() if not param.from_comfy() and param.default not in param.choices:
            return f"default: {param.default!r} is not one of the choices"
        case AspectRatioParam():
            if param.default not in param.presets:
                return f"default: {param.default!r} is not one of the presets"
            if not param.width or not param.height:
                return "width: an aspect ratio binds both width and height"
        case SeedParam() if not -1 <= param.default <= SEED_MAX:
            return f"default: {param.default} is not -1 (random) or 0..{SEED_MAX}"
        case TextParam() if len(param.default) > param.max_length:
            return f"default: longer than max_length {param.max_length}"
        case ImageParam():
            pass
    return None
