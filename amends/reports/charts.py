"""The trend report's charts as PNG bytes, drawn with matplotlib's object API.

Never pyplot: the worker renders reports in threads and pyplot is global state. Every chart
returns ``None`` when it has nothing to show.
"""

from __future__ import annotations

import io
import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from amends.reports.model import WEEKDAYS, Report, Volume

__all__ = [
    "DPI",
    "ReportCharts",
    "daily_chart",
    "daily_chart_types",
    "draw_charts",
    "heatmap_chart",
    "hours_chart",
    "outcome_chart",
    "response_chart",
    "type_heatmaps_chart",
    "volume_chart",
]

DPI = 96
WIDTH_IN = 9.0
HEIGHT_IN = 3.5
TOP_TYPES = 8  # the volume chart sums the rest as "other"
DAILY_CHARTS = 6
HEATMAP_TYPES = 4
LEGEND_IN = 1.9  # room right of the volume chart for its legend
LINES_FROM_BUCKETS = 60  # past this many buckets, stacked bars get too thin to read

# matplotlib's colour-blind-friendly "tab10" without its grey, which marks "other".
_PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#17becf",
)
_OTHER = "#7f7f7f"
_MARK = "#222222"  # change markers and spikes
_HEATMAP = "viridis"

Counts = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ReportCharts:
    """Every chart of one report; ``None`` where there was nothing to draw."""

    volume: bytes | None
    daily: bytes | None
    heatmap: bytes | None
    heatmap_by_type: bytes | None
    hours: bytes | None
    response: bytes | None
    outcomes: bytes | None


def draw_charts(report: Report, *, dpi: int = DPI) -> ReportCharts:
    return ReportCharts(
        volume=volume_chart(report, dpi=dpi),
        daily=daily_chart(report, dpi=dpi),
        heatmap=heatmap_chart(report, dpi=dpi),
        heatmap_by_type=type_heatmaps_chart(report, dpi=dpi),
        hours=hours_chart(report, dpi=dpi),
        response=response_chart(report, dpi=dpi),
        outcomes=outcome_chart(report, dpi=dpi),
    )


def volume_chart(report: Report, *, dpi: int = DPI) -> bytes | None:
    """Complaints per bucket for the top types, with change markers and daily spikes."""
    volume = report.volume
    if volume.total == 0 or not volume.buckets:
        return None
    # A series of zeros adds nothing but a legend entry (and, stacked, a bar that pins the y axis).
    series = [
        (label, colour, counts) for label, colour, counts in _top_series(volume) if counts.any()
    ]
    if not series:
        return None
    step_days = 7 if report.period.bucket == "week" else 1
    x = np.arange(len(volume.buckets), dtype=float)
    stack = np.vstack([counts for _, _, counts in series])
    as_lines = len(x) > LINES_FROM_BUCKETS

    fig = _figure(HEIGHT_IN, right=LEGEND_IN, top=0.6)
    ax = fig.add_subplot()
    if as_lines:
        tops = stack.max(axis=0)
        for label, colour, counts in series:
            ax.plot(x, counts, label=_plain(label, 22), color=colour, linewidth=1.3)
    else:
        tops = stack.sum(axis=0)
        bottoms = np.cumsum(stack, axis=0) - stack  # each type on top of the ones before it
        for (label, colour, counts), bottom in zip(series, bottoms, strict=True):
            ax.bar(x, counts, width=0.85, bottom=bottom, label=_plain(label, 22), color=colour)

    # Spikes sit on top of their bar, or on their type's own line; a shared spot shares a mark.
    rows = {label: i for i, (label, _, _) in enumerate(series)}
    marked: dict[tuple[int, float], list[str]] = {}
    for spike in report.spikes:
        at = bisect_right(volume.buckets, _local(report, spike.start).date()) - 1
        row = rows.get(spike.failure_type, rows.get("other"))
        if spike.unit != "day" or not 0 <= at < len(x) or row is None:
            continue
        height = float(stack[row, at] if as_lines else tops[at])
        marked.setdefault((at, height), []).append(spike.failure_type)
    if marked:
        spots = list(marked)
        ax.scatter(
            [at for at, _ in spots],
            [height for _, height in spots],
            marker="v",
            s=36,
            color=_MARK,
            zorder=3,
            label="spike",
        )
        for spot, names in marked.items():
            ax.annotate(
                _plain(", ".join(dict.fromkeys(names)), 30),
                spot,
                xytext=(0, 7),
                textcoords="offset points",
                ha="center",
                fontsize=7,
            )

    _draw_events(ax, report, datetime.combine(volume.buckets[0], time()), step_days, len(x))
    _date_ticks(ax, volume.buckets)
    years = _years(volume.buckets)
    ax.set_xlim(-0.6, len(x) - 0.4)
    ax.set_ylim(0, tops.max() * 1.2)  # room above the tallest bar for a spike's mark and label
    ax.set_ylabel(f"complaints per {report.period.bucket}")
    ax.set_xlabel(f"week starting ({years})" if step_days == 7 else f"day ({years})")
    ax.set_title(f"Complaints per {report.period.bucket} by failure type", pad=16)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return _png(fig, dpi)


