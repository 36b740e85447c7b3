"""How a report writes its numbers and times, the same in every format: "3.2 h", "25%",
"p = 3e-07", "×2.4"; a missing value is "–"."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from amends.reports.model import Period, Spike

MISSING = "–"  # how every helper shows None


def describe_period(period: Period) -> str:
    """ "1 May 2024 – 11 May 2024 (Europe/Belgrade, mailbox support)": the last day included
    (``until`` itself is excluded)."""
    where = f"mailbox {period.mailbox}" if period.mailbox else "all mailboxes"
    last = period.until - timedelta(microseconds=1)
    return (
        f"{format_moment(period.since)} – {format_moment(last.date())} ({period.timezone}, {where})"
    )


def format_duration(seconds: float | None) -> str:
    """ "45 s", "12 min", "3.2 h", "2.5 d"."""
    if seconds is None or math.isnan(seconds):
        return MISSING
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def format_percent(fraction: float | None) -> str:
    """ "25%"; small shares keep one decimal ("0.4%") so that they do not read as none."""
    if fraction is None or math.isnan(fraction):
        return MISSING
    if fraction == 0 or abs(fraction) >= 0.1:
        return f"{fraction:.0%}"
    return f"{fraction:.1%}"


def format_share(part: int, whole: int) -> str:
    """Part of a whole as a percentage; nothing to share out shows as missing."""
    return format_percent(part / whole) if whole else MISSING


def format_p_value(p: float | None) -> str:
    """ "p = 3e-07", "p = 0.012"."""
    if p is None or math.isnan(p):
        return MISSING
    if p < 0.001:
        return f"p = {p:.0e}"
    return f"p = {p:.2g}"


def format_factor(factor: float | None) -> str:
    """ "×2.4"; an infinite factor (none before) reads "new"."""
    if factor is None or math.isnan(factor):
        return MISSING
    if math.isinf(factor):
        return "new"
    return f"×{factor:.2g}" if factor < 1 else f"×{factor:.1f}"


def format_number(value: float | None, digits: int = 1) -> str:
    if value is None or math.isnan(value):
        return MISSING
    return f"{value:,.{digits}f}"


def format_count(value: int | None) -> str:
    return MISSING if value is None else f"{value:,}"


def format_moment(at: datetime | date | None) -> str:
    """A date, or a date and time when the time is not midnight."""
    if at is None:
        return MISSING
    if not isinstance(at, datetime):
        return f"{at:%Y-%m-%d}"
    if at.hour == at.minute == 0:
        return f"{at:%Y-%m-%d}"
    return f"{at:%Y-%m-%d %H:%M}"


def format_time(at: datetime | None) -> str:
    return MISSING if at is None else f"{at:%Y-%m-%d %H:%M}"


def format_spike_start(spike: Spike) -> str:
    if spike.unit == "day":
        return f"{spike.start:%Y-%m-%d}"
    return f"{spike.start:%Y-%m-%d %H:00}–{(spike.start.hour + 1) % 24:02d}:00"


def format_direction(direction: str) -> str:
    return {"up": "↑ up", "down": "↓ down"}.get(direction, MISSING)
