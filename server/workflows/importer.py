"""`studio workflows import GRAPH NAME`: a graph saved with ComfyUI's Export (API) becomes
`workflows/NAME/` (the graph and a manifest of the roles found in it, see roles.py).

The same steps serve POST /api/workflows: `plan` checks the graph and builds the manifest,
`write` puts the folder in place and loads it back as the server would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import msgspec

from server.config import Settings
from server.errors import BadRequest, Conflict, Unavailable
from server.workflows.loader import MANIFEST_FILE, WorkflowError, load_workflow
from server.workflows.manifest import Manifest, Workflow
from server.workflows.object_info import ObjectInfo, ObjectInfoError, from_comfy, load_file
from server.workflows.registry import NAME_PATTERN
from server.workflows.roles import RoleError, exposed_param, find_params, free_name

GRAPH_FILE = "workflow.json"


class ImportRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """POST /api/workflows: the graph as Export (API) writes it, and inputs to expose beyond the roles found."""

    name: str
    graph: dict[str, Any]
    expose: list[str] = msgspec.field(default_factory=list)


class ImportRefused(Exception):
    """The graph, the name or an --expose cannot make a workflow; the message says which and why."""


class FolderUnwritable(Exception):
    """The workflows folder cannot be written: the server's setting, not the graph, is at fault."""


class NameTaken(ImportRefused):
    """A workflow of that name exists already."""


def plan(graph: Any, name: str, expose: list[str], info: ObjectInfo, folder: Path) -> Manifest:
    """The manifest for `graph` as workflow `name` in `folder`; ImportRefused otherwise."""
    if not NAME_PATTERN.fullmatch(name):
        raise ImportRefused(
            f"the name {name!r} cannot be a workflow's folder: use letters, digits, '_' and '-' (64 at most)"
        )
    _check_graph(graph, info)
    if (folder / name).exists():
        raise NameTaken(f"a workflow named {name!r} exists already ({folder / name}); pick another name")
    try:
        params = find_params(graph, info)
        for target in expose:
            node_id, input_name = _exposed_input(graph, target, params)
            params[free_name(input_name, params)] = exposed_param(graph, info, node_id, input_name)
    except RoleError as exc:
        raise ImportRefused(str(exc)) from None
    title = name.replace("_", " ").replace("-", " ").capitalize()
    return Manifest(title=title, description="Imported from a ComfyUI graph.", graph=GRAPH_FILE, params=params)


def write(folder: Path, name: str, graph: dict[str, Any], manifest: Manifest) -> Workflow:
    """Writes `folder/name/` whole or not at all (built aside, then renamed into place)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".import-{name}-", dir=folder))
    except OSError as exc:
        raise FolderUnwritable(
            f"the workflows folder {folder} cannot be written ({exc.strerror or exc}): point STUDIO_WORKFLOWS_DIR "
            "at a folder Studio may write (in a container, a volume)"
        ) from None
    try:
        (staging / GRAPH_FILE).write_text(json.dumps(graph, indent=2) + "\n", encoding="utf-8")
        (staging / MANIFEST_FILE).write_bytes(manifest_json(manifest))
        load_workflow(staging)  # what the server will load, checked before it is in place
        if (folder / name).exists():
            raise NameTaken(f"a workflow named {name!r} exists already ({folder / name}); pick another name")
        staging.rename(folder / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return load_workflow(folder / name)


async def import_request(request: ImportRequest, settings: Settings) -> Workflow:
    """POST /api/workflows with the connected ComfyUI's /object_info: 400 refused, 409 the name is taken."""
    try:
        info = await from_comfy(settings.comfy_urls)
    except ObjectInfoError:
        raise Unavailable(
            f"Importing a graph needs ComfyUI's /object_info and no ComfyUI answered ({', '.join(settings.comfy_urls)}); "
            "start it and try again."
        ) from None
    try:
        return await asyncio.to_thread(_import, request, info, Path(settings.workflows_dir))
    except NameTaken as exc:
        raise Conflict(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from None
    except FolderUnwritable as exc:
        raise Unavailable(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from None
    except (ImportRefused, WorkflowError) as exc:
        raise BadRequest(f"The graph cannot be imported: {exc}.") from None


def _import(request: ImportRequest, info: ObjectInfo, folder: Path) -> Workflow:
    return write(folder, request.name, request.graph, plan(request.graph, request.name, request.expose, info, folder))


def manifest_json(manifest: Manifest) -> bytes:
    return msgspec.json.format(msgspec.json.encode(manifest), indent=2) + b"\n"


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        graph = json.loads(Path(args.graph).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"studio: {args.graph} cannot be read as JSON ({exc})", file=sys.stderr)
        return 2
    info = load_file(Path(args.object_info)) if args.object_info else asyncio.run(from_comfy(settings.comfy_urls))
    folder = Path(settings.workflows_dir)
    try:
        manifest = plan(graph, args.name, args.expose, info, folder)
        if args.dry_run:
            sys.stdout.buffer.write(manifest_json(manifest))
            return 0
        workflow = write(folder, args.name, graph, manifest)
    except (ImportRefused, WorkflowError) as exc:
        print(f"studio: {args.graph}: {exc}", file=sys.stderr)
        return 1
    except FolderUnwritable as exc:
        print(f"studio: {exc}.", file=sys.stderr)
        return 2
    print(f"Wrote {folder / args.name}/ ({MANIFEST_FILE}, {GRAPH_FILE}); its parameters:")
    for param_name, param in workflow.manifest.params.items():
        print(f"  {param_name} ({type(param).__name__.removesuffix('Param').lower()}) <- {', '.join(param.bindings())}")
    return 0


def _check_graph(graph: Any, info: ObjectInfo) -> None:
    if isinstance(graph, dict) and "nodes" in graph and "links" in graph:
        raise ImportRefused(
            "this is ComfyUI's UI format (nodes and links); in ComfyUI use Workflow > Export (API) and import that file"
        )
    if not isinstance(graph, dict) or not graph or not all(
        isinstance(node, dict) and isinstance(node.get("class_type"), str) and isinstance(node.get("inputs"), dict)
        for node in graph.values()
    ):
        raise ImportRefused(
            "this is not an API-format graph (an object of nodes, each with class_type and inputs); "
            "in ComfyUI use Workflow > Export (API)"
        )
    for node_id, node in graph.items():
        if info.node(node["class_type"]) is None:
            raise ImportRefused(
                f"node {node_id} ({node['class_type']}): this ComfyUI has no node class {node['class_type']!r} "
                "(a custom node that is not installed?)"
            )
    if not any(info.classes[node["class_type"]].output_node for node in graph.values()):
        raise ImportRefused("the graph has no output node (SaveImage, PreviewImage...), so a job would give nothing")


def _exposed_input(graph: dict[str, Any], target: str, params: dict[str, Any]) -> tuple[str, str]:
    node_id, dot, input_name = target.partition(".")
    if not dot or node_id not in graph:
        raise ImportRefused(f"--expose {target}: the graph has no node {node_id!r} (give NODE.INPUT, e.g. 3.seed)")
    node = graph[node_id]
    if input_name not in node["inputs"]:
        known = ", ".join(node["inputs"]) or "none"
        raise ImportRefused(
            f"--expose {target}: node {node_id} ({node['class_type']}) has no input {input_name!r} (it has: {known})"
        )
    bound = next((name for name, param in params.items() if target in param.bindings()), None)
    if bound is not None:
        raise ImportRefused(f"--expose {target}: it is already the parameter {bound!r}")
    return node_id, input_name