def daily_chart_types(report: Report) -> list[str]:
    """The types worth a daily chart: those with a spike, then those an event changed."""
    wanted = [spike.failure_type for spike in report.spikes]
    wanted += [c.failure_type for e in report.events for c in e.changes if c.direction]
    return [t for t in dict.fromkeys(wanted) if any(report.daily.get(t, ()))][:DAILY_CHARTS]


def daily_chart(report: Report, *, dpi: int = DPI) -> bytes | None:
    """Small daily charts for the types in :func:`daily_chart_types`, spike days marked."""
    types = daily_chart_types(report)
    days = report.days
    if not days or not types:
        return None
    columns = min(3, len(types))
    rows = math.ceil(len(types) / columns)
    fig = _figure(2.2 * rows + 1.0, left=0.75, top=0.65, bottom=0.75, hspace=0.7, wspace=0.25)
    axes = fig.subplots(rows, columns, squeeze=False)
    start = datetime.combine(days[0], time())
    x = np.arange(len(days), dtype=float)
    colours = _type_colours(report.volume)
    for ax, failure_type in zip(axes.flat, types, strict=False):
        counts = _padded(report.daily.get(failure_type, []), len(days))
        colour = colours.get(failure_type, _OTHER)
        if len(days) > LINES_FROM_BUCKETS:
            ax.plot(x, counts, color=colour, linewidth=1.0)
        else:
            ax.bar(x, counts, width=0.85, color=colour)
        spike_days = sorted(
            {
                at
                for spike in report.spikes
                if spike.failure_type == failure_type
                and 0 <= (at := (_local(report, spike.start).date() - days[0]).days) < len(days)
            }
        )
        if spike_days:
            ax.scatter(spike_days, counts[spike_days], marker="v", s=30, color=_MARK, zorder=3)
        _draw_events(ax, report, start, 1, len(days), label_size=6.5)
        _date_ticks(ax, days, ticks=4)
        ax.set_xlim(-0.6, len(days) - 0.4)
        ax.set_ylim(0, counts.max() * 1.15)
        ax.set_title(_plain(failure_type), fontsize=9, loc="left", pad=12)
        ax.tick_params(labelsize=7)
    for ax in axes.flat[len(types) :]:
        fig.delaxes(ax)
    fig.suptitle(
        f"Daily complaints for types with a spike or a change ({_years(days)})", fontsize=11
    )
    fig.supylabel("complaints per day", fontsize=9, x=0.01)
    handles = [
        Line2D([], [], marker="v", linestyle="", color=_MARK, label="spike"),
        Line2D([], [], linestyle="--", color=_MARK, label="change marker"),
    ]
    fig.legend(handles=handles, loc="lower center", ncols=2, fontsize=8, frameon=False)
    return _png(fig, dpi)


def heatmap_chart(report: Report, *, dpi: int = DPI) -> bytes | None:
    """All complaints by weekday and hour of day, with a colour bar."""
    cells = _grid(report.heatmap.cells)
    if cells is None:
        return None
    fig = _figure(HEIGHT_IN, left=0.6, right=0.1)
    ax = fig.add_subplot()
    image = ax.imshow(cells, aspect="auto", cmap=_HEATMAP, interpolation="nearest", vmin=0)
    _weekday_hour_ticks(ax, hour_step=2)
    ax.set_xlabel(f"hour of day ({report.period.timezone})")
    ax.set_ylabel("weekday")
    ax.set_title("Complaints by weekday and hour")
    fig.colorbar(image, ax=ax, pad=0.01).set_label("complaints")
    return _png(fig, dpi)


