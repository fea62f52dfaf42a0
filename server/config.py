"""Settings: one typed place, filled from `STUDIO_*` environment variables and CLI flags."""

from __future__ import annotations

import base64
import ipaddress
import os
import re
import socket
from pathlib import Path
from typing import Annotated, Any, Collection, Literal, Mapping
from urllib.parse import urlsplit, urlunsplit

import msgspec

Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
Positive = Annotated[int, msgspec.Meta(ge=1)]


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    host: str = "127.0.0.1"
    port: Port = 8000
    data_dir: str = "data"
    # Empty means the SQLite file `<data_dir>/studio.sqlite`.
    database_url: str = ""
    # Empty means single-process mode: in-memory broker and channels.
    redis_url: str = ""
    comfy_urls: list[str] = msgspec.field(default_factory=lambda: ["http://127.0.0.1:8188"])
    workflows_dir: str = "workflows"
    # Prompt styles, one `<name>.toml` each (server/styles); a missing folder means none.
    styles_dir: str = "styles"
    upload_max_bytes: Positive = 20 * 1024 * 1024
    # Uploaded images larger than this on their longest side are downscaled.
    upload_max_side: Positive = 2048
    # Uploads with more pixels are refused before they are decoded (~4 bytes a pixel to decode).
    upload_max_pixels: Positive = 40_000_000
    output_retention_days: Positive = 30
    upload_retention_hours: Positive = 24
    # Workers. The name identifies this host's lanes across restarts (default: the host name).
    worker_name: str = ""
    lease_seconds: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    comfy_retries: Annotated[int, msgspec.Meta(ge=0)] = 12
    comfy_retry_delay: Annotated[float, msgspec.Meta(ge=0)] = 5.0
    # Runs of one job (ComfyUI restarted and forgot it, a worker died) before it fails.
    max_attempts: Positive = 3
    recovery_interval: Annotated[float, msgspec.Meta(gt=0)] = 10.0
    resend_after: Annotated[float, msgspec.Meta(gt=0)] = 300.0
    # Browsers (server/http/guard.py): the names Studio may be reached by (empty: the loopback
    # names and `host`; "*": any), and the other sites whose pages may send it commands.
    allowed_hosts: list[str] = msgspec.field(default_factory=list)
    allowed_origins: list[str] = msgspec.field(default_factory=list)
    # Access (server/access): run without keys although listening beyond loopback (anyone who can
    # reach the port may do anything); the key that signs output links (empty: a random one kept
    # in <data_dir>/secret); how long a signed link opens its file; the whole queue's cap.
    insecure_open: bool = False
    secret: str = ""
    link_seconds: Positive = 24 * 3600
    # How long a browser's sign-in (server/access/sessions.py) lasts.
    session_hours: Positive = 168
    max_queued: Positive | None = None
    # The most jobs one sweep (POST /api/sweeps) may make: the product of its axes' lengths.
    sweep_max_cells: Positive = 64
    # Logs (server/logs.py): the level, text or one JSON object a line, and a file besides
    # stderr (empty: none), rotated when it reaches log_file_max_bytes.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    log_file: str = ""
    log_file_max_bytes: Positive = 10 * 1024 * 1024
    # Peers (addresses or CIDR ranges) whose X-Forwarded-* headers Studio believes: its reverse
    # proxy (server/http/proxies.py). Empty: nobody's.
    trusted_proxies: list[str] = msgspec.field(default_factory=list)
    # Webhooks (server/webhooks/): destinations allowed although private, loopback or link-local
    # (host names or CIDR ranges), each attempt's timeout, the first retry's wait (doubling),
    # how long retries go on after the first attempt (seconds), the server's signing secret
    # (`whsec_` + base64; empty: a random one kept in <data_dir>/webhook_secret), and the URL
    # receivers reach Studio by, for the output links a delivery carries (empty: http://host:port).
    webhook_allow: list[str] = msgspec.field(default_factory=list)
    webhook_timeout: Annotated[float, msgspec.Meta(gt=0)] = 10.0
    webhook_retry_base: Annotated[float, msgspec.Meta(gt=0)] = 5.0
    webhook_retry_for: Annotated[float, msgspec.Meta(gt=0)] = 24 * 3600.0
    webhook_secret: str = ""
    public_url: str = ""

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @property
    def resolved_worker_name(self) -> str:
        return self.worker_name or socket.gethostname()

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_path / 'studio.sqlite'}"


class ConfigError(Exception):
    """A setting has a value Studio cannot start with; the message says which and why."""


