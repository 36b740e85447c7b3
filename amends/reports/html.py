"""The trend report as one self-contained HTML page: inline CSS, charts as embedded PNG data.

Nothing in the page points outside it (no fonts, scripts or images by URL), so it can be mailed
or opened offline. Customer text is autoescaped.
"""

from __future__ import annotations

import base64
import functools
import logging
import math
import time
from dataclasses import fields
from datetime import date, datetime, timedelta
from pathlib import Path

import jinja2

from amends.reports import charts
from amends.reports.model import Period, Report, Spike

__all__ = [
    "MISSING",
    "describe_period",
    "format_count",
    "format_direction",
    "format_duration",
    "format_factor",
    "format_moment",
    "format_number",
    "format_p_value",
    "format_percent",
    "format_share",
    "format_spike_start",
    "format_time",
    "render_html",
]

log = logging.getLogger(__name__)

MISSING = "–"  # how every helper shows None
_TEMPLATES = Path(__file__).parent / "templates"


def render_html(report: Report, *, dpi: int = charts.DPI) -> str:
    """The whole report as one HTML page; charts without data show as "no data"."""
    started = time.perf_counter()
    drawn = charts.draw_charts(report, dpi=dpi)
    drawn_s = time.perf_counter() - started
    images = {f.name: _data_uri(getattr(drawn, f.name)) for f in fields(drawn)}
    page = (
        _environment()
        .get_template("report.html.j2")
        .render(
            report=report,
            charts=images,
            period=describe_period(report.period),
            daily_types=charts.daily_chart_types(report),
        )
    )
    log.debug(
        "rendered the HTML report in %.2f s (charts %.2f s, %d bytes)",
        time.perf_counter() - started,
        drawn_s,
        len(page),
    )
    return page


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


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        count=format_count,
        direction=format_direction,
        duration=format_duration,
        factor=format_factor,
        moment=format_moment,
        number=format_number,
        p_value=format_p_value,
        percent=format_percent,
        spike_start=format_spike_start,
        time=format_time,
    )
    env.globals["share"] = format_share
    return env


def _data_uri(png: bytes | None) -> str | None:
    if png is None:
        return None
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
