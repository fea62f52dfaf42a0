"""One job: every parameter, timings, the error, outputs with previews; live while it runs."""

from __future__ import annotations

import msgspec
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Footer, ProgressBar, Static

from client.errors import ClientError
from client.files import save_outputs
from server.events.schemas import (
    JobCancelled,
    JobDeleted,
    JobFailed,
    JobFinished,
    JobProgress,
    JobStatus,
    JobUpdated,
    Message,
    QueueSnapshot,
)
from server.jobs.schemas import ACTIVE_STATUSES, Job
from tui.format import status_text
from tui.live import progress_detail
from tui.screens.base import StudioScreen
from tui.widgets.detail import facts
from tui.widgets.detail.outputs import OutputCard
from tui.widgets.top_bar import TopBar


class JobDetailScreen(StudioScreen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("r", "remix", "Remix"),
        Binding("c", "cancel", "Cancel"),
        Binding("f", "favorite", "Favorite"),
        Binding("y", "copy", "Copy URLs"),
        Binding("s", "save", "Save"),
        Binding("w", "sweep", "Sweep", show=False),
    ]

    job: reactive[Job] = reactive(Job, init=False)
    # What runs now ("KSampler 8/20"), while the job runs.
    step: reactive[str] = reactive("")

    def __init__(self, job: Job) -> None:
        super().__init__()
        self.set_reactive(JobDetailScreen.job, job)
        # Deleted (here or by another client) while another screen covered this one: it closes
        # when it would show again.
        self._deleted = False

    def compose(self) -> ComposeResult:
        yield TopBar("Job")
        with VerticalScroll(id="detail"):
            yield Static(id="headline")
            with Vertical(id="live"):
                yield ProgressBar(total=100, show_eta=False, id="progress")
                yield Static(id="step")
            yield Static(id="prompts")
            yield Static(id="error")
            yield Static(id="outputs-title", classes="section")
            yield Static(id="texts")
            yield Vertical(id="outputs")
            yield Static("Parameters", classes="section")
            yield Static(id="parameters")
            yield Static("Timings", classes="section")
            yield Static(id="timings")
        yield Footer()

    def on_mount(self) -> None:
        self.studio.live_events.subscribe(self, self._on_live)
        self._show(self.job)
        self._show_outputs()
        if self.job.status in ACTIVE_STATUSES:
            # Events sent before we subscribed are lost to us (a cached re-run finishes in
            # milliseconds): the stored job says what they said.
            self.reload()

    def watch_job(self, old: Job, new: Job) -> None:
        self._show(new)
        if old.outputs != new.outputs:
            self._show_outputs()
        if old.status != new.status:
            self.refresh_bindings()  # cancel comes and goes with the status

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Hidden, not dimmed: a finished job has nothing to cancel. A job of no sweep has none to open.
        if action == "sweep":
            return self.job.sweep_id is not None
        return action != "cancel" or self.job.status in ACTIVE_STATUSES

    def watch_step(self, step: str) -> None:
        self.query_one("#step", Static).update(Text(step, style="dim"))

    def _show(self, job: Job) -> None:
        star = Text(" ★", style="bold yellow") if job.favorite else Text("")
        self.query_one("#headline", Static).update(
            Text.assemble(status_text(job.status), star, "  ", (job.workflow, "bold"), "  ", (str(job.id), "dim"))
        )
        self.query_one("#live").display = job.status in ACTIVE_STATUSES
        self.query_one("#progress", ProgressBar).update(progress=job.progress)
        prompts = Text.assemble(("Prompt  ", "bold"), job.prompt or "-")
        if job.negative_prompt:
            prompts.append_text(Text.assemble(("\nNegative  ", "bold"), job.negative_prompt))
        self.query_one("#prompts", Static).update(prompts)
        error = self.query_one("#error", Static)
        error.display = job.error is not None
        if job.error is not None:
            error.update(facts.error(job))
        self.query_one("#parameters", Static).update(facts.parameters(job))
        self.query_one("#timings", Static).update(facts.timings(job))
        texts = self.query_one("#texts", Static)
        texts.display = bool(job.texts)
        texts.update(facts.texts(job))
        count = len(job.outputs) + len(job.texts)
        none = "none yet" if job.status in ACTIVE_STATUSES else "none"
        self.query_one("#outputs-title", Static).update(f"Outputs ({count})" if count else f"Outputs: {none}")

    def _show_outputs(self) -> None:
        box = self.query_one("#outputs", Vertical)
        box.remove_children()
        box.mount_all(OutputCard(output, self.studio.api) for output in self.job.outputs)

    # --- live --------------------------------------------------------------------------------

    def _on_live(self, message: Message) -> None:
        if isinstance(message, QueueSnapshot):
            self.reload()  # reconnected: what happened meanwhile is in the stored job
            return
        if getattr(message, "job_id", None) != self.job.id:
            return
        match message:
            case JobStatus(status=status, progress=progress):
                self._take(msgspec.structs.replace(self.job, status=status, progress=progress))
                self.step = ""
            case JobProgress(percent=percent):
                self._take(msgspec.structs.replace(self.job, status="processing", progress=percent))
                self.step = progress_detail(message)
            case JobFinished(job=job):
                self._take(job)
            case JobFailed() | JobCancelled():
                self.reload()
            case JobUpdated():
                self.job = message.applied(self.job)
            case JobDeleted():
                self._deleted = True
                if self.is_current:
                    self.dismiss()

    def on_screen_resume(self) -> None:
        if self._deleted:
            self.dismiss()

    def _take(self, job: Job) -> None:
        # An ended job never runs again: a late event or a slow reload must not revive it.
        if self.job.status in ACTIVE_STATUSES or job.status not in ACTIVE_STATUSES:
            self.job = job

    @work(exclusive=True, group="reload")
    async def reload(self) -> None:
        try:
            self._take(await self.studio.api.job(self.job.id))
        except ClientError as exc:
            self.notify(str(exc), title="Could not reload the job", severity="error")

    # --- keys --------------------------------------------------------------------------------

    def action_remix(self) -> None:
        self.studio.remix(self.job)

    def action_cancel(self) -> None:
        self.studio.cancel(self.job)

    def action_favorite(self) -> None:
        self.studio.toggle_favorite(self.job)

    def action_sweep(self) -> None:
        self.studio.open_sweep(self.job)

    def action_copy(self) -> None:
        """The outputs' URLs (and text outputs), through the terminal: works over SSH too."""
        made = [f"{self.studio.api.base_url}{output.url}" for output in self.job.outputs] + [t.text for t in self.job.texts]
        if not made:
            self.notify("The job has no outputs to copy.", severity="warning")
            return
        self.app.copy_to_clipboard("\n".join(made))
        self.notify(f"Copied {len(made)} line{'s' if len(made) > 1 else ''} to the clipboard.", title="Copy")

    @work(exclusive=True, group="save")
    async def action_save(self) -> None:
        """Download the outputs into the save folder on this machine, never overwriting a file."""
        if not self.job.outputs:
            self.notify("The job has no images to save.", severity="warning")
            return
        try:
            saved = await save_outputs(self.studio.api, self.job.outputs, self.studio.save_dir)
        except (ClientError, OSError) as exc:
            self.notify(str(exc), title="Could not save the outputs", severity="error")
            return
        self.notify("\n".join(str(path) for path in saved), title=f"Saved {len(saved)} image{'s' if len(saved) > 1 else ''}")
