"""``amends report`` and ``amends event``: trend reports and the change markers they show.

Registered on the main ``amends`` group by :mod:`amends.cli`; the work is in
:mod:`amends.reports`.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import click
from sqlalchemy import Engine

from amends import clock
from amends.cli import Context, _console, _rows, _when, cli, fail
from amends.cli_classifier import _on_database
from amends.config import Config
from amends.errors import AmendsError
from amends.reports.model import Report

_RELATIVE = re.compile(r"^(\d+)\s*([dw])$")


def parse_moment(text: str, zone: ZoneInfo, now: datetime, *, end: bool = False) -> datetime:
    """A report bound: "2026-11-01" (a local day; as an end, that day is included),
    "2026-11-01T09:00" (local unless it has an offset) or "30d"/"4w" (that long ago)."""
    value = text.strip()
    relative = _RELATIVE.match(value)
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2)
        today = datetime.combine(now.astimezone(zone).date(), datetime.min.time(), zone)
        return today - timedelta(days=amount * (7 if unit == "w" else 1)) + timedelta(days=1)
    try:
        if len(value) == 10:
            day = datetime.fromisoformat(value).date()
            start = datetime.combine(day, datetime.min.time(), zone)
            return start + timedelta(days=1) if end else start
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise AmendsError(
            f"cannot read {text!r} as a date",
            hint="use 2026-11-01, 2026-11-01T09:00 (in [reports] timezone unless it has an "
            'offset such as +01:00) or "30d" / "4w" for that long ago',
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _period(
    config: Config, since: str | None, until: str | None, now: datetime
) -> tuple[datetime, datetime]:
    from amends.reports.build import default_period

    zone = ZoneInfo(config.reports.timezone)
    start, stop = default_period(config, now)
    if until is not None:
        stop = parse_moment(until, zone, now, end=True)
    if since is not None:
        start = parse_moment(since, zone, now)
    elif until is not None:
        start = stop - timedelta(days=28)
    if stop <= start:
        raise AmendsError(
            f"the period ends ({stop:%Y-%m-%d %H:%M}) before it starts ({start:%Y-%m-%d %H:%M})",
            hint="--since is the first day included, --until the last",
        )
    return start, stop


@cli.command("report")
@click.option("--since", metavar="WHEN", help="First day (2026-11-01, or 30d / 4w ago).")
@click.option("--until", metavar="WHEN", help="Last day included (default: today).")
@click.option("--mailbox", metavar="NAME", help="Only this mailbox (default: all).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "html", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option(
    "--out",
    metavar="PATH",
    type=click.Path(path_type=Path),
    help="Write here instead of standard output (csv: a folder, one file per table).",
)
@click.option(
    "--by",
    "bucket",
    type=click.Choice(["auto", "day", "week"]),
    default="auto",
    show_default=True,
    help="Volume per day or per week (auto: per day up to two months).",
)
@click.pass_obj
def report(
    obj: Context,
    since: str | None,
    until: str | None,
    mailbox: str | None,
    fmt: str,
    out: Path | None,
    bucket: Literal["auto", "day", "week"],
) -> None:
    """Where complaints come from and how their recovery went: volume per failure type,
    when they arrive, who was on shift, spikes, changes after events, repeat and severe cases,
    response times, follow-up outcomes, what agents did with drafts, classifier health.

    The default period is the last 28 days up to today, in [reports] timezone.
    """
    if fmt == "csv" and out is None:
        fail(
            AmendsError(
                "the CSV report is a folder of files (one per table)",
                hint="give it with --out, e.g. --out report-2026-11",
            )
        )
    now = clock.now()

    def work(engine: Engine, config: Config) -> None:
        from amends.reports.build import build_report

        if mailbox is not None and mailbox not in {m.name for m in config.mailboxes}:
            raise AmendsError(
                f'no mailbox is named "{mailbox}"',
                hint="the names are those of [[mailboxes]] in the configuration",
            )
        start, stop = _period(config, since, until, now)
        built = build_report(
            engine, config, since=start, until=stop, mailbox=mailbox, now=now, bucket=bucket
        )
        _write(built, fmt, out)

    _on_database(obj, work)


def _write(built: Report, fmt: str, out: Path | None) -> None:
    from amends.reports.render import print_report, render_csv, render_text, to_json

    try:
        if fmt == "csv":
            assert out is not None
            files = render_csv(built, out)
            click.echo(f"wrote {len(files)} CSV files to {out}")
            return
        if fmt == "table" and out is None:
            print_report(built, _console())
            return
        if fmt == "html":
            from amends.reports.html import render_html

            text = render_html(built)
        elif fmt == "json":
            text = to_json(built)
        else:
            text = render_text(built)
        if out is None:
            sys.stdout.write(text)
        else:
            out.write_text(text, encoding="utf-8")
            click.echo(f"wrote {out}")
    except OSError as exc:
        raise AmendsError(
            f"cannot write the report to {out}: {exc.strerror or exc}",
            hint="check that the folder exists and is writable, and that the disk has room",
        ) from exc


@cli.group("event")
def event_group() -> None:
    """Change markers (a release, a new courier, a policy) that reports draw and compare
    before/after."""


@event_group.command("add")
@click.argument("name")
@click.option("--at", "at_text", metavar="WHEN", help="When it happened (default: now).")
@click.option("--mailbox", metavar="NAME", help="Only about this mailbox (default: all).")
@click.option("--detail", metavar="TEXT", help="A longer description.")
@click.pass_obj
def event_add(
    obj: Context, name: str, at_text: str | None, mailbox: str | None, detail: str | None
) -> None:
    """Mark a change NAME at --at (2026-11-01T09:00, in [reports] timezone unless it has an
    offset)."""
    from amends.reports.events import add_event

    now = clock.now()

    def work(engine: Engine, config: Config) -> str:
        if mailbox is not None and mailbox not in {m.name for m in config.mailboxes}:
            raise AmendsError(f'no mailbox is named "{mailbox}"')
        zone = ZoneInfo(config.reports.timezone)
        at = parse_moment(at_text, zone, now) if at_text else now
        marker = add_event(engine, name, at, mailbox=mailbox, detail=detail)
        return f"event {marker.id}: {marker.name} at {marker.at.astimezone(zone):%Y-%m-%d %H:%M %Z}"

    click.echo(_on_database(obj, work))


@event_group.command("list")
@click.pass_obj
def event_list(obj: Context) -> None:
    """Every change marker, from the database and the configuration file."""
    from amends.reports.events import list_events

    def work(engine: Engine, config: Config) -> list[list[str]]:
        zone = ZoneInfo(config.reports.timezone)
        return [
            [
                str(m.id) if m.id is not None else "config",
                _when(m.at.astimezone(zone)),
                m.mailbox or "all",
                m.name,
                m.detail or "",
            ]
            for m in list_events(engine, config)
        ]

    rows = _on_database(obj, work)
    console = _console()
    if not rows:
        console.print('no events: add one with amends event add "release 2.3" --at 2026-11-01')
        return
    _rows(console, "change markers", ["id", "at", "mailbox", "name", "detail"], rows)


@event_group.command("remove")
@click.argument("event_id", type=int)
@click.pass_obj
def event_remove(obj: Context, event_id: int) -> None:
    """Delete the change marker EVENT_ID (see amends event list)."""
    from amends.reports.events import remove_event

    marker = _on_database(obj, lambda engine, _config: remove_event(engine, event_id))
    click.echo(f"removed event {marker.id}: {marker.name}")
