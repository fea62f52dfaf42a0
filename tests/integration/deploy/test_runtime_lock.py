"""requirements-runtime.lock, the image's dependencies: the runtime part of requirements.lock
(`uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -c requirements.lock -o
requirements-runtime.lock`, beside `make lock`), with the same pins and hashes and no test tools."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from tests.common.paths import REPO

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)")


def pins(path: Path) -> dict[str, tuple[str, frozenset[str]]]:
    """name -> (version, hashes) of a uv lock file."""
    versions: dict[str, str] = {}
    hashes: dict[str, set[str]] = {}
    name = ""
    for line in path.read_text().splitlines():
        if match := PIN.match(line):
            name = _normal(match.group(1))
            versions[name], hashes[name] = match.group(2), set()
        if name:  # a pin's hashes follow it, one a line
            hashes[name].update(re.findall(r"--hash=(sha256:[0-9a-f]{64})", line))
    return {name: (version, frozenset(hashes[name])) for name, version in versions.items()}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_runtime_lock_pins_as_the_full_lock_does() -> None:
    full, runtime = pins(REPO / "requirements.lock"), pins(REPO / "requirements-runtime.lock")
    assert {name: full.get(name) for name in runtime} == runtime


def test_the_runtime_lock_has_every_runtime_dependency_and_no_dev_one() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    runtime = pins(REPO / "requirements-runtime.lock")
    assert _names(project["dependencies"]) <= set(runtime)
    assert not _names(project["optional-dependencies"]["dev"]) & set(runtime)


def _names(requirements: list[str]) -> set[str]:
    return {_normal(re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]) for requirement in requirements}
