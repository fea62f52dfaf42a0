"""A sweep's axes as people type them: `cfg=4,6,8` (`studio sweep --axis`, the TUI's sweep dialog)."""

from __future__ import annotations

from typing import Any

from client.cli import typed
from client.errors import ClientError

# As many as POST /api/sweeps takes.
MAX_AXES = 3
EXAMPLE = "e.g. cfg=4,6,8 or prompt=[\"a fox, red\", \"a wolf\"]"


def parse_axes(lines: list[str]) -> dict[str, list[Any]]:
    """NAME=V1,V2,... per axis, each value typed as `studio submit` types one (JSON when it parses,
    else text); a JSON list after the `=` gives values that hold commas."""
    axes: dict[str, list[Any]] = {}
    for line in lines:
        name, equals, raw = (part.strip() for part in line.partition("="))
        if not equals or not name or not raw:
            raise ClientError(f"{line!r} is not NAME=V1,V2,... ({EXAMPLE}).", usage=True)
        if name in axes:
            raise ClientError(f"The axis {name!r} is given twice: give each parameter once, with all its values.", usage=True)
        whole = typed(raw)
        axes[name] = whole if isinstance(whole, list) else [typed(value.strip()) for value in raw.split(",")]
    if not axes:
        raise ClientError(f"Give at least one axis: a parameter and its values ({EXAMPLE}).", usage=True)
    if len(axes) > MAX_AXES:
        raise ClientError(f"A sweep has at most {MAX_AXES} axes; {len(axes)} were given.", usage=True)
    return axes
