"""Sixel previews that xterm before patch 391 (Debian 12, Ubuntu 22.04) draws in the right colours.

textual-image (0.12) brings in each colour with its definition, `#5;2;100;40;0`, and draws with it
at once: it expects defining a colour register to select it, as xterm does from patch 391 on (its
sixel parser rewrite). xterm up to patch 390 only selects on a bare `#5` (graphics_sixel.c,
DECGCI) and keeps drawing with the register selected before - register 3 at the start of an image.
In an image's first sixel band every colour is new, so its top six pixel rows came out in one wrong
colour: the row of stray pixels along the top edge of a preview in `xterm -ti vt340`, with streaks
wherever a later band brought in a colour. The bug is xterm's; selecting each register right after
defining it works in every terminal and costs a few bytes per colour.
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


# textual-image has no public hook into its sixel data: its widget encodes through this method
# of its private drawing child (textual-image is pinned in requirements.lock).
class _SelectingSixels(_ImageSixelImpl):
    def _image_to_sixels(
        self, image: PILImage.Image, sixel_options: SixelOptions | None = None, background: BackgroundColor | None = None
    ) -> str:
        return select_after_define(super()._image_to_sixels(image, sixel_options, background))


class SixelPreview(SixelImage, Renderable=SixelImage._Renderable):
    def compose(self) -> ComposeResult:
        yield _SelectingSixels(self.image, self._sixel_options)
