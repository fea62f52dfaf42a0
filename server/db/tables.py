"""Piccolo tables. Job rows are the truth: queues and channels only carry job ids and events."""

from __future__ import annotations

import uuid

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Boolean,
    DoublePrecision,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from server.clock import utc_now


class Job(Table, tablename="jobs"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    workflow = Varchar(length=100)
    # The parameters as submitted (a random seed stays -1 here; `seed` holds the resolved one).
    params = JSON(default="{}")
    prompt = Text(default="")
    negative_prompt = Text(default="")
    model = Varchar(length=255, null=True, default=None)
    aspect_ratio = Varchar(length=20, null=True, default=None)
    width = Integer(null=True, default=None)
    height = Integer(null=True, default=None)
    batch_size = Integer(default=1)
    seed = BigInt(null=True, default=None)
    steps = Integer(null=True, default=None)
    cfg = DoublePrecision(null=True, default=None)
    sampler = Varchar(length=64, null=True, default=None)
    scheduler = Varchar(length=64, null=True, default=None)
    denoise = DoublePrecision(null=True, default=None)
    status = Varchar(length=16, default="queued")
    progress = Integer(default=0)
    error = Text(null=True, default=None)
    error_details = JSON(null=True, default=None)
    outputs = JSON(default="[]")
    # Text outputs: [{"node_id", "text"}].
    texts = JSON(default="[]")
    comfy_prompt_id = Varchar(length=64, null=True, default=None)
    # The process running the job (owns the lease) and the lane it runs on: "<worker name> <ComfyUI URL>".
    # The lane outlives the process, so a restarted worker can re-attach to its own jobs.
    worker = Varchar(length=255, null=True, default=None)
    lane = Varchar(length=500, null=True, default=None)
    lease_expires_at = Timestamptz(null=True, default=None)
    cancel_requested = Boolean(default=False)
    # When a queue message was last sent; queued jobs are sent again after a while in case the
    # broker lost the message (the in-memory broker forgets on restart, Redis may be flushed).
    enqueued_at = Timestamptz(null=True, default=None)
    attempts = Integer(default=0)
    favorite = Boolean(default=False)
    remix_of = UUID(null=True, default=None)
    # sha256 of the filled graph with image inputs as the sha256 of their bytes (server/jobs/reuse.py),
    # and the finished job whose outputs this one took instead of running.
    reuse_key = Varchar(length=64, null=True, default=None, index=True)
    reused_from = UUID(null=True, default=None)
    # The prompt style the job named, and the parameters it set (the final prompt among them),
    # which run laid over `params` (server/styles/apply.py).
    style = Varchar(length=100, null=True, default=None)
    styled_params = JSON(default="{}")
    # Where the job's webhook deliveries go: {"url", "events"} (server/webhooks/), from the
    # request or its key's default; null for none.
    webhook = JSON(null=True, default=None)
    # The sweep the job is a cell of (server/sweeps/), and its cell: the row-major index into
    # the sweep's grid of axis values.
    sweep_id = UUID(null=True, default=None, index=True)
    sweep_index = Integer(null=True, default=None)
    # The name of the API key that submitted the job (null while Studio runs open, without keys).
    owner = Varchar(length=255, null=True, default=None)
    # The owner's key priority when submitted: higher runs first (server/jobs/fair_queue.py).
    priority = Integer(default=0)
    created_at = Timestamptz(default=utc_now)
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=utc_now, auto_update=utc_now)
    is_deleted = Boolean(default=False)


