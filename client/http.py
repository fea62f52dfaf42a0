"""The Studio API over HTTP, with Studio's refusals turned into one-sentence ClientErrors."""

from __future__ import annotations

import asyncio
import mimetypes
import uuid
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import msgspec

from client.errors import ClientError, detail_of, key_refused
from server.access.schemas import ApiKeyInfo, Me
from server.jobs.schemas import Job, JobCreate, JobFilters, JobPage, RemixRequest
from server.models.schemas import FOLDERS, ModelLists
from server.presets.schemas import Preset, PresetCreate
from server.stats.schemas import Stats
from server.styles.schemas import Style
from server.sweeps.schemas import Sweep, SweepCreate, SweepPage
from server.uploads.schemas import UploadInfo
from server.webhooks.schemas import Delivery, DeliveryList, WebhookSecret, WebhookTarget
from server.workflows.schemas import WorkflowInfo

T = TypeVar("T")
JobId = uuid.UUID | str
SweepId = uuid.UUID | str


def auth_headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


class StudioClient:
    def __init__(self, base_url: str, *, timeout: float = 30, api_key: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, headers=auth_headers(api_key))

    async def __aenter__(self) -> StudioClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- jobs ----------------------------------------------------------------------------

    async def submit(self, workflow: str, params: dict[str, Any], style: str | None = None, webhook: str | None = None) -> Job:
        """`webhook`: a URL the job's end is POSTed to, signed (else the key's default, if any)."""
        body = JobCreate(workflow=workflow, params=params, style=style, webhook=WebhookTarget(url=webhook) if webhook else None)
        return await self._call("POST", "/api/jobs", Job, json=msgspec.to_builtins(body))

    async def deliveries(self, job_id: JobId) -> DeliveryList:
        """The job's webhook deliveries: state, attempts, the receiver's last answer."""
        return await self._call("GET", f"/api/jobs/{job_id}/deliveries", DeliveryList)

    async def replay(self, job_id: JobId, delivery_id: str) -> Delivery:
        """Send a delivered or failed delivery of the job again (the same webhook-id)."""
        return await self._call("POST", f"/api/jobs/{job_id}/deliveries/{quote(delivery_id, safe='')}/replay", Delivery)

    async def webhook_secret(self) -> str:
        """The `whsec_` secret your jobs' deliveries are signed with."""
        return (await self._call("GET", "/api/webhooks/secret", WebhookSecret)).secret

    async def job(self, job_id: JobId) -> Job:
        return await self._call("GET", f"/api/jobs/{job_id}", Job)

    async def jobs(self, filters: JobFilters = JobFilters(), *, cursor: str | None = None, limit: int = 50) -> JobPage:
        """One page of history, newest first; pass the page's next_cursor for the next one."""
        query: dict[str, Any] = {"limit": limit, "status": list(filters.statuses)}
        if filters.workflow:
            query["workflow"] = filters.workflow
        if filters.favorite is not None:
            query["favorite"] = "true" if filters.favorite else "false"
        if filters.text:
            query["q"] = filters.text
        if filters.owner:
            query["owner"] = filters.owner  # admins only
        if cursor:
            query["cursor"] = cursor
        return await self._call("GET", "/api/jobs", JobPage, params=query)

    async def cancel(self, job_id: JobId) -> Job:
        return await self._call("POST", f"/api/jobs/{job_id}/cancel", Job)

    async def remix(self, job_id: JobId, params: dict[str, Any], style: str | None | msgspec.UnsetType = msgspec.UNSET) -> Job:
        """A new job from this one's parameters plus `params`; "seed": -1 asks for a new seed. Its
        style is kept unless `style` names another (None: no style)."""
        body = RemixRequest(params=params, style=style)
        return await self._call("POST", f"/api/jobs/{job_id}/remix", Job, json=msgspec.to_builtins(body))

    async def set_favorite(self, job_id: JobId, favorite: bool) -> Job:
        return await self._call("PUT" if favorite else "DELETE", f"/api/jobs/{job_id}/favorite", Job)

    async def delete(self, job_id: JobId) -> None:
        await self._request("DELETE", f"/api/jobs/{job_id}")

    # --- sweeps --------------------------------------------------------------------------

    async def create_sweep(
        self, workflow: str, axes: dict[str, list[Any]], params: dict[str, Any] | None = None, style: str | None = None
    ) -> Sweep:
        """One job per combination of the axes' values, each `params` with its values laid over them."""
        body = SweepCreate(workflow=workflow, axes=axes, params=params or {}, style=style)
        return await self._call("POST", "/api/sweeps", Sweep, json=msgspec.to_builtins(body))

    async def sweep(self, sweep_id: SweepId) -> Sweep:
        return await self._call("GET", f"/api/sweeps/{sweep_id}", Sweep)

    async def sweeps(self, *, cursor: str | None = None, limit: int = 50) -> SweepPage:
        """One page of sweeps, newest first, without their cells; pass the page's next_cursor for the next one."""
        query: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        return await self._call("GET", "/api/sweeps", SweepPage, params=query)

    async def cancel_sweep(self, sweep_id: SweepId) -> Sweep:
        """Cancel the sweep's unfinished jobs; its finished cells stay."""
        return await self._call("POST", f"/api/sweeps/{sweep_id}/cancel", Sweep)

    # --- presets --------------------------------------------------------------------------

    async def presets(self) -> list[Preset]:
        """The caller's presets, by name."""
        return await self._call("GET", "/api/presets", list[Preset])

    async def preset(self, name: str) -> Preset:
        return await self._call("GET", _preset_path(name), Preset)

    async def save_preset(self, request: PresetCreate) -> Preset:
        return await self._call("POST", "/api/presets", Preset, json=msgspec.to_builtins(request))

    async def delete_preset(self, name: str) -> None:
        await self._request("DELETE", _preset_path(name))

    # --- access -----------------------------------------------------------------------------

    async def me(self) -> Me:
        """Who Studio takes this client for: an admin's TUI shows owners."""
        return await self._call("GET", "/api/me", Me)

    async def keys(self) -> list[ApiKeyInfo]:
        """Every API key, revoked ones too (admins only)."""
        return await self._call("GET", "/api/keys", list[ApiKeyInfo])

    # --- stats -----------------------------------------------------------------------------

    async def stats(self) -> Stats:
        """The last hour at a glance: throughput, wait and run times, the queue now, ComfyUI lanes."""
        return await self._call("GET", "/api/stats", Stats)

    # --- workflows, models, files ---------------------------------------------------------

    async def workflows(self) -> list[WorkflowInfo]:
        return await self._call("GET", "/api/workflows", list[WorkflowInfo])

    async def workflow(self, name: str) -> WorkflowInfo:
        return await self._call("GET", f"/api/workflows/{name}", WorkflowInfo)

    async def styles(self) -> list[Style]:
        return await self._call("GET", "/api/styles", list[Style])

    async def models(self) -> dict[str, list[str]]:
        """Model files per ComfyUI folder ("checkpoints", "vae", ...), as a model param's `folder` names them."""
        lists = await self._call("GET", "/api/models", ModelLists)
        return {folder: getattr(lists, field) for field, folder in FOLDERS.items()}

    async def upload(self, path: Path) -> UploadInfo:
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise ClientError(f"Could not read {path}: {exc.strerror or exc}.", usage=True) from None
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return await self._call("POST", "/api/uploads", UploadInfo, files={"file": (path.name, data, content_type)})

    async def fetch(self, url: str) -> bytes:
        """A file Studio serves, e.g. an output's `url` (/outputs/<job id>/<file>)."""
        return (await self._request("GET", url)).content

    # --- plumbing --------------------------------------------------------------------------

    async def _call(self, method: str, path: str, kind: type[T], **kwargs: Any) -> T:
        response = await self._request(method, path, **kwargs)
        try:
            return msgspec.json.decode(response.content, type=kind)
        except msgspec.DecodeError as exc:
            raise ClientError(f"{self.base_url}{path} answered something that is not Studio's ({exc}).") from None

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ClientError(f"Could not reach Studio at {self.base_url} ({exc or type(exc).__name__}).") from None
        if response.is_success:
            return response
        if response.status_code == 401:
            raise key_refused(response.content, self.api_key)
        raise ClientError(_refusal(response), usage=response.is_client_error)


def _refusal(response: httpx.Response) -> str:
    detail = detail_of(response.content) or response.text.strip()[:200] or response.reason_phrase
    return detail if response.is_client_error else f"Studio answered {response.status_code}: {detail}"


def _preset_path(name: str) -> str:
    # A name may hold spaces and dots: one path segment whatever it holds.
    return f"/api/presets/{quote(name, safe='')}"
