"""The model files ComfyUI has, per folder, and its node classes (`/object_info`: the samplers and
schedulers of `"choices": "comfy"`, what `runnable` is checked against), asked from ComfyUI and
cached briefly."""

from __future__ import annotations

import asyncio
import time

from server.comfy import ComfyClient, ComfyError, ComfyNotFound, ComfyUnavailable
from server.workflows.object_info import ObjectInfo, ObjectInfoError, parse

# Long enough to spare ComfyUI a request per submitted job, short enough to see new files soon.
CACHE_SECONDS = 30.0


class ModelCatalog:
    def __init__(self, comfy_urls: list[str], *, cache_seconds: float = CACHE_SECONDS) -> None:
        self.comfy_urls = comfy_urls
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, list[str]]] = {}
        self._clients: dict[str, ComfyClient] = {}
        self._object_info: tuple[float, ObjectInfo] | None = None

    async def files(self, folder: str) -> list[str]:
        """File names in `folder` on the first ComfyUI that answers; raises ComfyUnavailable,
        naming every URL tried, when none does."""
        cached = self._cache.get(folder)
        if cached and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        errors = []
        for url in self.comfy_urls:
            try:
                names = await self._client(url).models(folder)
            except ComfyNotFound:
                names = []
            except ComfyError as exc:
                errors.append(f"{url} ({exc})")
                continue
            self._cache[folder] = (time.monotonic(), names)
            return names
        raise ComfyUnavailable(f"ComfyUI is unreachable: {', '.join(errors)}")

    async def object_info(self) -> ObjectInfo:
        """The first answering ComfyUI's node classes; raises ComfyUnavailable, naming every URL
        tried, when none answers (or none answers with an object info)."""
        cached = self._object_info
        if cached and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        errors = []
        for url in self.comfy_urls:
            try:
                info = parse(await self._client(url).object_info())
            except (ComfyError, ObjectInfoError) as exc:
                errors.append(f"{url} ({exc})")
                continue
            self._object_info = (time.monotonic(), info)
            return info
        raise ComfyUnavailable(f"ComfyUI is unreachable: {', '.join(errors)}")

    async def folders(self, folders: list[str]) -> dict[str, list[str]]:
        lists = await asyncio.gather(*(self.files(folder) for folder in folders))
        return dict(zip(folders, lists))

    def _client(self, url: str) -> ComfyClient:
        if url not in self._clients:
            self._clients[url] = ComfyClient(url, timeout=5.0)
        return self._clients[url]

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
