"""Thumbnails of image outputs: a WebP THUMB_SIZE px on its long side (smaller images keep their
size), made once and kept next to the outputs as `<outputs>/<job id>/.thumbs/<file>.webp`, so
retention removes them with their job's folder and no listing of outputs shows them.

They are made in a small thread pool of this process: by the worker as soon as a job's outputs are
stored (make_soon: the job's finish does not wait), and on demand by GET /thumbs/ for the jobs that
finished before (or on another host whose thumbnail is not made yet). One thumbnail is made once
per process at a time (a second request waits for the first); across processes each writes its own
temporary file and renames it into place, so a reader never sees half a file.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from server.storage import LocalStorage

log = logging.getLogger("studio.thumbs")

THUMB_SIZE = 384
QUALITY = 80
# libwebp's effort (0-6): 2 takes a third of the default 4's time for about 3% more bytes.
METHOD = 2
FOLDER = ".thumbs"
ROUTE = "/thumbs/"
SUFFIX = ".webp"
# Half the cores (two at least): Pillow releases the GIL while it decodes, resizes and encodes, and
# a page of thumbnails for old jobs must not take every core from the API.
_pool = ThreadPoolExecutor(max_workers=max(2, (os.cpu_count() or 2) // 2), thread_name_prefix="studio-thumbs")
_lock = threading.RLock()  # re-entered when a future is done before its callback is added
_making: dict[Path, Future[Path]] = {}


class NotAnImage(Exception):
    """The output is no image Pillow can read (a video, a damaged file)."""


def is_image(content_type: str) -> bool:
    return content_type.startswith("image/")


def thumbnail_url(output_path: str, content_type: str) -> str | None:
    """The plain (unsigned) URL of an output's thumbnail; None for outputs that are not images."""
    return f"{ROUTE}{output_path}{SUFFIX}" if is_image(content_type) else None


def thumbnail_name(output_path: str) -> str:
    """Where the thumbnail of `<job id>/<file>` is kept in the outputs area."""
    job, _, file = output_path.partition("/")
    return f"{job}/{FOLDER}/{file}{SUFFIX}"


def make(storage: LocalStorage, output_path: str) -> Future[Path]:
    """The thumbnail of the output at `output_path` (a name in the outputs area): the file kept
    already, or one made in the pool. The future fails with NotAnImage for an unreadable source.
    Raises UnsafePath for a name outside the outputs area."""
    source = storage.path("outputs", output_path)
    target = storage.path("outputs", thumbnail_name(output_path))
    if target.is_file():
        done: Future[Path] = Future()
        done.set_result(target)
        return done
    with _lock:
        future = _making.get(target)
        if future is None:
            future = _making[target] = _pool.submit(_make, source, target)
            future.add_done_callback(lambda _: _forget(target))
    return future


def make_soon(storage: LocalStorage, outputs: Iterable[tuple[str, str]]) -> None:
    """Start making the thumbnails of a job's image outputs (path, content type) and return at once."""
    for path, content_type in outputs:
        if is_image(content_type):
            make(storage, path).add_done_callback(_log_failure)


def _forget(target: Path) -> None:
    with _lock:
        _making.pop(target, None)


def _log_failure(future: Future[Path]) -> None:
    if (error := future.exception()) is not None:
        log.warning("No thumbnail made: %s", error)


def _make(source: Path, target: Path) -> Path:
    try:
        with Image.open(source) as image:
            image.draft("RGB", (THUMB_SIZE, THUMB_SIZE))  # JPEG: decode at a reduced scale at once
            if image.mode not in ("RGB", "RGBA"):
                alpha = "A" in image.getbands() or "transparency" in image.info
                image = image.convert("RGBA" if alpha else "RGB")
            image.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.Resampling.LANCZOS)
    except FileNotFoundError:
        raise
    except (OSError, ValueError, Image.DecompressionBombError) as exc:  # UnidentifiedImageError is an OSError
        raise NotAnImage(f"{source.name} is not an image Studio can read ({exc})") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
    try:
        image.save(partial, "WEBP", quality=QUALITY, method=METHOD)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target
