"""The TUI against a real Studio (single process) with the ComfyUI double behind it."""

from tests.integration.worker.conftest import double, double_settings, single_stack, workflows_dir  # noqa: F401 - fixtures
