"""How Studio's processes log: `studio serve` (through Litestar), `studio worker` and `studio keys`
alike, so their lines read the same - the level first, then the time and the logger.

STUDIO_LOG_LEVEL sets the level, STUDIO_LOG_FORMAT=json makes each line one JSON object, and
STUDIO_LOG_FILE adds a file, rotated by size, next to stderr. The worker tags the lines it logs
about a job with the job's id and its own (`about_job`), so grepping an id shows the job's life.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import msgspec
from litestar.logging.config import LoggingConfig, default_handlers
from litestar.types.callable_types import GetLogger

from server.config import Settings
from server.http.error_log import log_exception

# Rotated files kept besides the current one (studio.log.1 ... studio.log.5).
LOG_FILE_BACKUPS = 5
TEXT_FORMAT = "%(levelname)s - %(asctime)s - %(name)s - %(module)s - %(message)s"
# Fields a line may carry besides its message: the job and worker it is about (`about_job`, or
# `extra`), and an audit line's (server/access/audit.py).
CONTEXT_FIELDS = ("job_id", "worker", "key", "action", "target")

_job: ContextVar[tuple[str, str] | None] = ContextVar("studio_job", default=None)
_encoder = msgspec.json.Encoder()


@contextlib.contextmanager
def about_job(job_id: uuid.UUID, worker: str) -> Iterator[None]:
    """Lines logged inside (in this task and the tasks it starts) carry `job_id` and `worker`."""
    token = _job.set((str(job_id), worker))
    try:
        yield
    finally:
        _job.reset(token)


class JobContext(logging.Filter):
    """Copies the job being worked on into the record; a filter of the handler that queues the
    record, so it runs in the thread and task that logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (job := _job.get()) is not None and not hasattr(record, "job_id"):
            record.job_id, record.worker = job
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and the context
    fields the record has; a traceback is part of the message."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["message"] += "\n" + record.exc_text
        for field in CONTEXT_FIELDS:
            if (value := getattr(record, field, None)) is not None:
                line[field] = str(value)
        return _encoder.encode(line).decode()


@dataclass
class StudioLoggingConfig(LoggingConfig):
    """Litestar writes its logger's level into the config as the app is made (INFO, DEBUG in
    debug mode): put STUDIO_LOG_LEVEL back before the config is applied."""

    level: str = "INFO"

    def configure(self) -> GetLogger:
        self.loggers["litestar"]["level"] = self.level
        return super().configure()


def logging_config(settings: Settings) -> LoggingConfig:
    """Litestar applies it when the app is made; `studio worker` and `studio keys` call its `configure()`."""
    formatter = "json" if settings.log_format == "json" else "standard"
    handlers: dict[str, dict[str, Any]] = {
        "console": {"class": "logging.StreamHandler", "formatter": formatter},
    }
    if settings.log_file:
        handlers["file"] = {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": settings.log_file,
            "maxBytes": settings.log_file_max_bytes,
            "backupCount": LOG_FILE_BACKUPS,
            "encoding": "utf-8",
            "formatter": formatter,
        }
    # Records go through a queue, so a slow terminal or disk never blocks the event loop.
    # Before Python 3.12, dictConfig resolves only `cfg://` references in a handler's arguments.
    behind = list(handlers) if sys.version_info >= (3, 12) else [f"cfg://handlers.{name}" for name in handlers]
    queue = {**default_handlers["queue_listener"], "handlers": behind, "filters": ["job"]}
    queue.pop("formatter", None)  # the handlers behind the queue format
    level = settings.log_level
    quiet = max(logging.getLevelName(level), logging.WARNING)
    return StudioLoggingConfig(
        level=level,
        log_exceptions="always",
        exception_logging_handler=log_exception,  # a 4xx is one line; tracebacks only for bugs
        formatters={"standard": {"format": TEXT_FORMAT}, "json": {"()": JsonFormatter}},
        filters={"job": {"()": JobContext}},
        handlers={**handlers, "queue_listener": queue},
        root={"handlers": ["queue_listener"], "level": level},
        loggers={
            "litestar": {"level": level, "handlers": ["queue_listener"], "propagate": False},
            # One line per ComfyUI request is noise; warnings and errors still show.
            "httpx": {"level": quiet},
            "piccolo": {"level": quiet},
        },
    )
