"""The jobs API over HTTP, with Studio's refusals turned into one-sentence ClientErrors."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from server.client.errors import ClientError
from server.jobs.schemas import Job


class StudioClient:
    def __init__(self, base_url: str, *, timeout: float = 30) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout)

    async def __aenter__(self) -> StudioClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._http.aclose()

    async def submit(self, workflow: str, params: dict[str, Any]) -> Job:
        return await self._job("POST", "/api/jobs", json={"workflow": workflow, "params": params})

    async def job(self, job_id: str) -> Job:
        return await self._job("GET", f"/api/jobs/{job_id}")

    async def _job(self, method: str, path: str, **kwargs: Any) -> Job:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ClientError(f"Could not reach Studio at {self.base_url} ({exc or type(exc).__name__}).") from None
        if response.is_success:
            return msgspec.json.decode(response.content, type=Job)
        raise ClientError(_refusal(response), usage=response.is_client_error)


def _refusal(response: httpx.Response) -> str:
    try:
        detail = str(response.json()["detail"])
    except (ValueError, KeyError, TypeError):
        detail = response.text.strip()[:200] or response.reason_phrase
    return detail if response.is_client_error else f"Studio answered {response.status_code}: {detail}"
