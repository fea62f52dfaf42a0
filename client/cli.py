"""`studio submit` and `studio watch`: the jobs API from a shell.

Exit status: 0 finished (or submitted, without --wait); 1 failed, or Studio unreachable;
2 cancelled, or a usage error (bad arguments, a refusal from Studio, an unknown job).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from client.display import display_for
from client.errors import ClientError
from client.files import save_outputs
from client.follow import follow
from client.http import StudioClient
from client.view import JobView
from server.jobs.schemas import Job

COMMANDS = ("submit", "watch")
DEFAULT_URL = "http://127.0.0.1:8000"
FINISHED, FAILED, USAGE = 0, 1, 2
_EXIT = {"finished": FINISHED, "failed": FAILED, "cancelled": USAGE}


def add_commands(commands: argparse._SubParsersAction) -> None:
    submit = commands.add_parser(
        "submit",
        help="submit a job to a running Studio and print its id",
        description="Submit a job and print its id. Values are read as JSON when they parse "
        "(steps=30, cfg=6.5, seed=-1), else as text (prompt=\"a red fox\").",
    )
    submit.add_argument(
        "workflow", nargs="?", help="workflow name, e.g. text_to_image (GET /api/workflows lists them); with --preset, the preset's"
    )
    submit.add_argument("params", nargs="*", metavar="KEY=VALUE", help="parameters of the workflow")
    submit.add_argument(
        "--preset",
        metavar="NAME",
        help="start from your preset NAME (GET /api/presets lists them): its workflow and parameters, KEY=VALUE on top",
    )
    submit.add_argument(
        "--style", metavar="NAME", help="apply the prompt style NAME (GET /api/styles lists them); with --preset, in place of its style"
    )
    submit.add_argument(
        "--webhook", metavar="URL", help="POST the job's end to URL, signed (GET /api/webhooks/secret); default: your key's webhook"
    )
    submit.add_argument("--wait", action="store_true", help="follow the job with a progress bar; print its outputs")
    _save_flag(submit)
    add_connection_flags(submit)
    watch = commands.add_parser(
        "watch",
        help="follow a job with a progress bar until it ends; print its outputs",
        description="Follow a job live until it ends, then print its output URLs (or, with --save, where the "
        "images were saved) and its text outputs. Exit status: 0 finished, 1 failed, 2 cancelled.",
    )
    watch.add_argument("job_id", help="the id `studio submit` printed")
    _save_flag(watch)
    add_connection_flags(watch)


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    """--url and --api-key, for every command that talks to a running Studio."""
    parser.add_argument("--url", default=DEFAULT_URL, help=f"Studio's base URL (default {DEFAULT_URL})")
    parser.add_argument(
        "--api-key",
        metavar="KEY",
        default=os.environ.get("STUDIO_API_KEY"),
        help="your API key, sent as 'Authorization: Bearer KEY' (default $STUDIO_API_KEY); Studio asks for one "
        "once it has keys or listens beyond this machine",
    )


def _save_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--save",
        type=Path,
        metavar="DIR",
        help="once the job finishes, download its images into DIR (never overwriting) and print their paths "
        "instead of their URLs (submit: implies --wait)",
    )


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    try:
        if args.save is not None and not args.save.is_dir():
            raise ClientError(f"--save {args.save}: no such folder.", usage=True)
        return asyncio.run(_run(args, console))
    except ClientError as exc:
        print(f"studio: {exc}", file=sys.stderr)
        return USAGE if exc.usage else FAILED
    except KeyboardInterrupt:
        return 130


async def _run(args: argparse.Namespace, console: Console) -> int:
    async with StudioClient(args.url, api_key=args.api_key) as studio:
        if args.command == "watch":
            return await _watch(studio, args.job_id, args.save, console)
        job = await _submit(studio, args)
        print(job.id, flush=True)
        if args.wait or args.save is not None:
            return await _watch(studio, str(job.id), args.save, console)
        return FINISHED


async def _submit(studio: StudioClient, args: argparse.Namespace) -> Job:
    """The job to submit: the workflow and parameters given, or a preset's with those given on top.
    The preset is read here and its values submitted like typed ones: the job holds them all."""
    workflow, pairs = args.workflow, args.params
    if workflow is not None and "=" in workflow:  # `--preset NAME KEY=VALUE...`: no workflow named
        workflow, pairs = None, [workflow, *pairs]
    if args.preset is None:
        if workflow is None:
            raise ClientError("Name a workflow (e.g. `studio submit text_to_image prompt=\"a fox\"`) or give --preset NAME.", usage=True)
        return await studio.submit(workflow, parse_params(pairs), args.style, args.webhook)
    params = parse_params(pairs)
    preset = await studio.preset(args.preset)
    if workflow is not None and workflow != preset.workflow:
        raise ClientError(f"The preset {args.preset!r} is for the workflow {preset.workflow!r}, not {workflow!r}.", usage=True)
    return await studio.submit(preset.workflow, {**preset.params, **params}, args.style or preset.style, args.webhook)


def parse_params(pairs: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs:
        key, equals, raw = pair.partition("=")
        if not equals or not key:
            raise ClientError(f"{pair!r} is not KEY=VALUE (e.g. steps=30 or prompt=\"a red fox\").", usage=True)
        params[key] = typed(raw)
    return params


def typed(raw: str) -> Any:
    """A value as typed: JSON when it parses (30, 6.5, true, -1), else the text itself."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


async def _watch(studio: StudioClient, job_id: str, save: Path | None, console: Console) -> int:
    view = JobView(job_id=job_id)
    display = display_for(console)
    try:
        async for message in follow(studio.base_url, job_id, api_key=studio.api_key):
            view.apply(message)
            display.show(view)
    finally:
        display.close()
    if view.status == "finished":
        await _print_outputs(studio, view, save)
    elif view.status == "failed":
        print(f"studio: Job {view.job_id} failed: {view.error}", file=sys.stderr)
    else:
        print(f"studio: Job {view.job_id} was cancelled.", file=sys.stderr)
    return _EXIT[view.status]


async def _print_outputs(studio: StudioClient, view: JobView, save: Path | None) -> None:
    """On stdout, one per line: where each image is (its URL, or the path it was saved to), then
    the text outputs."""
    places: list[str | Path] = [f"{studio.base_url}{output.url}" for output in view.outputs]
    if save is not None:
        try:
            places = [*await save_outputs(studio, view.outputs, save)]
        except OSError as exc:
            raise ClientError(f"Could not save the outputs in {save}: {exc}") from None
    for line in [*places, *(shown.text for shown in view.texts)]:
        print(line, flush=True)
