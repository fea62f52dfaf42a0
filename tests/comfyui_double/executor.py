"""The prompt worker: runs one prompt at a time and emits ComfyUI's WebSocket frames in its order.

Mirrors main.py's prompt_worker + execution.py's PromptExecutor.execute_async/execute and the
progress registry (comfy_execution/progress.py). One deliberate difference: the history entry is
stored *before* the final execution_* frame is sent, so a client reacting to execution_success
always finds /history ready (capture 17 saw that 25/25 times; here it is guaranteed).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from .cache import CacheEntry, OutputCache
from .catalog import Catalog
from .files import FileStore
from .graph import DependencyCycle, ExecutionList, is_link
from .hub import Hub, preview_frame, preview_metadata_frame, text_frame
from .nodes import NodeFailure, behaviour_for, forced_failure
from .prompt_queue import PromptQueue, QueueItem
from .settings import DoubleSettings
from .validation import exception_type_name


class Interrupted(Exception):
    """comfy.model_management.InterruptProcessingException."""


def _now_ms() -> int:
    return int(time.time() * 1000)


def _format_value(value: Any) -> Any:
    # execution.format_value: plain JSON scalars as-is, anything else as its str().
    if value is None or isinstance(value, (int, float, bool, str)):
        return value
    return str(value)


class Executor:
    def __init__(self, settings: DoubleSettings, hub: Hub, queue: PromptQueue, catalog: Catalog, files: FileStore):
        self.settings = settings
        self.hub = hub
        self.queue = queue
        self.catalog = catalog
        self.files = files
        self.cache = OutputCache()
        self.interrupt_requested = False
        # server.client_id / server.last_node_id: used to tell a reconnecting socket where we are.
        self.client_id: str | None = None
        self.last_node_id: str | None = None
        self.current_node: str | None = None  # for test helpers only (ComfyDouble.wait_executing)

    async def run_forever(self) -> None:
        while True:
            item = await self.queue.get()
            await self._run(item)

    async def _run(self, item: QueueItem) -> None:
        run = PromptRun(self, item)
        success, final_event, final_data = await run.execute()
        self.last_node_id = self.current_node = None
        status = {"status_str": "success" if success else "error", "completed": success, "messages": run.messages}
        self.queue.complete(item, run.ui_outputs(), run.ui_meta(), status)
        # execution_interrupted goes to every socket when the prompt had no client (broadcast=True).
        if run.client_id is not None or final_event == "execution_interrupted":
            self.hub.send_json(final_event, final_data, run.client_id)
        self.queue.notify()
        if run.client_id is not None:
            self.hub.send_json("executing", {"node": None, "prompt_id": item.prompt_id}, run.client_id)


class PromptRun:
    """State of one execution: progress registry, computed values, UI outputs, history messages."""

    def __init__(self, executor: Executor, item: QueueItem) -> None:
        self.ex = executor
        self.item = item
        self.prompt_id = item.prompt_id
        self.client_id: str | None = item.extra_data.get("client_id")
        self.messages: list[list[Any]] = []
        self.progress: dict[str, dict[str, Any]] = {}
        self.values: dict[str, tuple[Any, ...]] = {}
        self.ui: dict[str, dict[str, Any]] = {}
        self.executed: list[str] = []

    # -- frames --------------------------------------------------------------------------------
    def add_message(self, event: str, data: dict[str, Any], send: bool = True) -> dict[str, Any]:
        data = {**data, "timestamp": _now_ms()}
        self.messages.append([event, data])
        if send and self.client_id is not None:
            self.ex.hub.send_json(event, data, self.client_id)
        return data

    def send_to_client(self, event: str, data: dict[str, Any]) -> None:
        if self.client_id is not None:
            self.ex.hub.send_json(event, data, self.client_id)

    def _progress_entry(self, node_id: str) -> dict[str, Any]:
        return self.progress.setdefault(node_id, {"state": "pending", "value": 0, "max": 1})

    def _send_progress_state(self) -> None:
        # Cumulative over all started nodes; to every socket when the prompt has no client.
        nodes = {
            node_id: {
                "value": e["value"],
                "max": e["max"],
                "state": e["state"],
                "node_id": node_id,
                "prompt_id": self.prompt_id,
                "display_node_id": node_id,
                "parent_node_id": None,
                "real_node_id": node_id,
            }
            for node_id, e in self.progress.items()
            if e["state"] != "pending"
        }
        self.ex.hub.send_json("progress_state", {"prompt_id": self.prompt_id, "nodes": nodes}, self.client_id)

    def start_progress(self, node_id: str) -> None:
        self._progress_entry(node_id).update(state="running", value=0.0, max=1.0)
        self._send_progress_state()

    def finish_progress(self, node_id: str) -> None:
        entry = self._progress_entry(node_id)
        entry.update(state="finished", value=entry["max"])
        self._send_progress_state()

    async def report_step(self, node_id: str, value: int, total: int, preview: tuple[str, bytes] | None) -> None:
        # main.py's progress hook: interrupt check, progress_state (+ type 4 preview), progress,
        # then the legacy type 1 preview for sockets that did not ask for metadata.
        if self.ex.interrupt_requested:
            raise Interrupted()
        self._progress_entry(node_id).update(state="running", value=value, max=total)
        self._send_progress_state()
        metadata_client = self.ex.hub.supports_preview_metadata(self.client_id)
        if preview is not None and metadata_client:
            meta = {
                "node_id": node_id,
                "prompt_id": self.prompt_id,
                "display_node_id": node_id,
                "parent_node_id": None,
                "real_node_id": node_id,
            }
            self.ex.hub.send(preview_metadata_frame(preview[0], preview[1], meta), self.client_id)
        progress = {"value": value, "max": total, "prompt_id": self.prompt_id, "node": node_id}
        self.ex.hub.send_json("progress", progress, self.client_id)
        if preview is not None and not metadata_client:
            self.ex.hub.send(preview_frame(preview[0], preview[1]), self.client_id)

    # -- results for history --------------------------------------------------------------------
    def ui_outputs(self) -> dict[str, Any]:
        return {node_id: ui["output"] for node_id, ui in self.ui.items()}

    def ui_meta(self) -> dict[str, Any]:
        return {node_id: ui["meta"] for node_id, ui in self.ui.items()}

    # -- execution ------------------------------------------------------------------------------
    async def execute(self) -> tuple[bool, str, dict[str, Any]]:
        """Run the prompt; returns (success, final event, its data) with the final frame not yet sent."""
        ex = self.ex
        ex.interrupt_requested = False  # an interrupt between prompts is forgotten
        ex.client_id = self.client_id
        prompt = self.item.prompt
        self.add_message("execution_start", {"prompt_id": self.prompt_id})

        ex.cache.set_prompt(prompt, self._keyed_by_node_id, self._is_changed)
        cached = [node_id for node_id in prompt if ex.cache.get(node_id) is not None]
        self.add_message("execution_cached", {"nodes": cached, "prompt_id": self.prompt_id})

        order = ExecutionList(prompt, self._is_output, lambda n: ex.cache.get(n) is not None)
        for node_id in self.item.outputs:
            order.add_node(node_id)
        budget = self._job_budget(order)
        while not order.is_empty():
            node_id = None
            try:
                try:
                    node_id = order.next_node()
                except DependencyCycle as cycle:
                    node_id = cycle.args[0]
                    raise NodeError("graph.DependencyCycleError", "Dependency cycle detected", [], {}) from cycle
                await self.execute_node(node_id, budget)
            except Interrupted:
                data = {
                    "prompt_id": self.prompt_id,
                    "node_id": node_id,
                    "node_type": prompt[node_id]["class_type"],
                    "executed": list(self.executed),
                }
                return False, "execution_interrupted", self.add_message("execution_interrupted", data, send=False)
            except NodeError as err:
                data = {
                    "prompt_id": self.prompt_id,
                    "node_id": node_id,
                    "node_type": prompt[node_id]["class_type"],
                    "executed": list(self.executed),
                    "exception_message": f"{err.message}\n",
                    "exception_type": err.exception_type,
                    "traceback": err.traceback,
                    "current_inputs": err.current_inputs,
                    "current_outputs": list(prompt),
                }
                return False, "execution_error", self.add_message("execution_error", data, send=False)
            order.complete(node_id)
        return True, "execution_success", self.add_message("execution_success", {"prompt_id": self.prompt_id}, False)

    async def execute_node(self, node_id: str, budget: float | None) -> None:
        ex = self.ex
        node = self.item.prompt[node_id]
        class_type = node["class_type"]
        cached = ex.cache.get(node_id)
        if cached is not None:
            # Served from cache: no `executing`, but `executed` repeats the old UI output (capture 11).
            # 0.3.64 records that UI in history only when the prompt has a client_id: a cached re-run
            # submitted without one ends with empty history outputs (fixed upstream much later).
            if self.client_id is not None:
                output = cached.ui["output"] if cached.ui else None
                data = {"node": node_id, "display_node": node_id, "output": output, "prompt_id": self.prompt_id}
                self.send_to_client("executed", data)
                if cached.ui is not None:
                    self.ui[node_id] = cached.ui
            self.finish_progress(node_id)
            self.values[node_id] = cached.outputs
            return

        self.start_progress(node_id)
        ex.current_node = node_id
        inputs = self._resolve_inputs(node["inputs"])
        if self.client_id is not None:
            ex.last_node_id = node_id
            self.send_to_client("executing", {"node": node_id, "display_node": node_id, "prompt_id": self.prompt_id})
        if ex.interrupt_requested:
            raise Interrupted()  # before_node_execution(): lands when the next node starts (capture 08)

        spec = ex.catalog.node(class_type) or {"output": []}
        run = NodeRun(self, node_id, budget)
        try:
            await run.sleep_before()
            widgets = [v for v in node["inputs"].values() if not isinstance(v, list)]
            if class_type in ex.settings.fail_class_types or ex.settings.fail_value in widgets:
                raise forced_failure(ex.settings)
            result = await behaviour_for(class_type)(run, inputs, list(spec["output"]))
            await run.sleep_after()
        except Interrupted:
            raise
        except NodeFailure as failure:
            raise NodeError(failure.exception_type, failure.message, failure.traceback, inputs) from failure
        except Exception as bug:  # a gap in the simulation still shows up as a node error
            raise NodeError(exception_type_name(bug), str(bug), [], inputs) from bug

        if result.ui:
            self.ui[node_id] = {
                "meta": {"node_id": node_id, "display_node": node_id, "parent_node": None, "real_node_id": node_id},
                "output": result.ui,
            }
            self.send_to_client(
                "executed", {"node": node_id, "display_node": node_id, "output": result.ui, "prompt_id": self.prompt_id}
            )
        ex.cache.set(node_id, CacheEntry(self.ui.get(node_id), result.outputs))
        self.values[node_id] = result.outputs
        self.finish_progress(node_id)
        self.executed.append(node_id)

    def _resolve_inputs(self, inputs: dict[str, Any]) -> dict[str, Any]:
        resolved = {}
        for name, value in inputs.items():
            if is_link(value):
                source = self.values.get(value[0])
                if source is None:
                    source = self.ex.cache.get(value[0]).outputs  # type: ignore[union-attr]
                resolved[name] = source[int(value[1])]
            else:
                resolved[name] = value
        return resolved

    def _is_output(self, node_id: str) -> bool:
        spec = self.ex.catalog.node(self.item.prompt[node_id]["class_type"])
        return bool(spec and spec["output_node"] is True)

    def _keyed_by_node_id(self, node_id: str) -> bool:
        # Nodes with a hidden UNIQUE_ID input are cached per node id.
        spec = self.ex.catalog.node(self.item.prompt[node_id]["class_type"])
        return bool(spec and "UNIQUE_ID" in spec["input"].get("hidden", {}).values())

    def _is_changed(self, node_id: str) -> Any:
        # IS_CHANGED: LoadImage hashes its file; SaveImageWebsocket returns time.time(), i.e. it never
        # comes from cache (capture 14 re-runs it while its inputs are cached).
        node = self.item.prompt[node_id]
        if node["class_type"] in ("LoadImage", "LoadImageMask", "LoadImageOutput"):
            return self.ex.files.file_hash(str(node.get("inputs", {}).get("image", "")))
        if node["class_type"] == "SaveImageWebsocket":
            return object()  # equal to nothing
        return None

    def _job_budget(self, order: ExecutionList) -> float | None:
        """With job_seconds set, each node that really runs gets an equal share of it."""
        if self.ex.settings.job_seconds is None:
            return None
        to_run = [n for n in order.pending() if self.ex.cache.get(n) is None]
        return self.ex.settings.job_seconds / max(1, len(to_run))


class NodeError(Exception):
    def __init__(self, exception_type: str, message: str, traceback: list[str], inputs: dict[str, Any]) -> None:
        super().__init__(message)
        self.exception_type = exception_type
        self.message = message
        self.traceback = traceback
        self.current_inputs = {name: [_format_value(v)] for name, v in inputs.items()}


class NodeRun:
    """The RunContext handed to a node behaviour: timing, progress and TEXT frames for one node."""

    def __init__(self, run: PromptRun, node_id: str, budget: float | None) -> None:
        self._run = run
        self.node_id = node_id
        self.settings = run.ex.settings
        self.files = run.ex.files
        self.prompt = run.item.prompt
        self.extra_data = run.item.extra_data
        self._budget = budget
        self._deadline = None if budget is None else time.monotonic() + budget
        self._class_type = self.prompt[node_id]["class_type"]

    async def sleep_before(self) -> None:
        if self._budget is None:
            await asyncio.sleep(self.settings.seconds_for(self._class_type))

    async def sleep_after(self) -> None:
        if self._deadline is not None:
            await asyncio.sleep(max(0.0, self._deadline - time.monotonic()))

    async def step(self, value: int, total: int, preview: tuple[str, bytes] | None) -> None:
        # In job mode most of the node's share goes to its steps, the rest is slept at the end.
        seconds = self.settings.step_seconds if self._budget is None else 0.9 * self._budget / max(1, total)
        await asyncio.sleep(seconds)
        await self._run.report_step(self.node_id, value, total, preview)

    def send_text(self, text: str) -> None:
        self._run.ex.hub.send(text_frame(self.node_id, text), None)