class Upload(Table, tablename="uploads"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    # The stored file name, used as the value of an image parameter.
    name = Varchar(length=100, unique=True)
    original_name = Varchar(length=255, default="")
    content_type = Varchar(length=50, default="image/png")
    width = Integer()
    height = Integer()
    size_bytes = BigInt()
    sha256 = Varchar(length=64)
    owner = Varchar(length=255, null=True, default=None)
    created_at = Timestamptz(default=utc_now)
    is_deleted = Boolean(default=False)


class ApiKey(Table, tablename="api_keys"):
    """An API key. Only a keyed hash of the secret is stored; `prefix` finds the row and is shown."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    # Owns what the key makes (jobs.owner, uploads.owner); a revoked key's name may be given to a
    # new key, which then owns that history (how a key is rotated).
    name = Varchar(length=64)
    role = Varchar(length=16, default="user")
    prefix = Varchar(length=16, unique=True)
    salt = Varchar(length=32)
    key_hash = Varchar(length=64)
    created_at = Timestamptz(default=utc_now)
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    # Limits; null means none.
    max_queued = Integer(null=True, default=None)
    submits_per_minute = Integer(null=True, default=None)
    gpu_minutes_per_day = Integer(null=True, default=None)
    upload_bytes = BigInt(null=True, default=None)
    priority = Integer(default=0)
    # Webhooks (server/webhooks/): where the key's jobs POST their end when a submit names no
    # webhook, and the `whsec_` secret its deliveries are signed with (null: the server's).
    webhook_url = Varchar(length=2000, null=True, default=None)
    webhook_secret = Varchar(length=100, null=True, default=None)


class Preset(Table, tablename="presets"):
    """A named set of a workflow's parameters, its owner's to start jobs from."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    # The key name that saved it; "" while Studio runs open (NULL would let names repeat: unique
    # indexes treat NULLs as distinct). Unique with `name` (index presets_owner_name, made by its
    # migration). Deleting a preset removes its row: a name is taken only by a preset that exists.
    owner = Varchar(length=255, default="")
    name = Varchar(length=100)
    workflow = Varchar(length=100)
    params = JSON(default="{}")
    # The prompt style (server/styles/) jobs started from it name.
    style = Varchar(length=100, null=True, default=None)
    created_at = Timestamptz(default=utc_now)


class Session(Table, tablename="sessions"):
    """A browser signed in with an API key (server/access/sessions.py): its cookie, kept as a hash.
    A rotated cookie is a new row with the same csrf_token, which names the sign-in as a whole."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    key_id = UUID(index=True)
    token_hash = Varchar(length=64, unique=True)
    csrf_token = Varchar(length=64, index=True)
    created_at = Timestamptz(default=utc_now)
    last_seen_at = Timestamptz(default=utc_now)
    expires_at = Timestamptz(default=utc_now)
    revoked_at = Timestamptz(null=True, default=None)


class Sweep(Table, tablename="sweeps"):
    """A grid of jobs over one to three parameters (server/sweeps/); its cells are the jobs whose
    sweep_id is this id."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    # The key name that made it (null while Studio runs open).
    owner = Varchar(length=255, null=True, default=None)
    workflow = Varchar(length=100)
    # What every cell shares, as submitted; each cell's axis values are laid over them.
    params = JSON(default="{}")
    style = Varchar(length=100, null=True, default=None)
    # The axes in order: [{"name", "values"}].
    axes = JSON(default="[]")
    total = Integer(default=0)
    # Cells whose job has ended, as last counted: only a recount that moves it publishes progress.
    ended = Integer(default=0)
    cancel_requested = Boolean(default=False)
    # The contact sheet under the outputs folder, once made; claimed_at: when a process took on making it.
    sheet_path = Varchar(length=255, null=True, default=None)
    sheet_claimed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=utc_now, index=True)
    finished_at = Timestamptz(null=True, default=None)
    is_deleted = Boolean(default=False)


class WebhookDelivery(Table, tablename="webhook_deliveries"):
    """One event of one job on its way to the job's webhook, made with the job at submit; due once
    the job reaches the event (server/webhooks/repository.py). Unique per (job_id, event)."""

    # The `webhook-id` header, `msg_<hex>`: the same on every attempt.
    id = Varchar(length=40, primary_key=True)
    job_id = UUID()  # indexed by the unique (job_id, event) index
    event = Varchar(length=20)
    url = Varchar(length=2000)
    owner = Varchar(length=255, null=True, default=None)
    # The JSON sent, frozen at the first attempt: every retry sends the same bytes.
    body = Text(null=True, default=None)
    attempts = Integer(default=0)
    # Not before then (null: as soon as the job reaches the event); a process sending it holds
    # it until claimed_until, so two never send it at once.
    next_try_at = Timestamptz(null=True, default=None)
    claimed_until = Timestamptz(null=True, default=None)
    first_try_at = Timestamptz(null=True, default=None)
    last_status = Integer(null=True, default=None)
    last_error = Text(null=True, default=None)
    created_at = Timestamptz(default=utc_now)
    delivered_at = Timestamptz(null=True, default=None)
    failed_at = Timestamptz(null=True, default=None)
