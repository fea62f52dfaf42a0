"""How Studio's processes log: `studio serve` (through Litestar) and `studio worker` alike, so their
lines read the same - the level first, then the time and the logger."""

from __future__ import annotations

from litestar.logging.config import LoggingConfig

from server.http.error_log import log_exception


def logging_config() -> LoggingConfig:
    """Litestar applies it when the app is made; `studio worker` calls its `configure()`."""
    return LoggingConfig(
        log_exceptions="always",
        exception_logging_handler=log_exception,  # a 4xx is one line; tracebacks only for bugs
        # One line per ComfyUI request is noise; warnings and errors still show.
        loggers={"httpx": {"level": "WARNING"}, "piccolo": {"level": "WARNING"}},
    )