# Environment variable -> field. STUDIO_COMFY_URL holds a comma-separated list.
ENV_VARS: dict[str, str] = {
    "STUDIO_HOST": "host",
    "STUDIO_PORT": "port",
    "STUDIO_DATA_DIR": "data_dir",
    "STUDIO_DATABASE_URL": "database_url",
    "STUDIO_REDIS_URL": "redis_url",
    "STUDIO_COMFY_URL": "comfy_urls",
    "STUDIO_WORKFLOWS_DIR": "workflows_dir",
    "STUDIO_STYLES_DIR": "styles_dir",
    "STUDIO_UPLOAD_MAX_BYTES": "upload_max_bytes",
    "STUDIO_UPLOAD_MAX_SIDE": "upload_max_side",
    "STUDIO_UPLOAD_MAX_PIXELS": "upload_max_pixels",
    "STUDIO_OUTPUT_RETENTION_DAYS": "output_retention_days",
    "STUDIO_UPLOAD_RETENTION_HOURS": "upload_retention_hours",
    "STUDIO_WORKER_NAME": "worker_name",
    "STUDIO_LEASE_SECONDS": "lease_seconds",
    "STUDIO_COMFY_RETRIES": "comfy_retries",
    "STUDIO_COMFY_RETRY_DELAY": "comfy_retry_delay",
    "STUDIO_MAX_ATTEMPTS": "max_attempts",
    "STUDIO_RECOVERY_INTERVAL": "recovery_interval",
    "STUDIO_RESEND_AFTER": "resend_after",
    "STUDIO_ALLOWED_HOSTS": "allowed_hosts",
    "STUDIO_ALLOWED_ORIGINS": "allowed_origins",
    "STUDIO_INSECURE_OPEN": "insecure_open",
    "STUDIO_SECRET": "secret",
    "STUDIO_LINK_SECONDS": "link_seconds",
    "STUDIO_SESSION_HOURS": "session_hours",
    "STUDIO_MAX_QUEUED": "max_queued",
    "STUDIO_SWEEP_MAX_CELLS": "sweep_max_cells",
    "STUDIO_LOG_LEVEL": "log_level",
    "STUDIO_LOG_FORMAT": "log_format",
    "STUDIO_LOG_FILE": "log_file",
    "STUDIO_LOG_FILE_MAX_BYTES": "log_file_max_bytes",
    "STUDIO_TRUSTED_PROXIES": "trusted_proxies",
    "STUDIO_WEBHOOK_ALLOW": "webhook_allow",
    "STUDIO_WEBHOOK_TIMEOUT": "webhook_timeout",
    "STUDIO_WEBHOOK_RETRY_BASE": "webhook_retry_base",
    "STUDIO_WEBHOOK_RETRY_FOR": "webhook_retry_for",
    "STUDIO_WEBHOOK_SECRET": "webhook_secret",
    "STUDIO_PUBLIC_URL": "public_url",
}
_FIELD_TO_ENV = {field: env for env, field in ENV_VARS.items()}
# Settings that are also command-line flags; every other one is an environment variable only.
FLAGS: dict[str, str] = {
    "host": "--host",
    "port": "--port",
    "data_dir": "--data-dir",
    "database_url": "--database-url",
    "redis_url": "--redis-url",
    "comfy_urls": "--comfy-url",
    "workflows_dir": "--workflows-dir",
}
# Settings whose few words are taken in any case, as the field spells them.
_CASELESS = {"log_level": str.upper, "log_format": str.lower}
_LIST_FIELDS = {"comfy_urls", "allowed_hosts", "allowed_origins", "trusted_proxies", "webhook_allow"}
_DATABASE_SCHEMES = ("sqlite:///", "postgres://", "postgresql://")
_URL_SCHEMES = {"redis_url": ("redis://", "rediss://", "unix://"), "comfy_urls": ("http://", "https://")}


def load_settings(
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    flags: Collection[str] = FLAGS,
) -> Settings:
    """Build settings from the environment, then CLI overrides (None values are ignored).

    `flags`: the settings the running command takes as flags; messages name only those."""
    environ = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    for env, field in ENV_VARS.items():
        if (value := environ.get(env)) is not None and value != "":
            raw[field] = [part.strip() for part in value.split(",") if part.strip()] if field in _LIST_FIELDS else value
    raw.update({key: value for key, value in (overrides or {}).items() if value is not None})
    for field, case in _CASELESS.items():  # `info` as well as `INFO`, `JSON` as well as `json`
        if isinstance(raw.get(field), str):
            raw[field] = case(raw[field])
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(_explain(exc, raw, flags)) from None
    _check_urls(settings, flags)
    _check_origins(settings)
    _check_proxies(settings)
    _check_webhooks(settings)
    return settings


