"""The dispatcher: every `studio serve` process (API hosts too) sends the due webhook deliveries.

It looks for due deliveries when its event feed says a job started or ended (any process's job:
the feed carries every worker's events) and every second besides, claims what it has room for
and sends each on a task of its own: at most MAX_IN_FLIGHT at once, each bounded by
STUDIO_WEBHOOK_TIMEOUT, so a slow receiver holds one slot, never a job or another delivery.
A failed attempt is tried again after an exponential backoff with jitter, until
STUDIO_WEBHOOK_RETRY_FOR after the first attempt. Jobs never wait for any of this: their
deliveries were stored with them at submit (server/webhooks/repository.py).
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import random
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress

import httpx
import msgspec
from litestar import Litestar

from server.access.links import LinkSigner
from server.clock import utc_now
from server.config import Settings
from server.events.fanout import Fanout
from server.events.schemas import Event, is_terminal
from server.jobs import repository as jobs
from server.jobs.events import JobStatus
from server.jobs.schemas import Job
from server.jobs.signed import signed_job
from server.webhooks import repository, safety, signing
from server.webhooks.repository import Stored

log = logging.getLogger("studio.webhooks")

MAX_IN_FLIGHT = 16
POLL_SECONDS = 1.0
COALESCE_SECONDS = 0.02
# The longest wait between two attempts, however many failed.
MAX_WAIT_SECONDS = 3600.0
# A claim outlives the attempt's timeout by this much; a process that died mid-send loses it then.
CLAIM_MARGIN_SECONDS = 30.0
# Moot and due deliveries looked at per look.
LOOK = 100
USER_AGENT = "Studio-Webhooks/1 (+https://www.standardwebhooks.com)"


class Payload(msgspec.Struct):
    """What a receiver is POSTed: the event, when it happened, and the job as GET /api/jobs/{id} gives it."""

    type: str
    timestamp: datetime.datetime
    data: Job


class Dispatcher:
    def __init__(self, settings: Settings, links: LinkSigner, fanout: Fanout) -> None:
        """Raises ConfigError when the server's secret can neither be read nor made."""
        self.settings = settings
        self.links = links
        self.allowed = safety.Allowed(settings.webhook_allow)
        self.base_url = public_url(settings)
        self.server_secret = signing.server_secret(settings)
        self._wake = asyncio.Event()
        self._sending: dict[str, asyncio.Task[None]] = {}
        self._starting: set[uuid.UUID] = set()  # jobs whose job.processing is on its way
        self._http: httpx.AsyncClient | None = None
        fanout.listen(self._on_event)

    def wake(self) -> None:
        """Look for due deliveries now (a replay made one due)."""
        self._wake.set()

    def _on_event(self, event: Event) -> None:
        if (isinstance(event, JobStatus) and event.status == "processing") or is_terminal(event):
            self._wake.set()

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            self._wake.clear()
            room = MAX_IN_FLIGHT - len(self._sending)
            if room > 0:
                try:
                    await self._take(room)
                except Exception:
                    log.exception("could not look for due webhook deliveries; looking again in %.0f s", POLL_SECONDS)
            with suppress(TimeoutError):
                await asyncio.wait_for(_either(self._wake, stopping), POLL_SECONDS)
            # Jobs ending by the hundred a second cost a look each COALESCE_SECONDS, not one each.
            await asyncio.sleep(COALESCE_SECONDS)

    async def _take(self, room: int) -> None:
        found = await repository.candidates(LOOK)
        await repository.drop([c.id for c in found if repository.is_moot(c)])
        due = [c for c in found if repository.is_due(c) and c.id not in self._sending]
        # A job's start goes before its end: an end waits while its job's start is due or on its way.
        starting = self._starting | {c.job_id for c in due if c.event == "job.processing"}
        ids = [c.id for c in due if c.event == "job.processing" or c.job_id not in starting][:room]
        if not ids:
            return
        for delivery in await repository.claim(ids, self.settings.webhook_timeout + CLAIM_MARGIN_SECONDS):
            task = asyncio.create_task(self._attempt(delivery), name=f"webhook-{delivery.id}")
            self._sending[delivery.id] = task
            if delivery.event == "job.processing":
                self._starting.add(delivery.job_id)
            task.add_done_callback(lambda _, sent=delivery: self._sent(sent))

    def _sent(self, delivery: Stored) -> None:
        self._sending.pop(delivery.id, None)
        if delivery.event == "job.processing":
            self._starting.discard(delivery.job_id)
        self._wake.set()  # a slot is free, an end may follow its start

    async def _attempt(self, delivery: Stored) -> None:
        try:
            await self._send(delivery)
        except Exception:
            log.exception("webhook delivery %s of job %s failed unexpectedly", delivery.id, delivery.job_id)

    async def _send(self, delivery: Stored) -> None:
        body = delivery.body or await self._body(delivery)
        if body is None:
            await repository.attempt_failed(delivery, None, None, "The job was deleted before its event could be sent.", None)
            return
        status: int | None = None
        error = await safety.refusal(delivery.url, self.allowed)
        if error is None:
            status, error = await self._post(delivery, body)
        if error is None:
            await repository.delivered(delivery, body, status or 0)
            log.info("webhook %s (%s of job %s) delivered: %s", delivery.id, delivery.event, delivery.job_id, status)
            return
        next_try = self._next_try(delivery)
        await repository.attempt_failed(delivery, body, status, error, next_try)
        if next_try is None:
            log.warning("webhook %s (%s of job %s) failed for good: %s", delivery.id, delivery.event, delivery.job_id, error)
        else:
            log.info("webhook %s (%s of job %s) attempt %d failed: %s", delivery.id, delivery.event, delivery.job_id, delivery.attempts + 1, error)
            wait = (next_try - utc_now()).total_seconds()
            asyncio.get_running_loop().call_later(max(0.0, wait), self._wake.set)

    async def _post(self, delivery: Stored, body: str) -> tuple[int | None, str | None]:
        """(the receiver's status, why the attempt failed or None)."""
        assert self._http is not None
        secret = await self._secret(delivery.owner)
        payload = body.encode()
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            **signing.headers(secret, delivery.id, int(time.time()), payload),
        }
        try:
            response = await self._http.post(delivery.url, content=payload, headers=headers)
        except httpx.TimeoutException:
            return None, f"No answer within {self.settings.webhook_timeout:g} s (STUDIO_WEBHOOK_TIMEOUT)."
        except httpx.HTTPError as exc:
            return None, f"Could not reach the receiver: {exc or type(exc).__name__}."
        if response.is_success:
            return response.status_code, None
        if response.is_redirect:
            where = response.headers.get("location", "elsewhere")
            return response.status_code, f"The receiver redirected to {where}; redirects are not followed."
        return response.status_code, f"The receiver answered {response.status_code} {response.reason_phrase}."

    async def _body(self, delivery: Stored) -> str | None:
        """The JSON of the event, made at the first attempt (the job as it is then)."""
        job = await jobs.get(delivery.job_id)
        if job is None:
            return None
        when = (job.started_at if delivery.event == "job.processing" else job.finished_at) or utc_now()
        shown = signed_job(job, self.links)
        shown = msgspec.structs.replace(
            shown, outputs=[msgspec.structs.replace(o, url=self.base_url + o.url) for o in shown.outputs]
        )
        return msgspec.json.encode(Payload(delivery.event, when, shown)).decode()

    async def _secret(self, owner: str | None) -> str:
        """The owner key's secret, or the server's for jobs of no key and keys without one."""
        own = await repository.key_secret(owner) if owner is not None else None
        return own or self.server_secret

    def _next_try(self, delivery: Stored) -> datetime.datetime | None:
        """When to try again after the attempt that failed, or None when retries are over. Each
        wait doubles; half of it is random, so receivers coming back are not hit all at once."""
        now = utc_now()
        wait = min(MAX_WAIT_SECONDS, self.settings.webhook_retry_base * 2 ** min(delivery.attempts, 30))
        at = now + datetime.timedelta(seconds=wait / 2 + random.uniform(0, wait / 2))
        ends = (delivery.first_try_at or now) + datetime.timedelta(seconds=self.settings.webhook_retry_for)
        return at if at <= ends else None

    async def start(self) -> None:
        self._http = httpx.AsyncClient(
            follow_redirects=False,
            timeout=self.settings.webhook_timeout,
            limits=httpx.Limits(max_connections=MAX_IN_FLIGHT * 2),
            trust_env=False,
        )

    async def stop(self) -> None:
        """Abandon the attempts under way (their claims are given back: the next look, here or
        in another process, sends them again) and close the connections."""
        sending = list(self._sending.items())
        for _, task in sending:
            task.cancel()
        await asyncio.gather(*(task for _, task in sending), return_exceptions=True)
        with suppress(Exception):
            await repository.release([delivery_id for delivery_id, _ in sending])
        if self._http is not None:
            await self._http.aclose()


def public_url(settings: Settings) -> str:
    """Where receivers reach Studio: STUDIO_PUBLIC_URL, else the address it listens on."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host = settings.host
    if host in ("0.0.0.0", "::", ""):
        host = socket.gethostname()
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


async def _either(wake: asyncio.Event, stopping: asyncio.Event) -> None:
    waits = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stopping.wait())]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()


def lifespan(dispatcher: Dispatcher) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """Lifespan: the dispatcher runs while the app does."""

    @asynccontextmanager
    async def run(_: Litestar) -> AsyncIterator[None]:
        await dispatcher.start()
        stopping = asyncio.Event()
        task = asyncio.create_task(dispatcher.run(stopping), name="webhooks")
        try:
            yield
        finally:
            stopping.set()
            await task  # a look under way finishes (milliseconds): SQLite's thread must not outlive the loop
            await dispatcher.stop()

    return run
