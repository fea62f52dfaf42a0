"""Helpers the tests share: import them from here, never from a conftest.py.

Fixtures that tests in several folders use are pytest plugins under tests/fixtures/,
registered once in tests/conftest.py (`pytest_plugins`).
"""