def type_heatmaps_chart(report: Report, *, dpi: int = DPI) -> bytes | None:
    """Weekday x hour for the busiest types, each on its own colour scale."""
    grids: list[tuple[str, Counts]] = []
    for failure_type in report.volume.types:
        grid = _grid(report.heatmap.by_type.get(failure_type, []))
        if grid is not None:
            grids.append((failure_type, grid))
        if len(grids) == HEATMAP_TYPES:
            break
    if not grids:
        return None
    fig = _figure(2.6, left=0.5, top=0.65, bottom=0.5, wspace=0.12)
    axes = fig.subplots(1, len(grids), squeeze=False)
    for i, (ax, (failure_type, grid)) in enumerate(zip(axes.flat, grids, strict=True)):
        ax.imshow(grid, aspect="auto", cmap=_HEATMAP, interpolation="nearest", vmin=0)
        _weekday_hour_ticks(ax, hour_step=6, weekdays=i == 0)
        ax.set_title(f"{_plain(failure_type, 24)} ({int(grid.sum())})", fontsize=9)
        ax.set_xlabel("hour", fontsize=8)
        ax.tick_params(labelsize=7)
    # No colour bars: these show where each type clusters, the big heatmap shows how many.
    fig.suptitle(
        "Weekday × hour per failure type (each on its own scale; brighter = more)", fontsize=10
    )
    return _png(fig, dpi)


def hours_chart(report: Report, *, dpi: int = DPI) -> bytes | None:
    """Complaints per day in each hour of the day; hours with an over-represented type stand out."""
    rows = report.shifts.hours
    if not rows or not any(row.complaints for row in rows):
        return None
    hours = np.array([row.hour for row in rows], dtype=float)
    per_day = np.array([row.per_day for row in rows], dtype=float)
    flagged = [bool(row.outliers) for row in rows]
    colours = [_PALETTE[1] if flag else _PALETTE[0] for flag in flagged]
    fig = _figure(HEIGHT_IN)
    ax = fig.add_subplot()
    ax.bar(hours, per_day, width=0.8, color=colours)
    for row, height in zip(rows, per_day, strict=True):
        if row.outliers:
            ax.annotate(
                _plain(row.outliers[0].failure_type, 16),
                (float(row.hour), float(height)),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                fontsize=7,
            )
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlim(-0.6, 23.6)
    ax.margins(y=0.15)
    ax.set_xlabel(f"hour of day ({report.period.timezone})")
    ax.set_ylabel("complaints per day")
    ax.set_title("Complaints per hour of day")
    handles = [Patch(color=_PALETTE[0], label="complaints per day")]
    if any(flagged):
        handles.append(Patch(color=_PALETTE[1], label="with an over-represented type"))
    ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=False)
    return _png(fig, dpi)


def response_chart(report: Report, *, dpi: int = DPI) -> bytes | None:
    """Median and 90th-percentile time to the first reply per type, in hours."""
    rows = [r for r in report.response_by_type if r.median_s is not None or r.p90_s is not None]
    if not rows:
        return None
    median = _values([r.median_s for r in rows], 1 / 3600)
    p90 = _values([r.p90_s for r in rows], 1 / 3600)
    return _paired_bars(
        [r.key for r in rows],
        (median, "median"),
        (p90, "90th percentile"),
        title="Time to first reply by failure type",
        xlabel="hours from complaint to first reply",
        dpi=dpi,
    )


def outcome_chart(report: Report, *, dpi: int = DPI) -> bytes | None:
    """Satisfied and reopen rates per type, in percent."""
    rows = [
        r
        for r in report.outcomes_by_type
        if r.satisfied_rate is not None or r.reopen_rate is not None
    ]
    if not rows:
        return None
    satisfied = _values([r.satisfied_rate for r in rows], 100)
    reopened = _values([r.reopen_rate for r in rows], 100)
    return _paired_bars(
        [r.key for r in rows],
        (satisfied, "satisfied (of answered follow-ups)"),
        (reopened, "reopened (of replied)"),
        title="Outcomes by failure type",
        xlabel="percent",
        dpi=dpi,
        limit=100.0,
    )


def _paired_bars(
    keys: Sequence[str],
    first: tuple[Counts, str],
    second: tuple[Counts, str],
    *,
    title: str,
    xlabel: str,
    dpi: int,
    limit: float | None = None,
) -> bytes:
    """Two horizontal bars per key; a missing value (NaN) leaves a gap."""
    y = np.arange(len(keys), dtype=float)
    labels = [_plain(key, 28) for key in keys]
    label_in = 0.3 + 0.07 * max(len(label) for label in labels)  # about 0.07 in a character
    fig = _figure(max(HEIGHT_IN, 0.32 * len(keys) + 1.3), left=label_in)
    ax = fig.add_subplot()
    for offset, (values, label), colour in (
        (-0.2, first, _PALETTE[0]),
        (0.2, second, _PALETTE[1]),
    ):
        shown = np.isfinite(values)
        ax.barh(y[shown] + offset, values[shown], height=0.4, label=label, color=colour)
    ax.set_yticks(y, labels)
    ax.set_ylim(len(keys) - 0.5, -0.5)  # first key on top
    if limit is not None:
        ax.set_xlim(0, limit)
    ax.set_xlabel(xlabel)
    # Title on the left and legend on the right, both above the bars they would otherwise hide.
    ax.set_title(title, loc="left")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2, fontsize=8, frameon=False)
    return _png(fig, dpi)


