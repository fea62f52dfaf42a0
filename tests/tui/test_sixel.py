"""A preview in a real Sixel terminal: `studio tui` in `xterm -ti vt340` under Xvfb, screenshotted.

xterm up to patch 390 (Debian 12 has 379) does not select a colour register when it is defined,
which drew each preview's first sixel band (its top six pixel rows) in one wrong colour; see
tui/widgets/detail/sixel.py. Asserted here: the image is where its cells are, in its own colours up
to its very top row, with nothing stray around it.
"""

from __future__ import annotations

import asyncio
import datetime
import io
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from tests.common.paths import REPO
from tests.common.services import require_service
from tests.integration.worker.stack import Stack
from tests.tui.studio_data import insert_jobs, job_row, store_output

TOOLS = ("Xvfb", "xterm", "xdotool", "import")
COLUMNS, ROWS = 100, 30
Colour = tuple[int, int, int]
# Quadrants in colours a sixel carries exactly (whole percents: multiples of 51) and that no text
# of the TUI uses, so that every pixel in them is the image's.
QUADRANTS: tuple[tuple[Colour, Colour], tuple[Colour, Colour]] = (
    ((204, 51, 102), (51, 153, 102)),
    ((51, 102, 204), (204, 153, 51)),
)
# What a resize blends at the edges between quadrants.
BLEND = 2
# How far a drawn channel may be from the image's (a percent is 2.55 steps).
TOLERANCE = 3
# Before exec'ing the TUI: note the cell size in pixels, as textual-image reads it.
CELLS = textwrap.dedent(
    """
    import fcntl, os, struct, sys, termios
    rows, columns, width, height = struct.unpack("HHHH", fcntl.ioctl(1, termios.TIOCGWINSZ, bytes(8)))
    open(sys.argv[1], "w").write(f"{width // columns} {height // rows}")
    os.execv(sys.argv[2], sys.argv[2:])
    """
)


