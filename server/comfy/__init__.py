"""ComfyUI client: HTTP calls (ComfyClient), one socket per lane (ComfySession) and a
typed update stream per prompt (PromptFollower).

    async with ComfyClient("http://127.0.0.1:8188") as client, ComfySession(client) as session:
        follower = await session.submit(graph)
        async for update in follower:
            ...  # ProgressUpdate, PreviewUpdate, NodeTextUpdate, OutputUpdate, then the outcome
            # (Succeeded carries the files to fetch through /view and the SaveImageWebsocket images)
"""

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
