"""A ComfyUI 0.3.64 test double: real HTTP + WebSocket on localhost, behaving like tests/data/comfyui.

    from tests.comfyui_double import ComfyDouble, DoubleSettings

    with ComfyDouble(DoubleSettings(models={"checkpoints": ["sd15.safetensors"]})) as comfy:
        ...  # talk to comfy.url / comfy.ws_url

Pytest fixtures live in tests.comfyui_double.fixtures; the CLI is `python -m tests.comfyui_double`.
"""

from .double import ComfyDouble
from .process import ComfyDoubleProcess
from .settings import DoubleSettings
from .state import InterruptRequest, ReceivedPrompt

__all__ = ["ComfyDouble", "ComfyDoubleProcess", "DoubleSettings", "InterruptRequest", "ReceivedPrompt"]
