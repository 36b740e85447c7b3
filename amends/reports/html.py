"""The trend report as one self-contained HTML page: inline CSS, charts as embedded PNG data.

Nothing in the page points outside it (no fonts, scripts or images by URL), so it can be mailed
or opened offline. Customer text is autoescaped.
"""

from __future__ import annotations

import base64
import functools
import logging
import time
from dataclasses import fields
from pathlib import Path

import jinja2

from amends.reports import charts
from amends.reports.formatting import (
    describe_period,
    format_count,
    format_direction,
    format_duration,
    format_factor,
    format_moment,
    format_number,
    format_p_value,
    format_percent,
    format_share,
    format_spike_start,
    format_time,
)
from amends.reports.model import Report

__all__ = ["render_html"]

log = logging.getLogger(__name__)

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
