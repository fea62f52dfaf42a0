"""compose.yaml and deploy/compose.single.yaml: valid for Compose, and the scaled-out shape the
README describes (migrate once, API replicas without workers behind the proxy, a named worker)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.common.paths import REPO
from tests.common.services import require_service

FILES = [REPO / "compose.yaml", REPO / "deploy" / "compose.single.yaml"]


def compose_command() -> list[str]:
    """`docker compose` (v2), else `docker-compose` (v1: Debian's package)."""
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    require_service("Compose", "neither `docker compose` nor docker-compose is installed (apt-get install docker-compose)")
    raise AssertionError("unreachable")


def resolved(path: Path) -> dict:
    """`compose config`: the file validated against Compose's schema, then resolved."""
    env = {k: v for k, v in os.environ.items() if k not in ("COMFY_URL", "STUDIO_PUBLIC_HOST", "POSTGRES_PASSWORD")}
    result = subprocess.run([*compose_command(), "-f", str(path), "config"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_compose_files_are_valid(path: Path) -> None:
    assert resolved(path)["services"]


def test_the_scaled_out_services() -> None:
    services = resolved(REPO / "compose.yaml")["services"]
    assert set(services) == {"postgres", "redis", "migrate", "api", "worker", "proxy"}
    assert services["migrate"]["command"] == ["migrate"]
    assert services["api"]["command"] == ["serve", "--no-worker"]
    assert services["api"]["deploy"]["replicas"] == 2
    assert services["worker"]["command"] == ["worker"]
    assert services["worker"]["environment"]["STUDIO_WORKER_NAME"]
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
        assert services[name]["environment"]["STUDIO_REDIS_URL"] == "redis://redis:6379/0"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["proxy"]["depends_on"]["api"]["condition"] == "service_healthy"
    # Studio believes X-Forwarded-* from exactly the proxy's address.
    proxy_address = services["proxy"]["networks"]["studio"]["ipv4_address"]
    assert services["api"]["environment"]["STUDIO_TRUSTED_PROXIES"] == proxy_address
    # Every Studio service shares the data volume (outputs, uploads, the link-signing secret).
    for name in ("migrate", "api", "worker"):
        assert "/data" in [_target(volume) for volume in services[name]["volumes"]], name


def _target(volume: str | dict) -> str:
    """Where a volume is mounted: Compose v2 resolves to the long form, v1 keeps `source:target:mode`."""
    return volume["target"] if isinstance(volume, dict) else volume.split(":")[1]
