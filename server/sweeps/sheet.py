"""A sweep's contact sheet: its cells' first images in a grid, labelled with their axis values.

The first axis runs down the rows, the second across the columns; a third makes one grid per
value, stacked top to bottom under a heading of their own. Each image is fitted into a square box;
a cell without one (failed, cancelled, or an image that is gone) is a grey box with a red cross and
the reason. A pure function of its inputs, so tests can check it pixel by pixel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
from PIL import Image, ImageDraw, ImageFont, ImageOps

from server.sweeps.schemas import SweepAxis

BOX = 256  # an image's longest side in the sheet
GAP = 8
LABEL_WIDTH = 160  # the row labels' column
HEADER_HEIGHT = 40  # the column labels' row
HEADING_HEIGHT = 48  # a third axis's value, above its grid
FONT_SIZE = 16
HEADING_SIZE = 20

BACKGROUND = (255, 255, 255)
INK = (20, 20, 20)
EMPTY = (160, 160, 160)
CROSS = (220, 30, 30)


class SheetCell(msgspec.Struct, frozen=True):
    """A cell as the sheet shows it: its first image's file, or why there is none."""

    index: int
    image: Path | None
    # Shown on a cell without an image: "failed", "cancelled", "no image".
    mark: str = "no image"


def contact_sheet(axes: list[SweepAxis], cells: list[SheetCell], *, box: int = BOX) -> Image.Image:
    """The sheet of a sweep over `axes` (one to three) whose cells are `cells` (row-major indexes)."""
    rows = axes[0].values
    columns = axes[1].values if len(axes) > 1 else [None]
    pages = axes[2].values if len(axes) > 2 else [None]
    by_index = {cell.index: cell for cell in cells}
    grid_width, grid_height = grid_size(len(rows), len(columns), box)
    heading = HEADING_HEIGHT if len(axes) > 2 else 0
    sheet = Image.new("RGB", (grid_width, len(pages) * (heading + grid_height)), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=FONT_SIZE)
    big = ImageFont.load_default(size=HEADING_SIZE)
    for p, page in enumerate(pages):
        top = p * (heading + grid_height)
        if heading:
            _text(draw, (GAP, top + GAP, grid_width - GAP, top + heading), label(axes[2], page), big, centred=False)
            top += heading
        for c, column in enumerate(columns):
            if column is not None:
                left = LABEL_WIDTH + GAP + c * (box + GAP)
                _text(draw, (left, top, left + box, top + HEADER_HEIGHT), label(axes[1], column), font)
        for r, row in enumerate(rows):
            y = top + HEADER_HEIGHT + r * (box + GAP)
            _text(draw, (GAP, y, LABEL_WIDTH, y + box), label(axes[0], row), font, centred=False)
            for c in range(len(columns)):
                index = (r * len(columns) + c) * len(pages) + p
                x = LABEL_WIDTH + GAP + c * (box + GAP)
                _cell(sheet, draw, (x, y), box, by_index.get(index), font)
    return sheet


def grid_size(rows: int, columns: int, box: int = BOX) -> tuple[int, int]:
    """(width, height) of one grid: the row labels, the column labels and the boxes with gaps."""
    return LABEL_WIDTH + GAP + columns * (box + GAP), HEADER_HEIGHT + rows * (box + GAP)


def label(axis: SweepAxis, value: Any) -> str:
    """`cfg = 4`: the value as JSON writes it, strings unquoted."""
    shown = value if isinstance(value, str) else msgspec.json.encode(value).decode()
    return f"{axis.name} = {shown}"


def cell_origin(axes: list[SweepAxis], index: int, box: int = BOX) -> tuple[int, int]:
    """Where the box of the cell at `index` starts in the sheet (for tests and thumbnails)."""
    sizes = [len(axis.values) for axis in axes] + [1] * (3 - len(axes))
    r, c, p = (index // (sizes[1] * sizes[2]), (index // sizes[2]) % sizes[1], index % sizes[2])
    heading = HEADING_HEIGHT if len(axes) > 2 else 0
    top = p * (heading + grid_size(sizes[0], sizes[1], box)[1]) + heading
    return LABEL_WIDTH + GAP + c * (box + GAP), top + HEADER_HEIGHT + r * (box + GAP)


def _cell(sheet: Image.Image, draw: ImageDraw.ImageDraw, at: tuple[int, int], box: int, cell: SheetCell | None, font: ImageFont.FreeTypeFont) -> None:
    x, y = at
    image = _open(cell.image) if cell and cell.image else None
    if image is not None:
        fitted = ImageOps.contain(image, (box, box), Image.Resampling.LANCZOS)
        sheet.paste(fitted, (x + (box - fitted.width) // 2, y + (box - fitted.height) // 2))
        return
    draw.rectangle((x, y, x + box - 1, y + box - 1), fill=EMPTY)
    width = max(2, box // 40)
    draw.line((x, y, x + box - 1, y + box - 1), fill=CROSS, width=width)
    draw.line((x, y + box - 1, x + box - 1, y), fill=CROSS, width=width)
    mark = cell.mark if cell else "no image"
    text_box = (x, y + box // 2 - FONT_SIZE, x + box, y + box // 2 + FONT_SIZE)
    draw.rectangle((x + box // 4, text_box[1], x + box - box // 4, text_box[3]), fill=BACKGROUND)
    _text(draw, text_box, mark, font)


def _open(path: Path) -> Image.Image | None:
    """The image, decoded in RGB; None when it is gone or no image (a cell then shows no image)."""
    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except (OSError, Image.DecompressionBombError):
        return None


def _text(draw: ImageDraw.ImageDraw, area: tuple[int, int, int, int], text: str, font: ImageFont.FreeTypeFont, *, centred: bool = True) -> None:
    """`text` in `area`, vertically centred, cut with an ellipsis where it is too wide."""
    left, top, right, bottom = area
    text = _fitted(text, font, right - left)
    width = font.getlength(text)
    x = left + (right - left - width) / 2 if centred else left
    draw.text((x, (top + bottom) / 2), text, fill=INK, font=font, anchor="lm")


def _fitted(text: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    if font.getlength(text) <= width:
        return text
    for end in range(len(text) - 1, 0, -1):
        if font.getlength(text[:end] + "…") <= width:
            return text[:end] + "…"
    return "…"