def setting_name(field: str, flags: Collection[str] = FLAGS) -> str:
    """How a user sets `field`: `STUDIO_PORT / --port`, or just the variable when there is no such flag."""
    env = _FIELD_TO_ENV.get(field, field)
    return f"{env} / {FLAGS[field]}" if field in flags and field in FLAGS else env


def display_url(url: str) -> str:
    """`url` with its password masked, for messages and logs."""
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL at all: nothing to mask
        return url
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)))


def _explain(exc: msgspec.ValidationError, raw: Mapping[str, Any], flags: Collection[str]) -> str:
    """Turn msgspec's "Expected `int`, got `str` - at `$.port`" into a sentence naming the variable."""
    reason, _, where = str(exc).replace("`", "").partition(" - at $.")
    field = where.split("[")[0]
    reason = reason[0].lower() + reason[1:]
    return f"Invalid setting {setting_name(field, flags)}: {raw.get(field)!r} is not valid ({reason})."


def _check_urls(settings: Settings, flags: Collection[str]) -> None:
    if settings.database_url and not settings.database_url.startswith(_DATABASE_SCHEMES):
        raise ConfigError(
            f"Invalid setting {setting_name('database_url', flags)}: {display_url(settings.database_url)!r} is neither "
            "sqlite:///<path> nor postgres://user@host:port/database."
        )
    if settings.redis_url and not settings.redis_url.startswith(_URL_SCHEMES["redis_url"]):
        raise ConfigError(
            f"Invalid setting {setting_name('redis_url', flags)}: {display_url(settings.redis_url)!r} must start with redis://."
        )
    if not settings.comfy_urls:
        raise ConfigError(f"Invalid setting {setting_name('comfy_urls', flags)}: give at least one ComfyUI URL.")
    for url in settings.comfy_urls:
        if not url.startswith(_URL_SCHEMES["comfy_urls"]):
            raise ConfigError(
                f"Invalid setting {setting_name('comfy_urls', flags)}: {url!r} must start with http:// or https://."
            )
    urls = [("database_url", settings.database_url), ("redis_url", settings.redis_url)]
    for field, url in [*urls, *(("comfy_urls", url) for url in settings.comfy_urls)]:
        try:
            urlsplit(url).port  # reading the port checks the host and the port
        except ValueError as exc:
            raise ConfigError(
                f"Invalid setting {setting_name(field, flags)}: {display_url(url)!r} is not a URL ({exc})."
            ) from None


def _check_origins(settings: Settings) -> None:
    for origin in settings.allowed_origins:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") or parts.query:
            raise ConfigError(
                f"Invalid setting STUDIO_ALLOWED_ORIGINS: {origin!r} is not an origin; "
                "give scheme, host and port only, e.g. https://studio.example.com or http://localhost:3000."
            )


def _check_proxies(settings: Settings) -> None:
    for proxy in settings.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(
                f"Invalid setting STUDIO_TRUSTED_PROXIES: {proxy!r} is neither an IP address nor a CIDR range "
                "(comma-separated, e.g. 127.0.0.1,10.0.0.0/8)."
            ) from None


# A host name of letters, digits, hyphens and dots (what STUDIO_WEBHOOK_ALLOW may name besides ranges).
_HOST_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$")


def _check_webhooks(settings: Settings) -> None:
    for entry in settings.webhook_allow:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            if not _HOST_NAME.match(entry):
                raise ConfigError(
                    f"Invalid setting STUDIO_WEBHOOK_ALLOW: {entry!r} is neither a host name, an IP address nor a CIDR "
                    "range (comma-separated, e.g. 127.0.0.1,10.0.0.0/8,hooks.internal)."
                ) from None
    if settings.webhook_secret and webhook_secret_bytes(settings.webhook_secret) is None:
        raise ConfigError(
            "Invalid setting STUDIO_WEBHOOK_SECRET: give whsec_ followed by the base64 of 24 to 64 random bytes "
            "(e.g. python -c \"import base64,os; print('whsec_' + base64.b64encode(os.urandom(32)).decode())\")."
        )
    if settings.public_url and (not settings.public_url.startswith(("http://", "https://")) or not urlsplit(settings.public_url).hostname):
        raise ConfigError(
            f"Invalid setting STUDIO_PUBLIC_URL: {settings.public_url!r} is not a URL; give the address people reach Studio by, "
            "e.g. https://studio.example.com."
        )


def webhook_secret_bytes(secret: str) -> bytes | None:
    """The key a `whsec_<base64>` secret stands for (Standard Webhooks: 24 to 64 bytes), or None."""
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except ValueError:
        return None
    return key if secret.startswith("whsec_") and 24 <= len(key) <= 64 else None
