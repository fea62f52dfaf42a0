"""The `studio` command: the server's, the client's and the TUI's commands in one argparse tree.

Each side's `cli` module adds its commands (`add_commands`), names them (`COMMANDS`) and runs
them (`run`). The sides are imported only here, when the command line is read, and each imports
what its commands need only when one runs: `studio serve` loads no terminal UI, `studio tui` no
database, and the server package never imports the client or the TUI.
"""

from __future__ import annotations

import argparse
import importlib
from types import ModuleType

# In the order `studio --help` lists their commands.
SIDES = ("server.cli", "server.access.cli", "server.workflows.cli", "client.cli", "client.sweep_cli", "tui.cli")


def build_parser(sides: list[ModuleType]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studio",
        description="Studio: a job studio in front of ComfyUI. Every flag also reads a STUDIO_* variable.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for side in sides:
        side.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    sides = [importlib.import_module(name) for name in SIDES]
    args = build_parser(sides).parse_args(argv)
    side = next(side for side in sides if args.command in side.COMMANDS)
    return side.run(args)
