"""The recorded ComfyUI graphs (tests/data/comfyui/workflows/), for tests that submit them."""

from __future__ import annotations

import copy
import json
from typing import Any

from tests.common.paths import REPO

WORKFLOWS = REPO / "tests" / "data" / "comfyui" / "workflows"


def workflow(name: str) -> dict[str, Any]:
    return copy.deepcopy(json.loads((WORKFLOWS / f"{name}.json").read_text()))