def quadrants(width: int = 120, height: int = 80) -> Image.Image:
    image = Image.new("RGB", (width, height))
    for row, colours in enumerate(QUADRANTS):
        for column, colour in enumerate(colours):
            image.paste(colour, (column * width // 2, row * height // 2, (column + 1) * width // 2, (row + 1) * height // 2))
    return image


def _near(pixel: Colour, colour: Colour) -> bool:
    return all(abs(a - b) <= TOLERANCE for a, b in zip(pixel, colour))


class Display:
    """A private X display (Xvfb picks a free number itself) with the TUI in an xterm on it."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen[bytes]] = []
        xvfb = self._start(["Xvfb", "-displayfd", "1", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"], stdout=subprocess.PIPE)
        assert xvfb.stdout is not None
        number = xvfb.stdout.readline().decode().strip()
        assert number.isdigit(), f"Xvfb did not start: {number!r}"
        self.env = {**os.environ, "DISPLAY": f":{number}"}

    def _start(self, args: list[str], **kwargs) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(args, **kwargs)
        self.processes.append(process)
        return process

    def xterm(self, *command: str) -> tuple[int, int]:
        """Run `command` in `xterm -ti vt340` (COLUMNS x ROWS); returns the cell size it saw."""
        cells = self.tmp_path / "cells"
        xterm = self._start(
            ["xterm", "-ti", "vt340", "-xrm", "XTerm*allowSendEvents: true", "-geometry", f"{COLUMNS}x{ROWS}+0+0",
             "-e", sys.executable, "-c", CELLS, str(cells), *command],
            env=self.env, cwd=REPO, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        found = subprocess.run(
            ["xdotool", "search", "--sync", "--pid", str(xterm.pid)], env=self.env, capture_output=True, text=True, timeout=30
        )
        self.window = found.stdout.split()[-1]
        deadline = time.monotonic() + 30
        while not cells.exists() or not cells.read_text():
            assert time.monotonic() < deadline, "the xterm did not start its command"
            time.sleep(0.05)
        width, height = cells.read_text().split()
        return int(width), int(height)

    def keys(self, *keys: str) -> None:
        # Sent events reach xterm only with allowSendEvents; no window manager gives it focus here.
        subprocess.run(["xdotool", "key", "--window", self.window, *keys], env=self.env, check=True, capture_output=True, timeout=10)

    def screenshot(self) -> Image.Image:
        """The xterm window's inside: its character cells framed by xterm's internal border."""
        png = subprocess.run(["import", "-window", self.window, "png:-"], env=self.env, capture_output=True, check=True, timeout=30).stdout
        return Image.open(io.BytesIO(png)).convert("RGB")

    def close(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def display(tmp_path: Path) -> Iterator[Display]:
    if missing := [tool for tool in TOOLS if shutil.which(tool) is None]:
        require_service("Xvfb, xterm, xdotool and ImageMagick", f"{', '.join(missing)} not installed")
    screen = Display(tmp_path)
    yield screen
    screen.close()


def image_box(shot: Image.Image) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) around the pixels in the image's colours, or None."""
    found = Image.new("L", shot.size)
    for colour in (colour for row in QUADRANTS for colour in row):
        bands = ImageChops.difference(shot, Image.new("RGB", shot.size, colour)).point(lambda v: 255 if v <= TOLERANCE else 0).split()
        found = ImageChops.lighter(found, ImageChops.multiply(ImageChops.multiply(bands[0], bands[1]), bands[2]))
    return found.getbbox()


def test_a_preview_in_xterm_vt340_is_the_image_to_its_top_row(single_stack: Stack, display: Display, tmp_path: Path) -> None:
    created = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    output = store_output(single_stack, 1, "quadrants.png", quadrants())
    asyncio.run(insert_jobs(single_stack, [job_row(1, created, "four colours", outputs=[output])]))
    cell_width, cell_height = display.xterm(sys.executable, "-m", "studio", "tui", "--url", single_stack.url)
    # A key typed while textual-image asks the terminal what it can draw is read as the answer
    # (then it draws half blocks): no key before the TUI is up, connected to Studio.
    deadline = time.monotonic() + 60
    while '"WebSocket /ws/events" [accepted]' not in single_stack.log.read_text():
        assert time.monotonic() < deadline, "the TUI did not connect to Studio"
        time.sleep(0.1)

    # History (2), then the job's detail (enter); until the history has loaded they do nothing,
    # so they go again until the preview shows.
    box = None
    while box is None:
        assert time.monotonic() < deadline, "no preview was drawn"
        display.keys("2", "Return")
        time.sleep(1)
        box = image_box(display.screenshot())
    time.sleep(1)  # drawn completely
    shot = display.screenshot()
    shot.save(tmp_path / "xterm.png")
    box = image_box(shot)
    assert box is not None
    left, top, right, bottom = box
    where = f"image at {box}, screenshot {tmp_path / 'xterm.png'}"

    # In whole cells, as textual-image sizes it, from a cell's corner: nothing cut off or shifted.
    origin_x, origin_y = (shot.width - COLUMNS * cell_width) // 2, (shot.height - ROWS * cell_height) // 2
    assert (left - origin_x) % cell_width == 0 and (top - origin_y) % cell_height == 0, where
    assert (right - left) % cell_width == 0 and (bottom - top) % cell_height == 0, where
    assert right - left >= 8 * cell_width and bottom - top >= 4 * cell_height, where

    # Each quadrant in its colour, from the very first pixel row on.
    pixels = shot.load()
    middle_x, middle_y = (left + right) // 2, (top + bottom) // 2
    wrong = [
        (x, y, pixels[x, y])
        for y in range(top, bottom)
        for x in range(left, right)
        if abs(x - middle_x) > BLEND and abs(y - middle_y) > BLEND
        and not _near(pixels[x, y], QUADRANTS[y >= middle_y][x >= middle_x])
    ]  # fmt: skip
    assert not wrong, f"{len(wrong)} pixels off their quadrant's colour, first {wrong[:5]}; {where}"

    # Nothing stray along the top and bottom edges: the pixel row just outside holds only colours
    # of the line of text it belongs to (a title above, the background below).
    above, below = (top - 1, top - cell_height, top - 1), (bottom, bottom + 1, bottom + cell_height)
    for edge, first, end in (above, below):
        line = _colours(shot, (left, first, right, end))
        assert _colours(shot, (left, edge, right, edge + 1)) <= line, f"stray pixels in row {edge}; {where}"


def _colours(shot: Image.Image, box: tuple[int, int, int, int]) -> set[Colour]:
    return {colour for _, colour in shot.crop(box).getcolors(maxcolors=1 << 16) or []}
