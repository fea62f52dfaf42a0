"""ComfyUI client: HTTP calls (ComfyClient), one socket per lane (ComfySession) and a
typed update stream per prompt (PromptFollower).

    async with ComfyClient("http://127.0.0.1:8188") as client, ComfySession(client) as session:
        follower = await session.submit(graph)
        async for update in follower:
            ...  # ProgressUpdate, PreviewUpdate, NodeTextUpdate, OutputUpdate, then the outcome
            # (Succeeded carries the files to fetch through /view and the SaveImageWebsocket images)

ComfyClient and ComfySession load httpx and websockets, so they are imported on first use: the job
schema's users (the client, the TUI) read node errors (node_errors.py) without loading either.
"""

import importlib
from typing import TYPE_CHECKING, Any

from server.comfy.errors import (
    ComfyBadRequest,
    ComfyError,
    ComfyNotFound,
    ComfyRejected,
    ComfyUnavailable,
)
from server.comfy.follower import (
    Failed,
    Interrupted,
    Lost,
    NodeTextUpdate,
    Outcome,
    OutputImage,
    OutputText,
    OutputUpdate,
    PreviewUpdate,
    ProgressUpdate,
    PromptFollower,
    SocketImage,
    Succeeded,
    Update,
)

if TYPE_CHECKING:
    from server.comfy.http import ComfyClient
    from server.comfy.session import ComfySession

__all__ = [
    "ComfyBadRequest",
    "ComfyClient",
    "ComfyError",
    "ComfyNotFound",
    "ComfyRejected",
    "ComfySession",
    "ComfyUnavailable",
    "Failed",
    "Interrupted",
    "Lost",
    "NodeTextUpdate",
    "Outcome",
    "OutputImage",
    "OutputText",
    "OutputUpdate",
    "PreviewUpdate",
    "ProgressUpdate",
    "PromptFollower",
    "SocketImage",
    "Succeeded",
    "Update",
]


_ON_FIRST_USE = {"ComfyClient": "server.comfy.http", "ComfySession": "server.comfy.session"}


def __getattr__(name: str) -> Any:
    """PEP 562: `from server.comfy import ComfyClient` imports the client only then."""
    if name in _ON_FIRST_USE:
        return getattr(importlib.import_module(_ON_FIRST_USE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
