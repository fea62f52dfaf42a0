"""The latest preview image of each running job, one file per job under the data dir."""

from __future__ import annotations

import uuid
from pathlib import Path

from server.storage import LocalStorage

# ComfyUI streams JPEG or PNG previews; WebP is accepted for other publishers.
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
MIME_TYPES = {extension: mime for mime, extension in EXTENSIONS.items()}


def preview_url(job_id: uuid.UUID) -> str:
    return f"/api/jobs/{job_id}/preview"


class PreviewStore:
    def __init__(self, storage: LocalStorage) -> None:
        self.storage = storage

    def save(self, job_id: uuid.UUID, image: bytes, mime: str) -> None:
        """Replace the job's preview (written then renamed, so readers never see half an image)."""
        if mime not in EXTENSIONS:
            raise ValueError(f"Previews must be one of {', '.join(EXTENSIONS)}, not {mime!r}.")
        self.storage.write("previews", f"{job_id}.{EXTENSIONS[mime]}", image)
        for other in EXTENSIONS.values():
            if other != EXTENSIONS[mime]:
                self.storage.delete("previews", f"{job_id}.{other}")

    def find(self, job_id: uuid.UUID) -> tuple[Path, str] | None:
        """The preview file and its mime type, if the job has one."""
        for extension, mime in MIME_TYPES.items():
            path = self.storage.path("previews", f"{job_id}.{extension}")
            if path.is_file():
                return path, mime
        return None

    def discard(self, job_id: uuid.UUID) -> None:
        for extension in MIME_TYPES:
            self.storage.delete("previews", f"{job_id}.{extension}")
