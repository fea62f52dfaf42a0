"""nginx with deploy/nginx/studio.conf as a test runs it: the configuration as shipped, with only
its ports, upstream and certificate paths moved into the test's own (and a prefix, pid file, logs
and temp folders in the test's folder)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.common.paths import REPO
from tests.common.services import require_service
from tests.net import free_port

SITE = REPO / "deploy" / "nginx" / "studio.conf"
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path


@dataclass(frozen=True)
class Proxy:
    http_port: int
    https_port: int
    folder: Path


def nginx_binary() -> str:
    found = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin")  # sbin: not on every PATH
    if found is None:
        require_service("nginx", "nginx is not installed (apt-get install nginx-light)")
    return found


def self_signed(folder: Path, name: str = "localhost") -> Certificate:
    """The README's recipe: a self-signed certificate for `name` (and 127.0.0.1)."""
    cert = Certificate(folder / "studio.crt", folder / "studio.key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
         "-addext", f"subjectAltName=DNS:{name},IP:127.0.0.1", "-keyout", str(cert.key), "-out", str(cert.cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert


def site_config(*, http_port: int, https_port: int, upstream: str, certificate: Certificate) -> str:
    """studio.conf with the test's ports, upstream and certificate; fails if one of the lines it
    moves is no longer there (the shipped file changed shape: update this too)."""
    text = SITE.read_text()
    moves = {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
        "listen [::]:443 ssl;": "",
        "server api:8000;": f"server {upstream};",
        "/etc/nginx/certs/studio.crt": str(certificate.cert),
        "/etc/nginx/certs/studio.key": str(certificate.key),
    }
    for line, replacement in moves.items():
        assert line in text, f"{SITE} no longer has {line!r}"
        text = text.replace(line, replacement)
    return text


def main_config(folder: Path, site: Path) -> str:
    """The nginx.conf around the site: everything nginx writes stays in `folder`."""
    temps = "\n".join(f"    {name}_temp_path {folder / name};" for name in TEMP_PATHS)
    # As root, nginx would switch its workers to `nobody`, who cannot enter the test's folder.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}pid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} info;\ndaemon off;\nworker_processes 1;\n"
        f"events {{ worker_connections 256; }}\n"
        f"http {{\n    access_log {folder / 'access.log'};\n{temps}\n    include {site};\n}}\n"
    )


def write_config(folder: Path, upstream: str) -> tuple[Path, Proxy, Certificate]:
    folder.mkdir(parents=True, exist_ok=True)
    certificate = self_signed(folder)
    proxy = Proxy(free_port(), free_port(), folder)
    site = folder / "studio.conf"
    site.write_text(
        site_config(http_port=proxy.http_port, https_port=proxy.https_port, upstream=upstream, certificate=certificate)
    )
    conf = folder / "nginx.conf"
    conf.write_text(main_config(folder, site))
    return conf, proxy, certificate


def check(nginx: str, conf: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on the configuration."""
    return subprocess.run(
        [nginx, "-t", "-p", str(conf.parent), "-e", str(conf.parent / "error.log"), "-c", str(conf)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip


@contextmanager
def running_nginx(folder: Path, upstream: str) -> Iterator[tuple[Proxy, Certificate]]:
    """A real nginx in front of `upstream` (host:port) until the block ends."""
    nginx = nginx_binary()
    conf, proxy, certificate = write_config(folder, upstream)
    checked = check(nginx, conf)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(
        [nginx, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(conf)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_listening(proxy.https_port, process, folder)
        yield proxy, certificate
    finally:
        process.terminate()  # nginx's fast shutdown; its workers go with it
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_listening(port: int, process: subprocess.Popen[bytes], folder: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"nginx exited: {(folder / 'error.log').read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"nginx did not listen on {port}: {(folder / 'error.log').read_text()[-2000:]}")
