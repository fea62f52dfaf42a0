"""HTTP half of the ComfyUI client (one httpx.AsyncClient per ComfyUI server)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import msgspec

from server.comfy.errors import (
    ComfyBadRequest,
    ComfyError,
    ComfyNotFound,
    ComfyRejected,
    ComfyUnavailable,
)
from server.comfy.messages import (
    HistoryEntry,
    PromptAccepted,
    PromptRejected,
    QueueState,
    SystemStats,
    UploadedImage,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

# While ComfyUI streams WebSocket frames its event loop answers HTTP late (up to seconds; recorded
# in tests/data/comfyui/README.md, "Pitfalls seen" 6), so reads get a generous timeout;
# connecting to a dead server should fail fast.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)


class ComfyClient:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, transport=transport)

    async def __aenter__(self) -> ComfyClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def ws_url(self, client_id: str) -> str:
        scheme, rest = self.base_url.split("://", 1)
        ws_scheme = "wss" if scheme == "https" else "ws"
        return f"{ws_scheme}://{rest}/ws?clientId={quote(client_id)}"

    # --- prompts ---------------------------------------------------------------

    async def submit(
        self,
        graph: Mapping[str, Any],
        prompt_id: str,
        client_id: str,
        extra_data: Mapping[str, Any] | None = None,
    ) -> PromptAccepted:
        """Queue an API-format graph under our own prompt_id (so it can be followed first).

        Raises ComfyRejected on 400, and on 200 with node_errors: ComfyUI then runs only the
        valid branches, which is not what was asked, so the prompt is withdrawn first.
        """
        body: dict[str, Any] = {"prompt": graph, "client_id": client_id, "prompt_id": prompt_id}
        if extra_data:
            body["extra_data"] = dict(extra_data)
        resp = await self._request("POST", "/prompt", json=body)
        if resp.status_code == 400:
            raise ComfyRejected.from_body(_decode(resp, PromptRejected))
        accepted = _decode(_checked(resp), PromptAccepted)
        if accepted.node_errors:
            await self._withdraw(accepted.prompt_id)
            raise ComfyRejected(
                "prompt_partially_invalid",
                "Some outputs failed validation",
                accepted.node_errors,
                prompt_id=accepted.prompt_id,
            )
        return accepted

    async def _withdraw(self, prompt_id: str) -> None:
        try:
            await self.delete_pending(prompt_id)
            await self.interrupt(prompt_id)
        except ComfyError as exc:
            log.warning("could not withdraw partially invalid prompt %s: %s", prompt_id, exc)

    async def history(self, prompt_id: str) -> HistoryEntry | None:
        """The finished prompt, or None while pending/running/unknown (ComfyUI answers {})."""
        resp = _checked(await self._request("GET", f"/history/{quote(prompt_id, safe='')}"))
        entries = _decode(resp, dict[str, HistoryEntry])
        return entries.get(prompt_id)

    async def delete_history(self, prompt_id: str) -> None:
        """Forget a finished prompt (always 200), so that its id can be queued afresh."""
        _checked(await self._request("POST", "/history", json={"delete": [prompt_id]}))

    async def queue(self) -> QueueState:
        return _decode(_checked(await self._request("GET", "/queue")), QueueState)

    async def delete_pending(self, prompt_id: str) -> None:
        """Drop a prompt that has not started; no effect on a running one (always 200)."""
        _checked(await self._request("POST", "/queue", json={"delete": [prompt_id]}))

    async def interrupt(self, prompt_id: str) -> None:
        """Stop this prompt if it is running now. Never the global form, which would stop
        whatever runs, another client's prompt included. Ignored (still 200) otherwise."""
        _checked(await self._request("POST", "/interrupt", json={"prompt_id": prompt_id}))

    # --- files -----------------------------------------------------------------

    async def upload_image(
        self,
        data: bytes,
        filename: str,
        subfolder: str | None = None,
        *,
        overwrite: bool = False,
    ) -> UploadedImage:
        """Upload into input/. Use the returned name: ComfyUI renames on a name clash."""
        form = {"type": "input"}
        if subfolder:
            form["subfolder"] = subfolder
        if overwrite:
            form["overwrite"] = "true"
        resp = await self._request(
            "POST", "/upload/image", data=form, files={"image": (filename, data)}
        )
        return _decode(_checked(resp), UploadedImage)

    async def view(self, filename: str, subfolder: str = "", type: str = "output") -> bytes:
        return b"".join([chunk async for chunk in self.stream_view(filename, subfolder, type)])

    async def stream_view(
        self, filename: str, subfolder: str = "", type: str = "output"
    ) -> AsyncIterator[bytes]:
        """The file's bytes in chunks, without holding a big output in memory."""
        params = {"filename": filename, "subfolder": subfolder, "type": type}
        try:
            async with self._http.stream("GET", "/view", params=params) as resp:
                if resp.status_code != 200:
                    await resp.aread()
                    _checked(resp, what=f"file {subfolder}/{filename} ({type})")
                async for chunk in resp.aiter_bytes():
                    yield chunk
        except httpx.TransportError as exc:
            raise ComfyUnavailable(f"GET /view: {exc!r}") from exc

    # --- catalogue and health -------------------------------------------------

    async def models(self, folder: str) -> list[str]:
        """File names in a model folder; ComfyNotFound for a folder ComfyUI does not know."""
        resp = await self._request("GET", f"/models/{quote(folder, safe='')}")
        return _decode(_checked(resp, what=f"model folder {folder!r}"), list[str])

    async def object_info(self) -> dict[str, Any]:
        return _decode(_checked(await self._request("GET", "/object_info")), dict[str, Any])

    async def system_stats(self) -> SystemStats:
        return _decode(_checked(await self._request("GET", "/system_stats")), SystemStats)

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            resp = await self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:  # refused, reset, timeouts
            raise ComfyUnavailable(f"{method} {path}: {exc!r}") from exc
        if resp.status_code >= 500:
            # e.g. 500 text/plain "Server got itself in trouble" for a non-JSON body
            raise ComfyUnavailable(f"{method} {path}: HTTP {resp.status_code} {resp.text[:200]!r}")
        return resp


def _checked(resp: httpx.Response, what: str | None = None) -> httpx.Response:
    status = resp.status_code
    if status >= 500:
        raise ComfyUnavailable(f"{resp.request.method} {resp.request.url.path}: HTTP {status}")
    if status == 404:
        raise ComfyNotFound(f"ComfyUI has no {what or resp.request.url.path}")
    if status >= 400:
        raise ComfyBadRequest(
            f"{resp.request.method} {resp.request.url.path}: HTTP {status} {resp.text[:200]!r}",
            status,
        )
    return resp


def _decode(resp: httpx.Response, type_: type[T]) -> T:
    try:
        return msgspec.json.decode(resp.content, type=type_)
    except msgspec.DecodeError as exc:
        raise ComfyError(f"unexpected {resp.request.url.path} response: {exc}") from exc
