"""Where files live: one small interface so an object store can replace the local folder later."""

from __future__ import annotations

import os
import shutil
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
        target = self.path(area, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a reader never serves half a file.
        partial = target.with_name(f".{target.name}.part")
        partial.write_bytes(data)
        partial.replace(target)
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
