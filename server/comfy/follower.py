"""What one prompt is doing: progress, previews, outputs and its outcome.

PromptFollower is fed frames by the session (no I/O here) and offers them to the worker as
a stream of typed updates that ends with exactly one outcome.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from typing import Any

import msgspec

from server.comfy.binary import PreviewImage, ProgressText
from server.comfy.messages import (
    ExecutionCached,
    ExecutionError,
    ExecutionInterrupted,
    ExecutionSuccess,
    Executed,
    Executing,
    HistoryEntry,
    NodeOutput,
    Progress,
    ProgressState,
    WsMessage,
)

# Nodes whose images reach the client only as binary socket frames: no file, nothing in /history.
# SaveImageWebsocket (ComfyUI's custom_nodes/websocket_image_save.py) hands each image to the
# progress hook as ("PNG", image, None); main.py's hook and comfy_execution/progress.py send it to
# the submitting client exactly like a sampler's latent preview (binary type 1, or type 4 with
# metadata). So a frame is an output or a preview by the node it belongs to: type 4 names it
# (`node_id`); type 1 names nothing and belongs to the node of the last `executing` / `progress`
# frame, since ComfyUI runs one node at a time and sends the frame while that node runs.
# Previews of any other node (KSampler's latent previews, JPEG) stay previews.
SOCKET_IMAGE_NODES = frozenset({"SaveImageWebsocket"})


# --- updates -----------------------------------------------------------------


class ProgressUpdate(msgspec.Struct, frozen=True):
    fraction: float  # 0..1 over the whole prompt, never decreasing
    node_id: str | None  # node running now
    class_type: str | None
    step: int | None  # within the running node, for nodes that report progress
    total_steps: int | None
    nodes_done: int
    nodes_total: int | None  # nodes that really run (cached ones excluded); None if graph unknown


class PreviewUpdate(msgspec.Struct, frozen=True):
    image: bytes
    mime: str
    node_id: str | None


class NodeTextUpdate(msgspec.Struct, frozen=True):
    node_id: str
    text: str


class OutputImage(msgspec.Struct, frozen=True):
    node_id: str
    filename: str
    subfolder: str
    type: str  # "output" or "temp"


class OutputText(msgspec.Struct, frozen=True):
    node_id: str
    text: str


class SocketImage(msgspec.Struct, frozen=True):
    """An image a SaveImageWebsocket node sent over the socket: it exists nowhere else. Held in
    memory until the job's outputs are stored (ComfyUI sends each image whole anyway)."""

    node_id: str
    image: bytes
    mime: str


class OutputUpdate(msgspec.Struct, frozen=True):
    """Early notice of a node's outputs; the Succeeded outcome holds the complete list."""

    node_id: str
    images: list[OutputImage]
    texts: list[OutputText]


# --- outcomes ------------------------------------------------------------------


class Succeeded(msgspec.Struct, frozen=True):
    prompt_id: str
    images: list[OutputImage]  # type "output" files; temp previews only if there is nothing else
    texts: list[OutputText]
    socket_images: list[SocketImage] = []  # in the order they arrived


class Failed(msgspec.Struct, frozen=True):
    prompt_id: str
    node_id: str | None
    node_type: str | None
    exception_type: str
    exception_message: str
    traceback: list[str]  # kept for diagnosis; large, do not log it

    @property
    def message(self) -> str:
        where = f"Node {self.node_id} ({self.node_type})" if self.node_id else "The prompt"
        return f"{where} failed: {self.exception_type}: {self.exception_message.strip()}"


class Interrupted(msgspec.Struct, frozen=True):
    prompt_id: str
    node_id: str | None  # None when it was withdrawn before it started
    node_type: str | None


class Lost(msgspec.Struct, frozen=True):
    """ComfyUI knows nothing of the prompt any more (it restarted: queue and history are
    kept in memory only), or it finished but its socket images did not all reach us (the
    session then deletes its /history entry). Nothing can be recovered; submit it again."""

    prompt_id: str
    reason: str


Outcome = Succeeded | Failed | Interrupted | Lost
Update = ProgressUpdate | PreviewUpdate | NodeTextUpdate | OutputUpdate | Outcome


