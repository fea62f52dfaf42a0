"""The fixtures every test folder may use, registered once as pytest plugins:

- tests/fixtures/databases.py: real SQLite and PostgreSQL databases, settings, a client of the real app;
- tests/fixtures/stacks.py: Studio as real processes in front of the ComfyUI double;
- tests/comfyui_double/fixtures.py: the double alone (`comfy_double`, `comfy_double_process`).

Helpers (no fixtures) live in tests/common/. PostgreSQL and Redis tests skip on a laptop without
the server, but fail under CI (`CI=true`), where .ci/run has started them.
"""

pytest_plugins = ["tests.fixtures.databases", "tests.fixtures.stacks", "tests.comfyui_double.fixtures"]
