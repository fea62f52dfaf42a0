"""The input/output/temp directories and ComfyUI's path rules for /view, /upload/image and LoadImage.

os.path is used on purpose: the checks mirror ComfyUI's (normpath/commonpath on absolute strings).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

DIR_TYPES = ("input", "output", "temp")


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.abspath(root))
        self.input_dir = self.root / "input"
        self.output_dir = self.root / "output"
        self.temp_dir = self.root / "temp"

    def prepare(self) -> None:
        """Create the directories; like ComfyUI at startup, start with an empty temp dir."""
        shutil.rmtree(self.temp_dir, ignore_errors=True)
        for d in (self.input_dir, self.output_dir, self.temp_dir):
            d.mkdir(parents=True, exist_ok=True)

    def dir_by_type(self, type_: str | None) -> str | None:
        return {"input": str(self.input_dir), "output": str(self.output_dir), "temp": str(self.temp_dir)}.get(
            type_ or ""
        )

    def annotated(self, name: str) -> tuple[str, str | None]:
        """`x.png [output]` -> ("x.png", output dir); no annotation -> (name, None)."""
        for type_ in DIR_TYPES:
            suffix = f"[{type_}]"
            if name.endswith(suffix):
                return name[: -len(suffix) - 1], self.dir_by_type(type_)
        return name, None

    def annotated_path(self, name: str) -> str:
        """Where LoadImage reads `name` from (input dir unless annotated)."""
        name, base = self.annotated(name)
        return os.path.join(base or str(self.input_dir), name)

    def file_hash(self, name: str) -> str:
        # LoadImage.IS_CHANGED: a changed file must invalidate the cache entry.
        path = self.annotated_path(name)
        try:
            return hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError:
            return "missing"

    def view_path(self, query: Mapping[str, str]) -> tuple[int, str | None]:
        """Resolve GET /view parameters to (status, file) exactly like server.py's view_image."""
        if "filename" not in query:
            return 404, None
        filename, base = self.annotated(query["filename"])
        if not filename or filename[0] == "/" or ".." in filename:
            return 400, None
        if base is None:
            base = self.dir_by_type(query.get("type", "output"))
        if base is None:
            return 400, None
        if "subfolder" in query:
            full = os.path.join(base, query["subfolder"])
            if os.path.commonpath((os.path.abspath(full), base)) != base:
                return 403, None
            base = full
        path = os.path.join(base, os.path.basename(filename))
        return (200, path) if os.path.isfile(path) else (404, None)

    def upload(
        self, filename: str, data: bytes, type_: str | None, subfolder: str, overwrite: bool
    ) -> dict[str, str] | int:
        """POST /upload/image: returns the response body or an error status. Content is not checked."""
        type_ = type_ or "input"
        upload_dir = self.dir_by_type(type_)
        if upload_dir is None:
            # The real server hits an UnboundLocalError here.
            raise ValueError(f"unknown upload type {type_!r}")
        if not filename:
            return 400
        folder = os.path.join(upload_dir, os.path.normpath(subfolder))
        path = os.path.abspath(os.path.join(folder, filename))
        if os.path.commonpath((upload_dir, path)) != upload_dir:
            return 400
        os.makedirs(folder, exist_ok=True)
        if not overwrite:
            stem, ext = os.path.splitext(filename)
            i = 1
            while os.path.exists(path):
                if _same_bytes(path, data):  # same name + same bytes -> deduplicated, nothing written
                    return {"name": filename, "subfolder": subfolder, "type": type_}
                filename = f"{stem} ({i}){ext}"
                path = os.path.join(folder, filename)
                i += 1
        Path(path).write_bytes(data)
        return {"name": filename, "subfolder": subfolder, "type": type_}


def _same_bytes(path: str, data: bytes) -> bool:
    try:
        return Path(path).read_bytes() == data
    except OSError:
        return False
