"""Exceptions of the ComfyUI client (the sentences of a rejected prompt: node_errors.py)."""

from __future__ import annotations

from server.comfy.messages import PromptRejected
from server.comfy.node_errors import NodeError, describe_node_errors


class ComfyError(Exception):
    """Base class; also raised as is for a response of unexpected shape."""


class ComfyUnavailable(ComfyError):
    """ComfyUI did not answer or failed (refused, reset, timeout, 5xx): the one exception for
    "ComfyUI is unreachable", whether one call failed (retryable) or a caller gave up on it.

    `attempts` is how many tries the caller made before giving up (None: one call, as raised by
    the client itself).
    """

    def __init__(self, message: str, *, attempts: int | None = None) -> None:
        super().__init__(message)
        self.attempts = attempts


class ComfyNotFound(ComfyError):
    """404: no such file for /view, unknown folder for /models."""


class ComfyBadRequest(ComfyError):
    """Any other 4xx (bad /view parameters, upload refused, ...)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ComfyRejected(ComfyError):
    """ComfyUI refused the prompt (400), or accepted only part of it (200 + node_errors).

    `sentences` holds one actionable line per problem, e.g.
    "Node 4 (CheckpointLoaderSimple) input 'ckpt_name': value 'x.safetensors' not in list []".
    """

    def __init__(
        self,
        error_type: str,
        message: str,
        node_errors: dict[str, NodeError],
        *,
        details: str = "",
        prompt_id: str | None = None,
    ) -> None:
        self.error_type = error_type
        self.node_errors = node_errors
        self.prompt_id = prompt_id
        self.sentences = describe_node_errors(node_errors) or [_top_level(message, details)]
        super().__init__("; ".join(self.sentences))

    @classmethod
    def from_body(cls, body: PromptRejected) -> ComfyRejected:
        """From a POST /prompt 400 body."""
        error = body.error
        return cls(error.type, error.message, body.node_errors, details=error.details)


def _top_level(message: str, details: str) -> str:
    if details and details not in message:
        return f"{message} ({details})"
    return message
