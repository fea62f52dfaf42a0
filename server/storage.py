"""Where files live: one small interface so an object store can replace the local folder later."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterable
from pathlib import Path
from typing import Literal

Area = Literal["outputs", "uploads", "previews"]


class UnsafePath(Exception):
    """A name that would leave its storage area (`..`, absolute paths, links outward)."""


class LocalStorage:
    """Files under `<data dir>/<area>/`, shared by every host through a volume when scaled out."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def area(self, area: Area) -> Path:
        return self.root / area

    def path(self, area: Area, name: str) -> Path:
        """The file for `name` inside `area`; raises UnsafePath for anything that escapes it."""
        base = self.area(area).resolve()
        if not name or "\x00" in name or os.path.isabs(name):
            raise UnsafePath(name)
        candidate = (base / name).resolve()
        if not candidate.is_relative_to(base) or candidate == base:
            raise UnsafePath(name)
        return candidate

    def write(self, area: Area, name: str, data: bytes) -> Path:
        target, partial = self._partial(area, name)
        partial.write_bytes(data)
        partial.replace(target)
        return target

    async def write_chunks(self, area: Area, name: str, chunks: AsyncIterable[bytes]) -> tuple[Path, int]:
        """Write a file as its chunks arrive, never whole in memory; the file and its size."""
        target, partial = self._partial(area, name)
        size = 0
        try:
            with partial.open("wb") as file:
                async for chunk in chunks:
                    size += file.write(chunk)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(target)
        return target, size

    def _partial(self, area: Area, name: str) -> tuple[Path, Path]:
        """The file for `name` and the one it is written to first: renamed into place once
        complete, so a reader never serves half a file."""
        target = self.path(area, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target, target.with_name(f".{target.name}.part")

    def link(self, area: Area, source: str, name: str) -> Path:
        """`name` as the same file as `source` (a hard link: no bytes copied), or a copy of it
        where the file system cannot link; FileNotFoundError when `source` is gone."""
        target = self.path(area, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(self.path(area, source), target)
        except OSError:  # another file system, or none that links (a missing source fails again here)
            shutil.copyfile(self.path(area, source), target)
        return target

    def delete(self, area: Area, name: str) -> None:
        try:
            self.path(area, name).unlink(missing_ok=True)
        except UnsafePath:
            pass

    def delete_tree(self, area: Area, name: str) -> None:
        try:
            shutil.rmtree(self.path(area, name), ignore_errors=True)
        except UnsafePath:
            pass
