"""A report as terminal tables, JSON, or a folder of CSV files (HTML: :mod:`amends.reports.html`).

Customer text (subjects, addresses, event names) is printed as plain text: never read as Rich
markup, and a CSV cell that a spreadsheet would run as a formula is quoted with a leading "'".
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from amends.reports.formatting import (
    describe_period,
    format_duration,
    format_factor,
    format_number,
    format_p_value,
    format_percent,
    format_time,
)
from amends.reports.model import (
    WEEKDAYS,
    Example,
    OutcomeRow,
    Report,
    ResponseRow,
)

Cell = object  # str, int, float or None


# --- shared formatting ----------------------------------------------------------------------


def examples_text(examples: Sequence[Example]) -> str:
    return "; ".join(f"#{e.ticket_id} {e.subject}" for e in examples)


# --- JSON ------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def to_json(report: Report) -> str:
    """The whole report as one JSON object (times ISO 8601 with their offset; an infinite
    factor, a type new after an event, is null)."""
    data = _plain(dataclasses.asdict(report))
    data["empty"] = report.empty
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


# --- CSV -------------------------------------------------------------------------------------


def _safe(value: Cell) -> Cell:
    # A cell starting like a formula would run in a spreadsheet (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    if isinstance(value, float):
        return None if not math.isfinite(value) else round(value, 6)
    return value


def tables(report: Report) -> dict[str, tuple[list[str], list[list[Cell]]]]:
    """Every table of the report: name -> (columns, rows); what CSV files and tests read."""
    out: dict[str, tuple[list[str], list[list[Cell]]]] = {}
    volume = report.volume
    out["volume"] = (
        ["bucket", *volume.types, "total"],
        [
            [
                b.isoformat(),
                *(volume.counts[t][i] for t in volume.types),
                sum(volume.counts[t][i] for t in volume.types),
            ]
            for i, b in enumerate(volume.buckets)
        ],
    )
    out["volume_totals"] = (
        ["failure_type", "complaints", "share"],
        [[t, volume.totals[t], volume.shares.get(t)] for t in volume.types],
    )
    heat: list[list[Cell]] = [["all", WEEKDAYS[d], *report.heatmap.cells[d]] for d in range(7)]
    for kind, grid in report.heatmap.by_type.items():
        heat += [[kind, WEEKDAYS[d], *grid[d]] for d in range(7)]
    out["heatmap"] = (["failure_type", "weekday", *(f"{h:02d}" for h in range(24))], heat)
    out["hours"] = (
        ["hour", "complaints", "per_day", "on_shift", "stands_out"],
        [
            [
                f"{r.hour:02d}:00",
                r.complaints,
                r.per_day,
                " ".join(r.on_shift),
                "; ".join(f"{o.failure_type} {format_factor(o.factor)}" for o in r.outliers),
            ]
            for r in report.shifts.hours
        ],
    )
    out["shifts"] = (
        [
            "agent",
            "working_hours",
            "hours_on",
            "complaints",
            "per_hour",
            "rest_per_hour",
            "stands_out",
        ],
        [
            [
                a.agent,
                "; ".join(a.working_hours),
                a.hours_on,
                a.complaints,
                a.per_hour,
                a.rest_per_hour,
                "; ".join(f"{o.failure_type} {format_factor(o.factor)}" for o in a.outliers),
            ]
            for a in report.shifts.agents
        ],
    )
    out["outliers"] = (
        ["where", "failure_type", "observed", "expected", "factor", "p_value", "examples"],
        [
            [
                o.where,
                o.failure_type,
                o.observed,
                o.expected,
                o.factor,
                o.p_value,
                examples_text(o.examples),
            ]
            for o in [
                *(o for r in report.shifts.hours for o in r.outliers),
                *(o for a in report.shifts.agents for o in a.outliers),
            ]
        ],
    )
    out["spikes"] = (
        ["failure_type", "unit", "start", "count", "baseline", "factor", "p_value", "examples"],
        [
            [
                s.failure_type,
                s.unit,
                s.start.isoformat(),
                s.count,
                s.baseline,
                s.factor,
                s.p_value,
                examples_text(s.examples),
            ]
            for s in report.spikes
        ],
    )
    out["events"] = (
        [
            "event",
            "at",
            "source",
            "mailbox",
            "failure_type",
            "before",
            "after",
            "before_per_day",
            "after_per_day",
            "factor",
            "p_value",
            "change",
        ],
        [
            [
                e.name,
                e.at.isoformat(),
                e.source,
                e.mailbox,
                c.failure_type,
                c.before,
                c.after,
                c.before_per_day,
                c.after_per_day,
                c.factor,
                c.p_value,
                c.direction,
            ]
            for e in report.events
            for c in e.changes
        ],
    )
    out["repeat_customers"] = (
        ["customer", "complaints", "failure_types", "first", "last", "tickets", "reopened"],
        [
            [
                c.address,
                c.complaints,
                " ".join(c.failure_types),
                c.first_at.isoformat(),
                c.last_at.isoformat(),
                " ".join(str(t) for t in c.ticket_ids),
                c.reopened,
            ]
            for c in report.repeat_customers
        ],
    )
    out["severe"] = (
        [
            "ticket",
            "received",
            "failure_type",
            "owner",
            "status",
            "response_s",
            "repeat",
            "subject",
        ],
        [
            [
                c.ticket_id,
                c.received_at.isoformat(),
                c.failure_type,
                c.owner,
                c.status,
                c.response_s,
                int(c.repeat),
                c.subject,
            ]
            for c in report.severe
        ],
    )
    out["response"] = (
        ["group", "key", "tickets", "answered", "median_s", "p90_s", "waiting"],
        [
            [group, r.key, r.tickets, r.answered, r.median_s, r.p90_s, r.waiting]
            for group, rows in _response_groups(report)
            for r in rows
        ],
    )
    out["outcomes"] = (
        [
            "group",
            "key",
            "replied",
            "followups_sent",
            "answered",
            "satisfied",
            "satisfied_rate",
            "average_rating",
            "reopened",
            "reopen_rate",
        ],
        [
            [
                group,
                r.key,
                r.replied,
                r.followups_sent,
                r.answered,
                r.satisfied,
                r.satisfied_rate,
                r.average_rating,
                r.reopened,
                r.reopen_rate,
            ]
            for group, rows in _outcome_groups(report)
            for r in rows
        ],
    )
    out["drafts"] = (
        ["template", "replies", "unchanged", "lightly_edited", "rewritten"],
        [[d.template, d.replies, d.unchanged, d.light, d.rewritten] for d in report.drafts],
    )
    health = report.classifier
    out["classifier"] = (
        ["label", "predicted", "corrected", "correction_rate", "corrected_to"],
        [
            [
                label.label,
                label.predicted,
                label.corrected,
                label.correction_rate,
                " ".join(f"{to}:{n}" for to, n in label.corrected_to),
            ]
            for label in health.labels
        ],
    )
    out["findings"] = (
        ["kind", "finding", "p_value"],
        [[f.kind, f.text, f.p_value] for f in report.findings],
    )
    return out


def _response_groups(report: Report) -> list[tuple[str, list[ResponseRow]]]:
    return [
        ("failure_type", report.response_by_type),
        ("owner", report.response_by_owner),
        ("all", [report.response_all]),
    ]


def _outcome_groups(report: Report) -> list[tuple[str, list[OutcomeRow]]]:
    return [
        ("failure_type", report.outcomes_by_type),
        ("owner", report.outcomes_by_owner),
        ("all", [report.outcomes_all]),
    ]


def render_csv(report: Report, out_dir: Path) -> list[Path]:
    """One CSV file per table in ``out_dir`` (created), UTF-8 with a header row."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (columns, rows) in tables(report).items():
        path = out_dir / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            writer.writerows([_safe(cell) for cell in row] for row in rows)
        written.append(path)
    return written


