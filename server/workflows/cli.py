"""`studio workflows import | check`: bring a ComfyUI graph in as a workflow, and check every
workflow against what a ComfyUI has (`/object_info`, asked from ComfyUI or read from a file).

No server needs to run; both work on the workflows folder. Each action lives in its own module
(server/workflows/importer.py, server/workflows/checker.py), imported when it runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from server.cli import FLAG_HELP
from server.config import FLAGS, ConfigError, load_settings
from server.workflows.object_info import ObjectInfoError

COMMANDS = ("workflows",)
SETTINGS = ("workflows_dir", "comfy_urls")
OBJECT_INFO_HELP = "ComfyUI's /object_info saved to a file, to work offline (default: ask the configured ComfyUI)"
# The module that runs each action: a `run(args, settings) -> int`.
ACTIONS = {"import": "server.workflows.importer", "check": "server.workflows.checker"}


def add_commands(commands: argparse._SubParsersAction) -> None:
    workflows = commands.add_parser(
        "workflows",
        help="import a ComfyUI graph as a workflow, check workflows against ComfyUI",
        description="Workflows are folders in the workflows folder: a ComfyUI graph in API format and a manifest "
        "naming its parameters. These commands write and check them; no server needs to run.",
    )
    actions = workflows.add_subparsers(dest="action", required=True, metavar="ACTION")
    imported = actions.add_parser(
        "import",
        help="make a workflow of a graph saved with ComfyUI's Export (API)",
        description="Write WORKFLOWS_DIR/NAME/ with the graph and a manifest generated from it: the prompts, seed, "
        "steps, cfg, sampler, scheduler, denoise, models, size and input images it finds, typed and limited as "
        "ComfyUI's /object_info says.",
    )
    imported.add_argument("graph", metavar="GRAPH", help="the graph, as ComfyUI's Export (API) writes it (a .json file)")
    imported.add_argument("name", metavar="NAME", help="the workflow's name: its folder, and what jobs name")
    imported.add_argument(
        "--expose", action="append", default=[], metavar="NODE.INPUT",
        help="make another node input a parameter too (repeat for several)",
    )
    imported.add_argument("--dry-run", action="store_true", help="print the manifest and write nothing")
    checked = actions.add_parser(
        "check",
        help="check every workflow against ComfyUI's node classes and choices",
        description="Report each workflow input that ComfyUI does not have, a choice it does not offer, a limit "
        "beyond its own, and a node class it lacks (a custom node not installed there).",
    )
    for parser in (imported, checked):
        parser.add_argument("--object-info", metavar="FILE", help=OBJECT_INFO_HELP)
        for field in SETTINGS:
            action = "append" if field == "comfy_urls" else "store"
            parser.add_argument(FLAGS[field], dest=field, action=action, help=FLAG_HELP[field])


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(overrides={field: getattr(args, field) for field in SETTINGS}, flags=SETTINGS)
        return importlib.import_module(ACTIONS[args.action]).run(args, settings)
    except (ConfigError, ObjectInfoError) as exc:
        print(f"studio: {exc}", file=sys.stderr)
        return 2
