"""The TUI against a real Studio (single process) with the ComfyUI double behind it."""

import io
import os
import sys


def _import_textual_image_headless() -> None:
    """textual-image asks the terminal running pytest, once, what it can draw and how big a cell is.

    Run from a Kitty or Sixel terminal, previews would differ from a headless run's: make it see
    no terminal, as in CI, so the snapshots are the same everywhere.
    """
    stdout, cells = sys.__stdout__, {k: os.environ.pop(k) for k in ("TEXTUAL_CELL_WIDTH", "TEXTUAL_CELL_HEIGHT") if k in os.environ}
    sys.__stdout__ = io.TextIOWrapper(io.BytesIO())
    try:
        import textual_image.widget  # noqa: F401
    finally:
        sys.__stdout__ = stdout
        os.environ.update(cells)


_import_textual_image_headless()