# --- terminal --------------------------------------------------------------------------------


def _table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold")
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right", overflow="fold")
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    return table


def print_report(report: Report, console: Console) -> None:
    """The report as tables on a terminal (or plain text when piped)."""
    console.print(f"[bold]Amends report[/] {escape(describe_period(report.period))}")
    if report.empty:
        console.print("No complaints in this period.")
    console.print("\n[bold]What stands out[/]")
    if not report.findings:
        console.print("  nothing unusual")
    for finding in report.findings:
        console.print(f"  • {escape(finding.text)}")
    volume = report.volume
    console.print(
        _table(
            f"Volume ({volume.total} complaints)",
            ["failure type", "complaints", "share"],
            [
                [t, str(volume.totals[t]), format_percent(volume.shares.get(t))]
                for t in volume.types
            ],
        )
    )
    unit = "day" if report.period.bucket == "day" else "week of"
    shown = volume.types[:6]
    console.print(
        _table(
            f"Per {report.period.bucket}",
            [unit, *shown, "all"],
            [
                [
                    f"{b:%a %m-%d}",
                    *(str(volume.counts[t][i]) for t in shown),
                    str(sum(volume.counts[t][i] for t in volume.types)),
                ]
                for i, b in enumerate(volume.buckets)
            ],
        )
    )
    console.print(
        _table(
            "When complaints arrive (weekday x hour)",
            ["", *(f"{h:02d}" for h in range(24))],
            [[WEEKDAYS[d], *(str(v) for v in report.heatmap.cells[d])] for d in range(7)],
        )
    )
    console.print(
        _table(
            "Hours of the day",
            ["hour", "complaints", "per day", "on shift", "stands out"],
            [
                [
                    f"{r.hour:02d}:00",
                    str(r.complaints),
                    format_number(r.per_day),
                    " ".join(r.on_shift) or "–",
                    "; ".join(
                        f"{o.failure_type} {format_factor(o.factor)} ({format_p_value(o.p_value)})"
                        for o in r.outliers
                    ),
                ]
                for r in report.shifts.hours
                if r.complaints or r.on_shift
            ],
        )
    )
    console.print(
        _table(
            f"Shifts ({report.shifts.unstaffed_complaints} complaints while nobody was on shift)",
            ["agent", "hours", "on shift", "complaints", "per hour", "rest per hour", "stands out"],
            [
                [
                    a.agent,
                    "; ".join(a.working_hours),
                    f"{a.hours_on:.0f} h",
                    str(a.complaints),
                    format_number(a.per_hour, 2),
                    format_number(a.rest_per_hour, 2),
                    "; ".join(f"{o.failure_type} {format_factor(o.factor)}" for o in a.outliers),
                ]
                for a in report.shifts.agents
            ],
        )
    )
    console.print(
        _table(
            "Spikes",
            ["failure type", "when", "count", "expected", "factor", "p", "examples"],
            [
                [
                    s.failure_type,
                    f"{s.start:%a %Y-%m-%d}" + (f" {s.start:%H}:00" if s.unit == "hour" else ""),
                    str(s.count),
                    format_number(s.baseline),
                    format_factor(s.factor),
                    format_p_value(s.p_value).removeprefix("p = "),
                    examples_text(s.examples),
                ]
                for s in report.spikes
            ],
        )
    )
    for event in report.events:
        console.print(
            _table(
                f"Change marker: {event.name} ({format_time(event.at)}; "
                f"{event.before_days:.0f} days before, {event.after_days:.0f} after)",
                [
                    "failure type",
                    "before",
                    "after",
                    "per day before",
                    "per day after",
                    "factor",
                    "p",
                    "change",
                ],
                [
                    [
                        c.failure_type,
                        str(c.before),
                        str(c.after),
                        format_number(c.before_per_day, 2),
                        format_number(c.after_per_day, 2),
                        format_factor(c.factor),
                        format_p_value(c.p_value).removeprefix("p = "),
                        {"up": "↑ rose", "down": "↓ fell", "": ""}[c.direction],
                    ]
                    for c in event.changes
                ],
            )
        )
    console.print(
        _table(
            f"Repeat customers ({report.repeat_total})",
            ["customer", "complaints", "failure types", "last", "tickets", "reopened"],
            [
                [
                    c.address,
                    str(c.complaints),
                    " ".join(c.failure_types),
                    format_time(c.last_at),
                    " ".join(f"#{t}" for t in c.ticket_ids),
                    str(c.reopened),
                ]
                for c in report.repeat_customers
            ],
        )
    )
    console.print(
        _table(
            f"Severe cases ({report.severe_total})",
            ["ticket", "received", "failure type", "owner", "status", "first reply", "subject"],
            [
                [
                    f"#{c.ticket_id}",
                    format_time(c.received_at),
                    c.failure_type,
                    c.owner or "–",
                    c.status,
                    format_duration(c.response_s),
                    c.subject,
                ]
                for c in report.severe
            ],
        )
    )
    for group, response_rows in _response_groups(report):
        console.print(
            _table(
                f"Time to first response by {group.replace('_', ' ')}",
                [group.replace("_", " "), "tickets", "answered", "median", "p90", "waiting"],
                [
                    [
                        r.key,
                        str(r.tickets),
                        str(r.answered),
                        format_duration(r.median_s),
                        format_duration(r.p90_s),
                        str(r.waiting),
                    ]
                    for r in response_rows
                ],
            )
        )
    for group, outcome_rows in _outcome_groups(report):
        console.print(
            _table(
                f"Outcomes by {group.replace('_', ' ')}",
                [
                    group.replace("_", " "),
                    "replied",
                    "follow-ups",
                    "answered",
                    "satisfied",
                    "avg rating",
                    "reopened",
                ],
                [
                    [
                        r.key,
                        str(r.replied),
                        str(r.followups_sent),
                        str(r.answered),
                        format_percent(r.satisfied_rate),
                        format_number(r.average_rating),
                        format_percent(r.reopen_rate),
                    ]
                    for r in outcome_rows
                ],
            )
        )
    console.print(
        _table(
            "Drafts: what agents did with them",
            ["template", "replies", "unchanged", "lightly edited", "rewritten"],
            [
                [
                    d.template,
                    str(d.replies),
                    format_percent(d.unchanged / d.replies if d.replies else None),
                    format_percent(d.light / d.replies if d.replies else None),
                    format_percent(d.rewritten / d.replies if d.replies else None),
                ]
                for d in report.drafts
            ],
        )
    )
    health = report.classifier
    model = (
        f"active model {health.model_version}, macro-F1 {format_number(health.macro_f1, 2)}, "
        f"trained on {health.training_size}"
        if health.model_version
        else "no active model"
    )
    console.print(
        _table(
            f"Classifier: {health.classified} classified, "
            f"{format_percent(health.unsure_rate)} unsure; {model}",
            ["label", "predicted", "corrected", "rate", "corrected to"],
            [
                [
                    label.label,
                    str(label.predicted),
                    str(label.corrected),
                    format_percent(label.correction_rate),
                    ", ".join(f"{to} ({n})" for to, n in label.corrected_to[:3]),
                ]
                for label in health.labels
            ],
        )
    )


def render_text(report: Report, width: int = 120) -> str:
    """The terminal report as plain text (for mail bodies, files and tests)."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, highlight=False, color_system=None)
    print_report(report, console)
    return buffer.getvalue()


def render(report: Report, fmt: str) -> str:
    """``table`` (plain text) or ``json``; HTML is :func:`amends.reports.html.render_html`,
    CSV :func:`render_csv` (a folder)."""
    if fmt == "json":
        return to_json(report)
    if fmt == "table":
        return render_text(report)
    raise ValueError(f"no text rendering for format {fmt!r}")