def _figure(
    height_in: float,
    *,
    left: float = 0.7,
    right: float = 0.2,
    bottom: float = 0.55,
    top: float = 0.4,
    hspace: float | None = None,
    wspace: float | None = None,
) -> Figure:
    """A figure with fixed margins in inches.

    No layout engine: constrained layout draws every figure twice and nearly doubles the time.
    """
    fig = Figure(figsize=(WIDTH_IN, height_in))
    fig.subplots_adjust(
        left=left / WIDTH_IN,
        right=1 - right / WIDTH_IN,
        bottom=bottom / height_in,
        top=1 - top / height_in,
        hspace=hspace,
        wspace=wspace,
    )
    return fig


def _top_series(volume: Volume) -> list[tuple[str, str, Counts]]:
    """(label, colour, counts) for the top types, then "other" when anything is left."""
    size = len(volume.buckets)
    colours = _type_colours(volume)
    top = volume.types[:TOP_TYPES]
    series = [(t, colours[t], _padded(volume.counts.get(t, []), size)) for t in top]
    rest = [_padded(volume.counts.get(t, []), size) for t in volume.types[TOP_TYPES:]]
    if rest:
        series.append(("other", _OTHER, np.sum(rest, axis=0)))
    return series


def _type_colours(volume: Volume) -> dict[str, str]:
    return {t: _PALETTE[i % len(_PALETTE)] for i, t in enumerate(volume.types[:TOP_TYPES])}


def _draw_events(
    ax: Axes,
    report: Report,
    start: datetime,
    step_days: int,
    size: int,
    *,
    label_size: float = 7.5,
) -> None:
    """A dashed line and a label for each change marker in the period and the drawn range.

    Bucket ``i`` is drawn over ``[i - 0.5, i + 0.5)``; ``start`` is the first bucket's start.
    """
    step = timedelta(days=step_days)
    period = report.period
    for event in report.events:
        if not period.since <= event.at <= period.until:
            continue
        place = (_local(report, event.at) - start) / step - 0.5
        if not -0.5 <= place <= size - 0.5:
            continue
        ax.axvline(place, linestyle="--", linewidth=1.0, color=_MARK, zorder=2)
        # Above the plot, where no bar can hide it.
        ax.text(
            place,
            1.01,
            _plain(event.name, 30),
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=label_size,
            color=_MARK,
        )


def _date_ticks(ax: Axes, days: Sequence[date], *, ticks: int = 9) -> None:
    """Label about ``ticks`` of the buckets, "3 May" (the axis label holds the year)."""
    every = max(1, math.ceil(len(days) / ticks))
    places = range(0, len(days), every)
    ax.set_xticks(places, [f"{days[i].day} {days[i]:%b}" for i in places])


def _years(days: Sequence[date]) -> str:
    first, last = days[0].year, days[-1].year
    return str(first) if first == last else f"{first}–{last}"


def _local(report: Report, at: datetime) -> datetime:
    """``at`` as naive wall-clock time in the report's zone, to measure against its days."""
    return at.astimezone(report.period.since.tzinfo).replace(tzinfo=None)


def _weekday_hour_ticks(ax: Axes, *, hour_step: int, weekdays: bool = True) -> None:
    ax.set_xticks(range(0, 24, hour_step), [f"{h:02d}" for h in range(0, 24, hour_step)])
    ax.set_yticks(range(7), WEEKDAYS if weekdays else [""] * 7)


def _grid(cells: Sequence[Sequence[int]]) -> Counts | None:
    """A weekday x hour grid as an array, or None when it is empty or misshapen."""
    if len(cells) != 7 or any(len(row) != 24 for row in cells):
        return None
    grid = np.asarray(cells, dtype=float)
    return grid if grid.sum() > 0 else None


def _padded(counts: Sequence[int], size: int) -> Counts:
    values = np.zeros(size)
    given = np.asarray(counts[:size], dtype=float)
    values[: len(given)] = given
    return values


def _values(values: Sequence[float | None], scale: float) -> Counts:
    return np.array([math.nan if v is None else v * scale for v in values], dtype=float)


def _plain(text: str, limit: int = 40) -> str:
    """Text for a chart: shortened, with dollar signs escaped so mathtext leaves it alone."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("$", r"\$")


def _png(fig: Figure, dpi: int) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
