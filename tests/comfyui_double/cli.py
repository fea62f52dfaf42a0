"""`python -m tests.comfyui_double`: run the double on its own (benchmarks, manual use)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

import msgspec

from .double import ComfyDouble
from .settings import DEFAULT_FAIL_VALUE, DoubleSettings, parse_model_spec


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m tests.comfyui_double",
        description="A fake ComfyUI 0.3.64 (HTTP + WebSocket) that behaves like the recorded one.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8188, help="port (default 8188, 0 = any free port)")
    p.add_argument("--data-dir", type=Path, help="root of input/ output/ temp/ (default: a temp dir, removed at exit)")
    p.add_argument("--settings", type=Path, help="JSON file with DoubleSettings fields; flags below override it")
    p.add_argument("--node-seconds", type=float, help="simulated seconds per executed node (default 0.02)")
    p.add_argument(
        "--step-seconds",
        "--steps-seconds",
        dest="step_seconds",
        type=float,
        help="simulated seconds per progress step of samplers etc. (default 0.01)",
    )
    p.add_argument("--job-seconds", type=float, help="spread this many seconds over each prompt's nodes")
    p.add_argument(
        "--class-seconds",
        action="append",
        default=[],
        metavar="CLASS=SECONDS",
        help="per-class node time, e.g. KSampler=2.5 (repeatable)",
    )
    p.add_argument(
        "--models",
        action="append",
        default=[],
        metavar="FOLDER=a,b",
        help="model files of a folder, e.g. checkpoints=a.safetensors,b.safetensors (repeatable)",
    )
    p.add_argument("--preview-method", choices=["none", "auto"], help="sampler previews (default none, like ComfyUI)")
    p.add_argument("--fail-class-types", metavar="A,B", help="class_types that fail at run time")
    p.add_argument("--fail-value", help=f"input value that makes a node fail (default {DEFAULT_FAIL_VALUE})")
    p.add_argument("--no-origin-check", action="store_true", help="accept any Origin header")
    return p.parse_args(argv)


def settings_from(args: argparse.Namespace) -> DoubleSettings:
    base = msgspec.json.decode(args.settings.read_bytes(), type=DoubleSettings) if args.settings else DoubleSettings()
    fields = msgspec.structs.asdict(base)
    for name in ("node_seconds", "step_seconds", "job_seconds", "preview_method", "fail_value"):
        if getattr(args, name) is not None:
            fields[name] = getattr(args, name)
    if args.fail_class_types:
        fields["fail_class_types"] = [c.strip() for c in args.fail_class_types.split(",") if c.strip()]
    if args.no_origin_check:
        fields["origin_check"] = False
    for spec in args.class_seconds:
        name, _, seconds = spec.partition("=")
        fields["class_seconds"] = {**fields["class_seconds"], name: float(seconds)}
    models = {folder: list(files) for folder, files in fields["models"].items()}
    for spec in args.models:
        folder, files = parse_model_spec(spec)
        models.setdefault(folder, []).extend(files)
    fields["models"] = models
    return DoubleSettings(**fields)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    double = ComfyDouble(settings_from(args), host=args.host, port=args.port, data_dir=args.data_dir)
    stop = threading.Event()
    # ComfyUI drops its sockets without a close frame on SIGTERM and SIGINT too (capture 16).
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    double.start()
    print(f"ComfyUI double listening on {double.url} (data in {double.files.root})", flush=True)
    stop.wait()
    double.kill()
    double.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
