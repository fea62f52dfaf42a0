"""`studio tui`: its flags. The app is imported only when it runs (it asks the terminal what it can draw)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from client.cli import add_connection_flags

COMMANDS = ("tui",)


def add_commands(commands: argparse._SubParsersAction) -> None:
    tui = commands.add_parser(
        "tui",
        help="the terminal UI of a running Studio: live queue, history, job detail, new job, remix",
        description="The terminal UI of a running Studio, local or remote (it only speaks Studio's HTTP and "
        "WebSocket API). Works over SSH and in tmux.",
    )
    add_connection_flags(tui)
    tui.add_argument(
        "--save-dir",
        type=Path,
        metavar="DIR",
        default=Path.cwd(),
        help="where `s` in a job's detail saves its outputs, on this machine (default: the current directory)",
    )


def run(args: argparse.Namespace) -> int:
    # textual-image warns, with a traceback, when a terminal does not tell its cell size; the
    # default size it then assumes is fine for previews.
    logging.getLogger("textual_image").addHandler(logging.NullHandler())
    from tui.app import run as run_app

    return run_app(args.url, args.api_key, args.save_dir)
