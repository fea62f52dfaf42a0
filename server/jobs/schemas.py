"""Wire types of the jobs API."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Any, Literal

import msgspec

from server.jobs.failures import Failure
from server.styles.schemas import StyleName
from server.webhooks.schemas import WebhookTarget

Status = Literal["queued", "processing", "finished", "failed", "cancelled"]
ACTIVE_STATUSES: tuple[Status, ...] = ("queued", "processing")
TERMINAL_STATUSES: tuple[Status, ...] = ("finished", "failed", "cancelled")

# Paging bounds: a history page, and how far an offset may skip (the databases' OFFSET takes a
# 64-bit integer at most; a billion is far past any history).
PAGE_MAX = 200
OFFSET_MAX = 1_000_000_000
# As long as the jobs.workflow column allows.
WorkflowName = Annotated[str, msgspec.Meta(max_length=100)]


class JobCreate(msgspec.Struct, forbid_unknown_fields=True):
    workflow: WorkflowName
    params: dict[str, Any] = msgspec.field(default_factory=dict)
    # A prompt style (GET /api/styles) applied to the prompt, negative prompt and defaults.
    style: StyleName | None = None
    # false: run it even when a finished job of the same inputs has outputs to reuse.
    reuse: bool = True
    # POST the job's end (and, if asked, its start) there, signed; left out, the key's default.
    webhook: WebhookTarget | None = None


class RemixRequest(msgspec.Struct, forbid_unknown_fields=True):
    # Parameters to change; everything else, the seed included, comes from the original job.
    # Give "seed": -1 for a new random seed.
    params: dict[str, Any] = msgspec.field(default_factory=dict)
    workflow: WorkflowName | None = None
    # Another style, or null for none; left out, the original job's style is kept.
    style: StyleName | None | msgspec.UnsetType = msgspec.UNSET


class Output(msgspec.Struct, kw_only=True):
    # Path under the outputs folder, e.g. "<job id>/fox_00001_.png".
    path: str
    url: str
    filename: str
    node_id: str | None = None
    content_type: str = "image/png"
    width: int | None = None
    height: int | None = None
    size_bytes: int | None = None
    # An image's thumbnail (GET /thumbs/..., a WebP 384 px on its long side), signed like `url`;
    # null for outputs that are not images. Set by the API on what it sends, never stored.
    thumbnail_url: str | None = None


class TextOutput(msgspec.Struct, kw_only=True):
    """Text a node showed in ComfyUI (PreviewAny and the like), e.g. a caption."""

    node_id: str
    text: str


class Job(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    workflow: str
    params: dict[str, Any]
    prompt: str
    negative_prompt: str
    model: str | None
    aspect_ratio: str | None
    width: int | None
    height: int | None
    batch_size: int
    seed: int | None
    steps: int | None
    cfg: float | None
    sampler: str | None
    scheduler: str | None
    denoise: float | None
    status: Status
    progress: int
    error: str | None
    # Why it failed, by kind (its `type`); null unless it failed.
    error_details: Failure | None
    outputs: list[Output]
    texts: list[TextOutput]
    comfy_prompt_id: str | None
    worker: str | None
    # "<worker name> <ComfyUI URL>" of the lane running the job.
    lane: str | None
    # A cancel was asked for while the job ran; its worker is stopping it.
    cancel_requested: bool
    attempts: int
    favorite: bool
    remix_of: uuid.UUID | None
    # The finished job of identical inputs whose outputs this job took (copies) instead of running.
    reused_from: uuid.UUID | None = None
    # The prompt style the job named (`prompt` stays the user's own), and what it set: the final
    # prompt and negative prompt and its defaults, as sent to ComfyUI over `params`.
    style: str | None
    styled_params: dict[str, Any]
    owner: str | None
    # Where the job's events are POSTed (server/webhooks/), or null.
    webhook: WebhookTarget | None = None
    # The sweep (GET /api/sweeps/{id}) the job is a cell of, and its cell's row-major index.
    sweep_id: uuid.UUID | None = None
    sweep_index: int | None = None
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    updated_at: datetime.datetime


class JobPage(msgspec.Struct, kw_only=True):
    items: list[Job]
    # Pass as ?cursor= for the next (older) page; null on the last page.
    next_cursor: str | None
    limit: int


class JobFilters(msgspec.Struct, kw_only=True, frozen=True):
    statuses: tuple[Status, ...] = ()
    workflow: str | None = None
    favorite: bool | None = None
    text: str | None = None
    owner: str | None = None

    def admits(self, job: Job) -> bool:
        """Whether the history query with these filters lists `job` (for live clients)."""
        return (
            (not self.statuses or job.status in self.statuses)
            and (self.workflow is None or job.workflow == self.workflow)
            and (self.favorite is None or job.favorite == self.favorite)
            and (not self.text or self.text.casefold() in job.prompt.casefold())
            and (self.owner is None or job.owner == self.owner)
        )
