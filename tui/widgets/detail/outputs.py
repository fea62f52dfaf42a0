"""A job's outputs: a preview of each image and where it lives on the server."""

from __future__ import annotations

import asyncio
import io

from PIL import Image as PILImage
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static
from textual.worker import Worker, WorkerState
from textual_image.renderable import Image as BestRenderable
from textual_image.renderable import SixelImage, TGPImage
from textual_image.widget import HalfcellImage, get_cell_size
from textual_image.widget import TGPImage as TGPPreview

from client.errors import ClientError
from client.http import StudioClient
from server.jobs.schemas import Output
from tui.widgets.detail.sixel import SixelPreview

# textual-image asked the terminal what it can draw when it was imported (before Textual took
# over the terminal). Real graphics where it answered Kitty or Sixel; coloured half blocks
# everywhere else - tmux, plain SSH, a test's headless screen - rather than its plain-text fallback.
PreviewImage = {SixelImage: SixelPreview, TGPImage: TGPPreview}.get(BestRenderable, HalfcellImage)


class OutputCard(Horizontal):
    def __init__(self, output: Output, api: StudioClient) -> None:
        super().__init__(classes="output")
        self.output = output
        self.api = api

    def compose(self) -> ComposeResult:
        output = self.output
        facts = [f"{output.width}×{output.height}" if output.width and output.height else "", _size(output.size_bytes), output.content_type]
        with Vertical(classes="preview-box"):
            yield Static("loading…", classes="preview-note")
        yield Static(
            Text.assemble(
                (output.filename, "bold"),
                "\n",
                (" · ".join(fact for fact in facts if fact), "dim"),
                "\npath ",
                (output.path, "cyan"),
                "\nurl  ",
                # A signed link (?exp=&sig=) changes with each reading of the job: shown cut short,
                # copied whole (`y`).
                (f"{self.api.base_url}{_unsigned(output.url)}", "cyan underline"),
            ),
            classes="output-facts",
        )

    def on_mount(self) -> None:
        self.load_preview()

    @work(exclusive=True)
    async def load_preview(self) -> PILImage.Image | Text:
        """The image, or why there is none. Only fetched here: the card shows it (below).

        A worker is stopped only after its widget's children are gone, so one that looked for
        them could find nothing (NoMatches) while the card was being removed - the detail closed,
        or its outputs replaced, as a preview loaded.
        """
        try:
            data = await self.api.fetch(self.output.url)
            return await asyncio.to_thread(_decode, data)
        except (ClientError, OSError) as exc:
            return Text(f"no preview: {exc}", style="dim")

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Handled in the card's own message loop, which takes nothing more once the card is being
        # removed: here its preview box is always there.
        if event.state is not WorkerState.SUCCESS or (loaded := event.worker.result) is None:
            return
        box = self.query_one(".preview-box", Vertical)
        if isinstance(loaded, Text):
            box.query_one(Static).update(loaded)
            return
        preview = PreviewImage(loaded, classes="preview")
        # Sized here: textual-image 0.12 reads a fixed width before layout as 0 and then draws nothing.
        preview.styles.width, preview.styles.height = fit(loaded.size, self._box())
        await box.remove_children()
        await box.mount(preview)

    def _box(self) -> tuple[int, int]:
        """The cells a preview may take: a third of the screen each way, so several outputs fit."""
        width, height = self.app.size
        return max(8, min(40, width // 3)), max(4, min(16, height // 3))


def fit(image: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The largest (columns, rows) inside `box` that keep the image's shape on this terminal's cells."""
    cell_width, cell_height = get_cell_size()
    (width, height), (columns, rows) = image, box
    shape = width / height * cell_height / cell_width  # columns per row
    if columns / shape <= rows:
        return columns, max(1, round(columns / shape))
    return max(1, round(rows * shape)), rows


def _decode(data: bytes) -> PILImage.Image:
    image = PILImage.open(io.BytesIO(data))
    image.load()
    return image


def _size(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size} B"
    return f"{size / 1024:.1f} KB" if size < 1024**2 else f"{size / 1024**2:.1f} MB"


def _unsigned(url: str) -> str:
    path, signed, _ = url.partition("?")
    return f"{path}?…" if signed else path
