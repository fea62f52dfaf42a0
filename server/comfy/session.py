"""One WebSocket per worker lane, following any number of this client's prompts at once.

ComfyUI runs one prompt at a time, server-wide, and sends a prompt's frames only to the
socket whose clientId submitted it; progress and binary frames of prompts queued without a
client_id, and every `status`, reach all sockets. Frames are routed by `data.prompt_id`;
binary frames without ids go to the prompt of ours that is executing at that moment.

When the socket drops (a killed server sends no close frame: 1006) the session reconnects
with backoff and reconciles each live prompt with /history and /queue, since frames were
missed and a restarted ComfyUI has forgotten every prompt.

A prompt another client submitted (adopted from a worker process that died: every process has
a client_id of its own) sends no frame to this socket, so it is polled through /history and
/queue until it ends: its step-by-step progress is lost, never its outcome or outputs.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping
from typing import Any

import websockets

from server.comfy.binary import PreviewImage, ProgressText, decode_binary
from server.comfy.errors import ComfyError
from server.comfy.follower import PromptFollower
from server.comfy.http import ComfyClient
from server.comfy.messages import (
    FEATURE_FLAGS_FRAME,
    ExecutionError,
    ExecutionInterrupted,
    ExecutionStart,
    ExecutionSuccess,
    Executed,
    Executing,
    Progress,
    ProgressState,
    decode_message,
)

log = logging.getLogger(__name__)

_TERMINAL = (ExecutionSuccess, ExecutionError, ExecutionInterrupted)
# How often a prompt of another client is looked up while it waits or runs in ComfyUI.
POLL_SECONDS = 1.0


class ComfySession:
    def __init__(
        self,
        client: ComfyClient,
        client_id: str | None = None,
        *,
        backoff_initial: float = 0.2,
        backoff_max: float = 2.0,  # a ComfyUI that comes back is seen within 2 s: its lost jobs start again
        open_timeout: float = 10.0,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
    ) -> None:
        self.client = client
        self.client_id = client_id or uuid.uuid4().hex
        self._backoff = (backoff_initial, backoff_max)
        self._ws_options: dict[str, Any] = {
            "open_timeout": open_timeout,
            "ping_interval": ping_interval,
            "ping_timeout": ping_timeout,
            "max_size": None,  # SaveImageWebsocket sends whole images, far above 1 MiB
        }
        self._followers: dict[str, PromptFollower] = {}
        self._stale: set[str] = set()  # followers to reconcile once connected
        self._reconciling: dict[str, asyncio.Task[None]] = {}
        self._reconcile_again: set[str] = set()
        self._executing: str | None = None  # our prompt between execution_start and its end
        self._replayed_node: str | None = None  # `executing` without prompt_id after reconnect
        self._connected = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> ComfySession:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- lifecycle -------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def start(self) -> None:
        """Start the socket in the background; it keeps reconnecting until close()."""
        if self._reader is None:
            self._reader = asyncio.create_task(self._run(), name=f"comfy-ws-{self.client_id}")

    async def wait_connected(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def close(self) -> None:
        tasks = [t for t in [self._reader, *self._reconciling.values()] if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._reader = None
        for follower in list(self._followers.values()):
            follower.resolve_missing("the session was closed before the prompt ended")
        self._followers.clear()

    # --- prompts ---------------------------------------------------------------

    def track(self, prompt_id: str, graph: Mapping[str, Any] | None = None) -> PromptFollower:
        """Follow a prompt about to be submitted with this session's client_id. Register
        before submitting: its first frames can arrive before the POST /prompt answer."""
        follower = PromptFollower(prompt_id, graph)
        self._followers[prompt_id] = follower
        if not self.connected:
            follower.missed_frames = True
            self._stale.add(prompt_id)
        return follower

    async def submit(
        self,
        graph: Mapping[str, Any],
        prompt_id: str | None = None,
        extra_data: Mapping[str, Any] | None = None,
    ) -> PromptFollower:
        """Queue a graph and follow it. On ComfyUnavailable the prompt may or may not have
        been queued: adopt(prompt_id) tells (Lost if it was not)."""
        prompt_id = prompt_id or uuid.uuid4().hex
        follower = self.track(prompt_id, graph)
        try:
            await self.client.submit(graph, prompt_id, self.client_id, extra_data)
        except ComfyError:
            self._forget(prompt_id)
            raise
        return follower

    def adopt(self, prompt_id: str, graph: Mapping[str, Any] | None = None) -> PromptFollower:
        """Follow a prompt submitted earlier, by this session or another client (e.g. a previous
        worker process); its state is read from /history and /queue, and polled there for as
        long as it belongs to another client."""
        follower = self._followers.get(prompt_id) or self.track(prompt_id, graph)
        follower.missed_frames = True
        self._reconcile_soon(follower)
        return follower

    def check(self, prompt_id: str) -> None:
        """Ask ComfyUI where a followed prompt stands, for when its frames may be going astray
        though the socket looks fine (e.g. ComfyUI stops sending to a socket that replaced an
        older one with the same clientId, comfyanonymous/ComfyUI#16010)."""
        follower = self._followers.get(prompt_id)
        if follower is not None and not follower.done:
            follower.missed_frames = True
            self._reconcile_soon(follower)

    async def cancel(self, prompt_id: str) -> None:
        """Withdraw a pending prompt or interrupt it if running; the follower then ends as
        Interrupted (or with what really happened, if it finished first)."""
        follower = self._followers.get(prompt_id)
        if follower is not None:
            follower.cancel_requested = True
        # Delete first: once it is gone from the pending list it cannot start, and if it
        # was running already the targeted interrupt below catches it.
        await self.client.delete_pending(prompt_id)
        await self.client.interrupt(prompt_id)
        if follower is not None and not follower.done:
            self._reconcile_soon(follower)

    def _forget(self, prompt_id: str) -> None:
        self._followers.pop(prompt_id, None)
        self._stale.discard(prompt_id)

    # --- socket ------------------------------------------------------------------

    async def _run(self) -> None:
        initial, maximum = self._backoff
        delay = initial
        url = self.client.ws_url(self.client_id)
        # Say it once per outage, not once per reconnect attempt.
        reported_down = False
        while True:
            try:
                async with websockets.connect(url, **self._ws_options) as ws:
                    await ws.send(FEATURE_FLAGS_FRAME)
                    self._on_connected()
                    log.info("connected to ComfyUI at %s", self.client.base_url)
                    reported_down = False
                    delay = initial
                    async for frame in ws:
                        try:
                            self._dispatch(frame)
                        except Exception:  # one bad frame must not end the lane's socket
                            log.exception("could not handle a ComfyUI frame")
                reason = "ComfyUI closed the socket"
            except (OSError, TimeoutError, websockets.WebSocketException) as exc:
                reason = repr(exc)
            if reported_down:
                log.debug("ComfyUI at %s still unreachable: %s", self.client.base_url, reason)
            else:
                log.warning("ComfyUI at %s is unreachable (%s); reconnecting in the background", self.client.base_url, reason)
                reported_down = True
            self._on_disconnected()
            await asyncio.sleep(delay)
            delay = min(delay * 2, maximum)

    def _on_connected(self) -> None:
        self._connected.set()
        for prompt_id in list(self._stale):
            follower = self._followers.get(prompt_id)
            if follower is not None:
                self._reconcile_soon(follower)
        self._stale.clear()

    def _on_disconnected(self) -> None:
        self._connected.clear()
        self._executing = None
        self._replayed_node = None
        for prompt_id, follower in self._followers.items():
            follower.missed_frames = True
            self._stale.add(prompt_id)

    def _dispatch(self, frame: str | bytes) -> None:
        if isinstance(frame, bytes):
            self._dispatch_binary(frame)
            return
        try:
            msg = decode_message(frame)
        except ValueError as exc:  # msgspec.DecodeError is a ValueError
            log.warning("non-JSON text frame from ComfyUI: %s", exc)
            return
        prompt_id = getattr(msg, "prompt_id", None)
        if isinstance(msg, Executing) and prompt_id is None:
            # Sent right after a reconnect: the node our running prompt is at.
            if msg.node is not None:
                if self._executing is not None:
                    prompt_id = self._executing
                else:
                    self._replayed_node = msg.node
        if prompt_id is None:
            return  # status, feature_flags, unknown types, data: null
        follower = self._followers.get(prompt_id)
        self._track_executing(msg, prompt_id, followed=follower is not None)
        if follower is None:
            return  # another client's broadcast, or a prompt we no longer follow
        if follower.feed(msg):
            self._reconcile_soon(follower)
        if follower.done:
            self._forget(prompt_id)

    def _track_executing(self, msg: object, prompt_id: str, followed: bool) -> None:
        if isinstance(msg, ExecutionStart):
            self._executing = prompt_id  # only ever sent to the submitting client: ours
        elif isinstance(msg, _TERMINAL) or (isinstance(msg, Executing) and msg.node is None):
            if self._executing == prompt_id:
                self._executing = None
        elif followed and isinstance(msg, Executing | Progress | ProgressState | Executed):
            # After a reconnect we learn that our prompt runs from its next frame.
            self._executing = prompt_id

    def _dispatch_binary(self, frame: bytes) -> None:
        try:
            item = decode_binary(frame)
        except ValueError as exc:
            log.warning("bad binary frame from ComfyUI: %s", exc)
            return
        if not isinstance(item, PreviewImage | ProgressText):
            return
        prompt_id = item.prompt_id if isinstance(item, PreviewImage) else None
        follower = self._followers.get(prompt_id or self._executing or "")
        if follower is not None:
            follower.feed_binary(item)

    # --- reconciliation ------------------------------------------------------------

    def _reconcile_soon(self, follower: PromptFollower) -> None:
        task = self._reconciling.get(follower.prompt_id)
        if task is None or task.done():
            self._reconciling[follower.prompt_id] = asyncio.create_task(
                self._reconcile(follower), name=f"comfy-reconcile-{follower.prompt_id}"
            )
        else:
            # The answers in flight may predate what caused this request (e.g. /queue said
            # "running" just before executing(null) came in): ask again afterwards.
            self._reconcile_again.add(follower.prompt_id)

    async def _reconcile(self, follower: PromptFollower) -> None:
        initial, maximum = self._backoff
        delay = initial
        prompt_id = follower.prompt_id
        try:
            while not follower.done:
                self._reconcile_again.discard(prompt_id)
                try:
                    foreign = await self._reconcile_once(follower)
                except ComfyError as exc:
                    # Unavailable while restarting; retried until it answers or we close.
                    log.info("reconciling %s failed: %s", prompt_id, exc)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, maximum)
                    continue
                if foreign:
                    await asyncio.sleep(POLL_SECONDS)
                elif prompt_id not in self._reconcile_again:
                    return
        finally:
            self._reconciling.pop(prompt_id, None)
            self._reconcile_again.discard(prompt_id)
            if follower.done:
                self._forget(prompt_id)

    async def _reconcile_once(self, follower: PromptFollower) -> bool:
        """Settle the follower from /history, or learn where it waits; True when it still waits
        or runs as another client's prompt, whose frames never reach this socket."""
        prompt_id = follower.prompt_id
        # History before and after the queue: a prompt finishing in between moves from the
        # queue into history atomically, so it is seen in one of them.
        entry = await self.client.history(prompt_id)
        if entry is None:
            queued = (await self.client.queue()).find(prompt_id)
            if queued is not None:
                position, item = queued
                follower.learn_graph(item.prompt)
                if item.extra_data.get("client_id") != self.client_id:
                    return True
                if position == "running":
                    self._note_running(follower)
                return False  # still to come: the socket will bring its frames
            entry = await self.client.history(prompt_id)
        if entry is not None:
            if follower.unreceived_socket_images(entry) and not follower.cancel_requested:
                # It is lost and will run again under the same prompt id: this stale success
                # must not be taken for the new run's when that one is looked up.
                await self.client.delete_history(prompt_id)
            follower.resolve_from_history(entry)
        else:
            follower.resolve_missing("ComfyUI has no trace of the prompt (restarted?)")
        return False

    def _note_running(self, follower: PromptFollower) -> None:
        if follower.done:  # its last frames came in while /queue was being asked
            return
        self._executing = follower.prompt_id
        if self._replayed_node is not None:
            follower.feed(Executing(self._replayed_node, prompt_id=follower.prompt_id))
            self._replayed_node = None

