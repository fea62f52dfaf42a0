"""`studio sweep`: one job per combination of parameter values, followed live as a grid.

Exit status: 0 every cell finished (or submitted, with --no-wait); 1 a cell failed, or Studio
unreachable; 2 cancelled, or a usage error; 130 interrupted (Ctrl+C).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from contextlib import aclosing

import msgspec
from rich.console import Console

from client.axes import parse_axes
from client.cli import FAILED, FINISHED, USAGE, add_connection_flags, parse_params
from client.errors import ClientError, KeyRefused
from client.events import queue_events
from client.follow import RECONNECT_DELAY, RECONNECTS
from client.http import StudioClient
from client.sweep_display import Display, display_for
from client.sweep_view import SweepView
from server.events.schemas import QueueSnapshot
from server.sweeps.schemas import Sweep

COMMANDS = ("sweep",)
INTERRUPTED = 130


def add_commands(commands: argparse._SubParsersAction) -> None:
    sweep = commands.add_parser(
        "sweep",
        help="submit one job per combination of parameter values and follow them as a grid",
        description="Submit one job per combination of the axes' values: each is the KEY=VALUE parameters (given "
        "right after the workflow) with its axis values laid over them. Prints the sweep's id, follows the cells "
        "live as a grid (. queued, > running, # finished, x failed, - cancelled), then prints the contact sheet's "
        "URL. Values are typed as `studio submit` types them. Ctrl+C stops watching; on a terminal it first asks "
        "whether to cancel the sweep's unfinished jobs. Exit status: 0 all finished, 1 any failed, 2 cancelled, "
        "130 interrupted.",
    )
    sweep.add_argument("workflow", help="workflow name, e.g. text_to_image (GET /api/workflows lists them)")
    sweep.add_argument("params", nargs="*", metavar="KEY=VALUE", help="parameters every cell shares")
    sweep.add_argument(
        "--axis",
        action="append",
        required=True,
        metavar="NAME=V1,V2,...",
        help="a parameter and the values it takes, e.g. cfg=4,6,8 or prompt='[\"a fox, red\", \"a wolf\"]' "
        "(a JSON list for values with commas); up to three: the first down the rows, the second across",
    )
    sweep.add_argument("--style", metavar="NAME", help="apply the prompt style NAME to every cell (GET /api/styles lists them)")
    sweep.add_argument("--no-wait", action="store_true", help="print the sweep's id and return")
    sweep.add_argument(
        "--json",
        action="store_true",
        help="print the sweep as JSON (as GET /api/sweeps/ID gives it) instead of its id and contact sheet URL: "
        "at the end, or at once with --no-wait",
    )
    sweep.add_argument(
        "--cancel-on-interrupt", action="store_true", help="Ctrl+C cancels the sweep's unfinished jobs without asking"
    )
    add_connection_flags(sweep)


def run(args: argparse.Namespace) -> int:
    command = SweepCommand(args)
    try:
        return asyncio.run(command.run())
    except ClientError as exc:
        print(f"studio: {exc}", file=sys.stderr)
        return USAGE if exc.usage else FAILED
    except KeyboardInterrupt:
        return command.interrupted()


class SweepCommand:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.console = Console(stderr=True)
        # Once made: what Ctrl+C may cancel.
        self.view: SweepView | None = None

    async def run(self) -> int:
        args = self.args
        params, axes = parse_params(args.params), parse_axes(args.axis)
        async with StudioClient(args.url, api_key=args.api_key) as studio:

            async def start() -> Sweep:
                sweep = await studio.create_sweep(args.workflow, axes, params, args.style)
                if not args.json:
                    print(sweep.id, flush=True)
                return sweep

            if args.no_wait:
                sweep = await start()
                if args.json:
                    print(msgspec.json.encode(sweep).decode(), flush=True)
                return FINISHED
            display = display_for(self.console)
            try:
                await self._follow(studio, start, display)
            finally:
                display.close()
            return self._end(studio)

    async def _follow(self, studio: StudioClient, start: Callable[[], Awaitable[Sweep]], display: Display) -> None:
        """Make the sweep once the live feed is open (none of its jobs' events is missed), then take in
        events until the sweep has ended and its contact sheet is in. After a dropped feed, the stored
        sweep is read again."""
        failures = 0
        while True:
            try:
                async with aclosing(queue_events(studio.base_url, api_key=studio.api_key)) as messages:
                    async for message in messages:
                        if isinstance(message, QueueSnapshot):
                            self.view = SweepView(await (start() if self.view is None else studio.sweep(self.view.sweep.id)))
                            failures = 0
                        elif self.view is None or not self.view.apply(message):
                            continue
                        display.show(self.view)
                        if self.view.ended and self.view.sweep.contact_sheet_url is not None:
                            return
            except KeyRefused:
                raise
            except ClientError:
                if self.view is None or failures >= RECONNECTS:
                    raise
            failures += 1
            await asyncio.sleep(RECONNECT_DELAY)

    def _end(self, studio: StudioClient) -> int:
        assert self.view is not None
        sweep = self.view.sweep
        if self.args.json:
            print(msgspec.json.encode(sweep).decode(), flush=True)
        else:
            print(f"{studio.base_url}{sweep.contact_sheet_url}", flush=True)
        counts = self.view.counts()
        if counts.get("failed"):
            failed = [f"cell {cell.index} ({_values(cell.values)}): {cell.error}" for cell in sweep.cells if cell.status == "failed"]
            print(f"studio: {counts['failed']} of {len(sweep.cells)} cells failed.", *failed, sep="\n  ", file=sys.stderr)
            return FAILED
        if counts.get("cancelled"):
            print(f"studio: The sweep was cancelled ({self.view.summary()}).", file=sys.stderr)
            return USAGE
        return FINISHED

    def interrupted(self) -> int:
        """Ctrl+C: stop watching; cancel the sweep's unfinished jobs if asked to (--cancel-on-interrupt,
        or yes to the question on a terminal)."""
        view = self.view
        if view is None or view.ended:
            return INTERRUPTED
        cancel = self.args.cancel_on_interrupt or (sys.stdin.isatty() and _ask("Cancel the sweep's unfinished jobs? [y/N] "))
        if not cancel:
            print(f"studio: Stopped watching; the sweep {view.sweep.id} goes on.", file=sys.stderr)
            return INTERRUPTED
        try:
            asyncio.run(_cancel(self.args, view))
        except ClientError as exc:
            print(f"studio: Could not cancel the sweep: {exc}", file=sys.stderr)
            return FAILED
        print(f"studio: Cancelled the sweep {view.sweep.id}'s unfinished jobs.", file=sys.stderr)
        return INTERRUPTED


async def _cancel(args: argparse.Namespace, view: SweepView) -> None:
    async with StudioClient(args.url, api_key=args.api_key) as studio:
        await studio.cancel_sweep(view.sweep.id)


def _ask(question: str) -> bool:
    """Asked on stderr: stdout carries only what scripts read."""
    print(f"\n{question}", end="", file=sys.stderr, flush=True)
    try:
        return sys.stdin.readline().strip().lower() in ("y", "yes")
    except KeyboardInterrupt:
        return False


def _values(values: dict[str, object]) -> str:
    return " ".join(f"{name}={value}" for name, value in values.items())
