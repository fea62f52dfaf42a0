"""Sixel previews that xterm before patch 391 (Debian 12, Ubuntu 22.04) draws in the right colours.

textual-image (0.12) brings in each colour with its definition, `#5;2;100;40;0`, and then draws
with it: on DEC's terminals, foot, WezTerm and xterm from patch 391 on, defining a colour register
also selects it. xterm up to patch 390 only defines it (graphics_sixel.c, DECGCI: only a bare `#5`
switched registers; the sixel parser rewrite of patch 391 selects on both) and keeps drawing with
the register selected before, register 3 at the start of an image. In an image's first sixel band
every colour is new, so its top six pixel rows came out in one wrong colour: the row of stray
pixels along the top edge of a preview in `xterm -ti vt340`, with streaks wherever a band
introduced a colour further down. Selecting each register right after defining it is what the
other terminals do anyway, and costs a few bytes per colour.
"""

from __future__ import annotations

import re

from PIL import Image as PILImage
from textual.app import ComposeResult
from textual_image._sixel import BackgroundColor, SixelOptions
from textual_image.widget.sixel import Image as SixelImage
from textual_image.widget.sixel import _ImageSixelImpl

# A colour register's definition in RGB, the only colour space textual-image writes.
_DEFINITION = re.compile(r"#(\d+);2;\d+;\d+;\d+")


def select_after_define(sixels: str) -> str:
    """`#5;2;r;g;b` becomes `#5;2;r;g;b#5`: defined, then selected, in every terminal."""
    return _DEFINITION.sub(r"\g<0>#\1", sixels)


class _SelectingSixels(_ImageSixelImpl):
    def _image_to_sixels(
        self, image: PILImage.Image, sixel_options: SixelOptions | None = None, background: BackgroundColor | None = None
    ) -> str:
        return select_after_define(super()._image_to_sixels(image, sixel_options, background))


class SixelPreview(SixelImage, Renderable=SixelImage._Renderable):
    def compose(self) -> ComposeResult:
        yield _SelectingSixels(self.image, self._sixel_options)
