"""How jobs read on screen: status colours, times, durations, progress bars."""

from __future__ import annotations

import datetime

from rich.text import Text

from server.jobs.schemas import Job, Status

# The original system's gallery colours; users know them. As RGB, because themes remap the
# terminal's named colours (a theme's "blue" may well be purple).
STATUS_STYLES: dict[Status, str] = {
    "finished": "#4caf50",
    "failed": "#ef5350",
    "processing": "#fdd835",
    "queued": "#42a5f5",
    "cancelled": "#9e9e9e",
}


def status_text(status: Status) -> Text:
    return Text(status, style=f"bold {STATUS_STYLES[status]}")


def plain(text: str) -> Text:
    """User text as one line; never read as markup (a prompt may contain "[red]")."""
    return Text(" ".join(text.split()), no_wrap=True, overflow="ellipsis")


def when(moment: datetime.datetime | None) -> str:
    """Local date and time to the minute."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else "-"


def when_exact(moment: datetime.datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def duration(seconds: float) -> str:
    """7s, 3m 05s, 2h 04m, 3d 05h: the two leading units."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def span(seconds: float | None) -> str:
    """A measured time: 0.4s, 9.5s, 12s, 3m 04s; "-" when there is none."""
    if seconds is None:
        return "-"
    return f"{seconds:.1f}s" if seconds < 10 else duration(seconds)


def elapsed(job: Job, now: datetime.datetime) -> str:
    """Running: since it started; queued: how long it has waited."""
    return duration((now - (job.started_at or job.created_at)).total_seconds())


def progress_bar(percent: int, width: int) -> Text:
    filled = round(width * max(0, min(percent, 100)) / 100)
    return Text.assemble(
        ("━" * filled, STATUS_STYLES["processing"]), ("━" * (width - filled), "grey23"), f" {percent:>3}%"
    )


def image_count(job: Job) -> str:
    return str(len(job.outputs)) if job.outputs else "-"