class PromptFollower:
    def __init__(self, prompt_id: str, graph: Mapping[str, Any] | None = None) -> None:
        self.prompt_id = prompt_id
        # Set by the session: frames may have been lost (socket down while the prompt lived),
        # so outputs must come from /history at the end.
        self.missed_frames = False
        self.cancel_requested = False
        self._classes: dict[str, str] = {}
        self._cached: set[str] = set()
        self._nodes: dict[str, tuple[float, bool]] = {}  # node -> (fraction done, finished)
        self._node: str | None = None
        self._step: tuple[int, int] | None = None
        self._last_progress: ProgressUpdate | None = None
        self._terminal: ExecutionSuccess | ExecutionError | ExecutionInterrupted | None = None
        self._outputs: dict[str, NodeOutput] = {}
        self._socket_images: list[SocketImage] = []
        self._socket_totals: dict[str, int] = {}  # node -> images it said it would send
        self._updates: asyncio.Queue[Update] = asyncio.Queue()
        self._outcome: Outcome | None = None
        self._done = asyncio.Event()
        if graph:
            self._set_graph(graph)

    # --- consumer side ---------------------------------------------------------

    @property
    def done(self) -> bool:
        return self._outcome is not None

    async def outcome(self) -> Outcome:
        await self._done.wait()
        assert self._outcome is not None
        return self._outcome

    async def updates(self) -> AsyncIterator[Update]:
        """Every update in order; the outcome is the last item. One consumer only."""
        while True:
            update = await self._updates.get()
            yield update
            if isinstance(update, Succeeded | Failed | Interrupted | Lost):
                return

    def __aiter__(self) -> AsyncIterator[Update]:
        return self.updates()

    # --- fed by the session ------------------------------------------------------

    def learn_graph(self, graph: Mapping[str, Any]) -> None:
        """Node classes for progress, when the follower was made without the graph."""
        if not self._classes:
            self._set_graph(graph)

    def _set_graph(self, graph: Mapping[str, Any]) -> None:
        self._classes = {
            str(node_id): str(node.get("class_type", ""))
            for node_id, node in graph.items()
            if isinstance(node, Mapping)
        }

    def feed(self, msg: WsMessage) -> bool:
        """Apply one frame of this prompt. True when the prompt ended but the outcome must be
        read from /history (frames were missed)."""
        if self.done:
            return False
        match msg:
            case ExecutionCached(nodes=nodes):
                self._cached = set(nodes)
            case Executing(node=None):
                return self._end()
            case Executing(node=node):
                if node != self._node:
                    self._node, self._step = node, None
            case ProgressState(nodes=nodes):
                self._nodes = {
                    node_id: (_ratio(p.value, p.max), p.state == "finished")
                    for node_id, p in nodes.items()
                }
            case Progress(value=value, max=maximum, node=node):
                node = node or self._node
                if node is not None:
                    self._node, self._step = node, (int(value), int(maximum))
                    self._nodes[node] = (_ratio(value, maximum), False)
                    if self._classes.get(node) in SOCKET_IMAGE_NODES:
                        # One step per image: value 0..n-1 of n, never n
                        # (tests/data/comfyui/README.md, "Pitfalls seen" 11).
                        self._socket_totals[node] = int(maximum)
            case Executed(node=node, output=output):
                self._record_output(node, output)
            case ExecutionSuccess() | ExecutionError() | ExecutionInterrupted():
                self._terminal = msg
            case _:
                return False
        self._emit_progress()
        return False

    def feed_binary(self, frame: PreviewImage | ProgressText) -> None:
        if self.done:
            return
        if isinstance(frame, PreviewImage):
            node = frame.node_id or self._node
            if node is not None and self._classes.get(node) in SOCKET_IMAGE_NODES:
                self._socket_images.append(SocketImage(node, frame.image, frame.mime))
            # Shown live either way: an output arriving is the job's latest image too.
            self._updates.put_nowait(PreviewUpdate(frame.image, frame.mime, node))
        else:
            self._updates.put_nowait(NodeTextUpdate(frame.node_id, frame.text))

    def resolve_from_history(self, entry: HistoryEntry) -> None:
        self.learn_graph(entry.prompt.prompt)
        messages = entry.status.messages if entry.status else []
        last_type, last_data = messages[-1] if messages else ("", {})
        if last_type == "execution_error":
            self._resolve_terminal(msgspec.convert(last_data, ExecutionError), entry.outputs)
        elif last_type == "execution_interrupted":
            self._resolve_terminal(msgspec.convert(last_data, ExecutionInterrupted), entry.outputs)
        elif entry.status is not None and entry.status.status_str == "success":
            if unreceived := self.unreceived_socket_images(entry):
                nodes = ", ".join(f"node {n} ({self._classes[n]})" for n in unreceived)
                self.resolve_missing(
                    f"the images that {nodes} sent over ComfyUI's socket did not all arrive, as the"
                    " socket dropped or the worker restarted, and ComfyUI keeps no copy of them"
                )
            else:
                self._resolve_terminal(ExecutionSuccess(self.prompt_id), entry.outputs)
        else:
            self._resolve(
                Failed(self.prompt_id, None, None, "Unknown", "ComfyUI recorded a failure", [])
            )

    def unreceived_socket_images(self, entry: HistoryEntry) -> list[str]:
        """The socket-image nodes of a finished prompt whose images did not all reach us. Only
        the frames carried them, so images missed while the socket was down (or sent to the
        socket of an earlier worker process) are lost. A node is complete when every image
        it announced through `progress` came."""
        self.learn_graph(entry.prompt.prompt)
        cached = set(self._cached)
        for kind, data in entry.status.messages if entry.status else []:
            if kind == "execution_cached":
                cached.update(data.get("nodes", []))
        received = Counter(image.node_id for image in self._socket_images)

        def complete(node: str) -> bool:
            total = self._socket_totals.get(node)
            return total is not None and received[node] >= total

        return [
            node
            for node in entry.prompt.outputs_to_execute
            if self._classes.get(node) in SOCKET_IMAGE_NODES and node not in cached and not complete(node)
        ]

    def resolve_missing(self, reason: str) -> None:
        """The server knows nothing of the prompt: withdrawn by us, else lost."""
        if self.cancel_requested:
            self._resolve(Interrupted(self.prompt_id, None, None))
        else:
            self._resolve(Lost(self.prompt_id, reason))

    # --- internals -----------------------------------------------------------------

    def _end(self) -> bool:
        terminal = self._terminal
        if terminal is None or (isinstance(terminal, ExecutionSuccess) and self.missed_frames):
            return True
        self._resolve_terminal(terminal, self._outputs)
        return False

    def _resolve_terminal(
        self,
        terminal: ExecutionSuccess | ExecutionError | ExecutionInterrupted,
        outputs: Mapping[str, NodeOutput],
    ) -> None:
        match terminal:
            case ExecutionSuccess():
                if self._last_progress is None or self._last_progress.fraction < 1.0:
                    self._emit_progress(final=True)
                images, texts = _final_outputs(outputs, keep_temp=not self._socket_images)
                self._resolve(Succeeded(self.prompt_id, images, texts, list(self._socket_images)))
            case ExecutionError():
                self._resolve(
                    Failed(
                        self.prompt_id,
                        terminal.node_id,
                        terminal.node_type,
                        terminal.exception_type,
                        terminal.exception_message,
                        terminal.traceback,
                    )
                )
            case ExecutionInterrupted():
                self._resolve(Interrupted(self.prompt_id, terminal.node_id, terminal.node_type))

    def _resolve(self, outcome: Outcome) -> None:
        if self.done:
            return
        self._outcome = outcome
        self._updates.put_nowait(outcome)
        self._done.set()

    def _record_output(self, node_id: str, output: NodeOutput) -> None:
        # A fully cached re-run repeats the old file names here; they are still the outputs.
        self._outputs[node_id] = output
        images, texts = _node_outputs(node_id, output)
        if images or texts:
            self._updates.put_nowait(OutputUpdate(node_id, images, texts))

    def _emit_progress(self, final: bool = False) -> None:
        # Cached nodes cost nothing, so they count neither as work to do nor as work done.
        running = {n: s for n, s in self._nodes.items() if n not in self._cached}
        done = sum(1.0 if finished else ratio for ratio, finished in running.values())
        nodes_done = sum(1 for _, finished in running.values() if finished)
        total: int | None = None
        if self._classes:
            total = max(len(self._classes.keys() - self._cached), len(running))
        denominator = total if total is not None else len(running)
        fraction = 1.0 if final else (done / denominator if denominator else 0.0)
        if self._last_progress is not None:
            fraction = max(fraction, self._last_progress.fraction)
        step, steps = self._step if self._step else (None, None)
        update = ProgressUpdate(
            fraction=min(fraction, 1.0),
            node_id=self._node,
            class_type=self._classes.get(self._node) if self._node else None,
            step=step,
            total_steps=steps,
            nodes_done=nodes_done,
            nodes_total=total,
        )
        if update != self._last_progress:
            self._last_progress = update
            self._updates.put_nowait(update)


def _ratio(value: float, maximum: float) -> float:
    return min(max(value / maximum, 0.0), 1.0) if maximum > 0 else 0.0


def _node_outputs(node_id: str, output: NodeOutput) -> tuple[list[OutputImage], list[OutputText]]:
    images = [OutputImage(node_id, i.filename, i.subfolder, i.type) for i in output.images]
    texts = [OutputText(node_id, t) for t in output.text]
    return images, texts


def _final_outputs(
    outputs: Mapping[str, NodeOutput], keep_temp: bool
) -> tuple[list[OutputImage], list[OutputText]]:
    images: list[OutputImage] = []
    texts: list[OutputText] = []
    for node_id, output in outputs.items():
        node_images, node_texts = _node_outputs(node_id, output)
        images += node_images
        texts += node_texts
    # PreviewImage writes type "temp" files next to SaveImage's "output" ones: those are
    # previews, unless the graph saves nothing else (no files, no socket images).
    saved = [i for i in images if i.type == "output"]
    return (images if keep_temp and not saved else saved), texts
