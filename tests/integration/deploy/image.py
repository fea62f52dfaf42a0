"""The Containerfile built with podman and run from its root filesystem.

Facts of the machines this runs on: `podman run` fails in the sandbox (crun cannot set rlimits),
so the image's files are exported and run with chroot in a mount and PID namespace of their own
(`unshare`: the mounts and every process go when it ends). No registry is reachable, so the base
is made locally: Debian bookworm (python3 3.11) by mmdebstrap, as slim as python:3.12-slim (no
perl, documentation or translations), cached in BASE_DIR and as a podman image, because it takes a
minute or two; podman's layer cache makes a rebuild of unchanged layers take seconds.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import shlex
import signal
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.common.paths import REPO
from tests.common.services import require_service

BASE_DIR = Path("/var/tmp/studio-test-base-slim")
BASE_IMAGE = "localhost/studio-test-base:bookworm-slim"
# What a runtime does not need, left out of the base: perl (usrmerge pulls it in unless the
# merged-usr hook sets up /usr), and every package's documentation (but its copyright), manual
# pages and translations. mmdebstrap already empties apt's lists and caches.
SLIM = [
    "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
    "--dpkgopt=path-exclude=/usr/share/doc/*",
    "--dpkgopt=path-include=/usr/share/doc/*/copyright",
    *(f"--dpkgopt=path-exclude=/usr/share/{folder}/*" for folder in ("man", "info", "locale", "lintian")),
]
IMAGE = "localhost/studio-test:latest"


def require_tools() -> None:
    missing = [tool for tool in ("podman", "mmdebstrap", "unshare", "chroot") if shutil.which(tool) is None]
    if missing:
        require_service("Container tools", f"{', '.join(missing)} missing (apt-get install podman mmdebstrap)")


def _podman(*args: str, timeout: float = 120) -> str:
    result = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"podman {' '.join(args)}: {result.stderr[-3000:]}"
    return result.stdout


def local_base() -> str:
    """The base image: Debian with python3 and this machine's CA bundle (so pip in the build
    trusts what this machine trusts, e.g. a proxy's CA). Made once, under a lock."""
    BASE_DIR.mkdir(parents=True, exist_ok=True)
    with (BASE_DIR / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if subprocess.run(["podman", "image", "exists", BASE_IMAGE]).returncode == 0:
            return BASE_IMAGE
        tar = BASE_DIR / "base.tar"
        if not tar.exists():
            partial = BASE_DIR / "base.tar.partial"
            subprocess.run(
                ["mmdebstrap", "--quiet", "--variant=minbase", "--format=tar", *SLIM,
                 "--include=python3,python3-venv,ca-certificates",
                 "--customize-hook=cat /etc/ssl/certs/ca-certificates.crt > \"$1/etc/ssl/certs/ca-certificates.crt\"",
                 "bookworm", str(partial)],
                check=True, capture_output=True, timeout=900,
            )  # fmt: skip
            partial.rename(tar)
        _podman("import", "--quiet", str(tar), BASE_IMAGE, timeout=300)
        return BASE_IMAGE


def build(base: str) -> None:
    _podman(
        "build", "--isolation=chroot", "--format=docker", "--quiet", f"--build-arg=BASE={base}",
        "-t", IMAGE, "-f", str(REPO / "Containerfile"), str(REPO), timeout=900,
    )  # fmt: skip


def size(image: str) -> int:
    return int(_podman("image", "inspect", "--format", "{{.Size}}", image).strip())


@dataclass(frozen=True)
class Config:
    """What the image says about running it (podman image inspect)."""

    env: dict[str, str]
    entrypoint: list[str]
    cmd: list[str]
    user: str
    workdir: str
    healthcheck: list[str]


def config(image: str) -> Config:
    inspected = json.loads(_podman("image", "inspect", image))[0]
    settings = inspected["Config"]
    return Config(
        env=dict(entry.split("=", 1) for entry in settings["Env"]),
        entrypoint=settings["Entrypoint"],
        cmd=settings["Cmd"],
        user=settings["User"],
        workdir=settings["WorkingDir"],
        healthcheck=(inspected.get("Healthcheck") or {}).get("Test", []),
    )


def export_root(image: str, folder: Path) -> Path:
    """The image's files, as a container of it would see them, in `folder`."""
    folder.mkdir(parents=True)
    container = _podman("create", image).strip()
    try:
        with subprocess.Popen(["podman", "export", container], stdout=subprocess.PIPE) as exported:
            subprocess.run(["tar", "-x", "-C", str(folder)], stdin=exported.stdout, check=True, timeout=300)
    finally:
        subprocess.run(["podman", "rm", "--force", container], capture_output=True)
    return folder


def _chroot(root: Path, image: Config, env: Mapping[str, str], argv: list[str]) -> list[str]:
    """A command line that runs `argv` in `root` as the image would (its user, working folder and
    environment, `env` on top), with /dev and /proc mounted in a mount and PID namespace that dies
    with it (--kill-child: if the test dies, so does everything in it)."""
    variables = [f"{name}={value}" for name, value in {**image.env, **env}.items()]
    inside = ["env", "-i", *variables, "sh", "-c", 'cd "$0" && exec "$@"', image.workdir, *argv]
    setup = f"mount --rbind /dev {shlex.quote(f'{root}/dev')} && mount -t proc proc {shlex.quote(f'{root}/proc')}"
    start = shlex.join(["chroot", f"--userspec={_ids(root, image.user)}", str(root), *inside])
    return ["unshare", "--mount", "--pid", "--fork", "--kill-child", "sh", "-c", f"{setup} && exec {start}"]


def _ids(root: Path, user: str) -> str:
    """uid:gid of the image's user, from the image's own /etc/passwd."""
    for line in (root / "etc" / "passwd").read_text().splitlines():
        name, _, uid, gid = line.split(":")[:4]
        if name == user:
            return f"{uid}:{gid}"
    raise AssertionError(f"the image has no user {user!r}")


def run_once(root: Path, image: Config, env: Mapping[str, str], argv: list[str]) -> str:
    """`argv` in the image, to its end; its standard output."""
    command = _chroot(root, image, env, argv)
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{' '.join(argv)}: {result.stderr[-3000:]}"
    return result.stdout


@contextmanager
def running(root: Path, image: Config, env: Mapping[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The image's own command (ENTRYPOINT + CMD) until the block ends, then stopped with its
    STOPSIGNAL (SIGTERM)."""
    command = _chroot(root, image, env, [*image.entrypoint, *image.cmd])
    with log.open("ab") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            # To Studio itself: unshare --fork ignores SIGTERM while it waits for its child.
            inside = [int(pid) for pid in Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()]
            for pid in inside:
                os.kill(pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                for pid in inside:  # the namespace's first process: its end ends every other one
                    os.kill(pid, signal.SIGKILL)
                process.wait(timeout=10)
