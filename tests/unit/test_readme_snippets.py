"""Code the README shows is code the tests run: the webhook receiver's verification snippet."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_readmes_webhook_snippet_is_the_one_the_webhook_tests_verify_with() -> None:
    snippet = (ROOT / "tests/integration/webhooks/readme_snippet.py").read_text()
    code = snippet.split("\n", 1)[1]  # after its comment line
    assert f"```python\n{code}```" in (ROOT / "README.md").read_text()
