"""Build a :class:`Report` from the database: read the period's tickets once into arrays, then
count, compare and test.

Everything is computed in numpy over columns read with a handful of queries (no ORM object per
ticket), so a report over 200,000 tickets takes seconds (``bench/report.py``). Which patterns
count as unusual, and why, is in :mod:`amends.reports.stats` and the README ("Reports").
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy import Engine
from sqlmodel import Session, col

from amends import clock
from amends.config import Config
from amends.config.schema import ReportSettings
from amends.reports.findings import what_stands_out
from amends.reports.model import (
    UNCLASSIFIED,
    Example,
    Heatmap,
    Period,
    RepeatCustomer,
    Report,
    SevereCase,
    Volume,
)
from amends.reports.patterns import event_impacts, find_spikes, shift_patterns
from amends.reports.recovery import classifier_health, draft_use, outcomes, response_times
from amends.reports.timeline import (
    DAY,
    day_number,
    hour_of_day,
    local_date,
    local_seconds,
    weekday,
)
from models.tickets import Customer, Severity, Ticket

EXAMPLES = 3
LISTED = 25  # repeat customers listed
SEVERE_LISTED = 50
DAILY_WINDOW = 62  # up to this many days the volume is per day, above per week


@dataclass
class History:
    """The tickets from the start of the baselines to the end of the period, as columns."""

    ids: NDArray[np.int64]
    ts: NDArray[np.float64]
    local: NDArray[np.float64]
    day: NDArray[np.int64]
    type_code: NDArray[np.int64]
    types: list[str]
    owner: NDArray[np.object_]  # str, or None for no owner
    severe: NDArray[np.bool_]
    repeat: NDArray[np.bool_]
    status: NDArray[np.object_]  # the ticket's status as stored
    response_s: NDArray[np.float64]  # NaN: no reply yet
    customer: NDArray[np.int64]
    reopened: NDArray[np.bool_]
    first_day: int | None  # local day of the mailbox's first complaint ever

    def subset(self, mask: NDArray[np.bool_]) -> NDArray[np.int64]:
        return np.flatnonzero(mask)


def _period_filter(query: Any, mailbox: str | None) -> Any:
    return query.where(Ticket.mailbox == mailbox) if mailbox is not None else query


def _plain(column: Any) -> Any:
    """A column read as the stored string: no enum object per row (200,000 of them cost
    seconds)."""
    return sa.type_coerce(column, sa.String())


def raw_rows(conn: sa.Connection, query: Any) -> list[tuple[Any, ...]]:
    """The rows of ``query`` straight from the DB-API cursor, for queries of plain values
    (strings, numbers): building 200,000 SQLAlchemy Row objects costs more than the query."""
    result = conn.execute(query)
    try:
        return list(result.cursor.fetchall()) if result.cursor is not None else []
    finally:
        result.close()


def _epoch_column(engine: Engine, column: Any) -> Any:
    """A timestamp column in a form turned into epoch seconds fast: SQLite's stored text
    (parsed by numpy; STRFTIME per row costs more than the rest of the query), elsewhere the
    database's own EXTRACT(epoch)."""
    if engine.dialect.name == "sqlite":
        return _plain(column)
    return sa.cast(sa.extract("epoch", column), sa.Float)  # a float, not a Decimal per row


def _epochs(values: Sequence[Any]) -> NDArray[np.float64]:
    """Epoch seconds (NaN for None) from what ``_epoch_column`` selected."""
    if values and any(isinstance(v, str) for v in values):
        stamps = np.array(values, dtype="datetime64[us]")  # None -> NaT
        seconds = stamps.astype(np.int64).astype(np.float64) / 1e6
        return np.where(np.isnat(stamps), np.nan, seconds)
    return np.array(values, dtype=np.float64)  # None -> NaN


def _load(
    engine: Engine, zone: ZoneInfo, start: datetime, until: datetime, mailbox: str | None
) -> History:
    received = _epoch_column(engine, col(Ticket.received_at))
    responded = _epoch_column(engine, col(Ticket.first_response_at))
    query = _period_filter(
        sa.select(
            col(Ticket.id),
            received,
            col(Ticket.failure_type),
            col(Ticket.owner),
            _plain(col(Ticket.severity)),
            col(Ticket.repeat_failure),
            _plain(col(Ticket.status)),
            responded,
            col(Ticket.customer_id),
            col(Ticket.reopen_count),
        ).where(col(Ticket.received_at) >= start, col(Ticket.received_at) < until),
        mailbox,
    ).order_by(col(Ticket.received_at), col(Ticket.id))
    with engine.connect() as conn:
        rows = raw_rows(conn, query)
        first = conn.execute(
            _period_filter(sa.select(sa.func.min(col(Ticket.received_at))), mailbox)
        ).scalar()
    n = len(rows)
    columns = list(zip(*rows, strict=True)) if rows else [()] * 10
    ids = np.fromiter(columns[0], dtype=np.int64, count=n)
    ts = _epochs(columns[1])
    type_names = [t or UNCLASSIFIED for t in columns[2]]
    types = sorted(set(type_names))
    index = {t: i for i, t in enumerate(types)}
    local = local_seconds(ts, zone)
    response = _epochs(columns[7])
    first_day = None
    if first is not None:
        first_ts = np.array([_aware(first).timestamp()])
        first_day = int(day_number(local_seconds(first_ts, zone))[0])
    severity = np.array(columns[4], dtype=object)
    return History(
        ids=ids,
        ts=ts,
        local=local,
        day=day_number(local),
        type_code=np.fromiter((index[t] for t in type_names), dtype=np.int64, count=n),
        types=types,
        owner=np.array(columns[3], dtype=object),
        severe=severity == Severity.SEVERE.value,
        repeat=np.array(columns[5], dtype=bool) if n else np.zeros(0, dtype=bool),
        status=np.array(columns[6], dtype=object),
        response_s=np.maximum(response - ts, 0.0),
        customer=np.fromiter(columns[8], dtype=np.int64, count=n),
        reopened=np.array(columns[9], dtype=np.float64) > 0 if n else np.zeros(0, dtype=bool),
        first_day=first_day,
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class Builder:
    """One report: the loaded history plus the pieces computed so far."""

    def __init__(
        self,
        engine: Engine,
        config: Config,
        period: Period,
        now: datetime,
    ) -> None:
        self.engine = engine
        self.config = config
        self.settings: ReportSettings = config.reports
        self.period = period
        self.zone = ZoneInfo(period.timezone)
        self.now = now
        lookback = max(self.settings.baseline_days, self.settings.event_window_days) + 1
        self.loaded_from = period.since - timedelta(days=lookback)
        self.h = _load(engine, self.zone, self.loaded_from, period.until, period.mailbox)
        h = self.h
        self.hour = hour_of_day(h.local)
        self.day0 = self._day_of(period.since)
        self.day_end = self._day_of(period.until - timedelta(microseconds=1))
        self.ndays = max(1, self.day_end - self.day0 + 1)
        self.in_period = (h.ts >= period.since.timestamp()) & (h.ts < period.until.timestamp())
        self.p = np.flatnonzero(self.in_period)  # indexes of the period's tickets
        codes = h.type_code[self.p]
        totals = np.bincount(codes, minlength=len(h.types))
        order = sorted(range(len(h.types)), key=lambda i: (-totals[i], h.types[i]))
        self.order = [i for i in order if totals[i] > 0]
        self.totals = totals
        self._subjects: dict[int, tuple[str, str | None]] = {}

    def rows(self, query: Any) -> list[tuple[Any, ...]]:
        """Plain rows of ``query`` (see ``raw_rows``)."""
        with self.engine.connect() as conn:
            return raw_rows(conn, query)

    def scoped(self, query: Any) -> Any:
        """``query`` (joined with ticket) limited to the report's mailbox, if it has one."""
        return _period_filter(query, self.period.mailbox)

    def _day_of(self, moment: datetime) -> int:
        return int(day_number(local_seconds(np.array([moment.timestamp()]), self.zone))[0])

    # --- volume and heatmap -------------------------------------------------------------------

    def daily(self) -> NDArray[np.int64]:
        """Counts per type (rows, h.types order) per local day of the period."""
        h, p = self.h, self.p
        matrix = np.zeros((len(h.types), self.ndays), dtype=np.int64)
        np.add.at(matrix, (h.type_code[p], h.day[p] - self.day0), 1)
        return matrix

    def volume(self, daily: NDArray[np.int64]) -> Volume:
        types = [self.h.types[i] for i in self.order]
        total = int(daily.sum())
        if self.period.bucket == "day":
            buckets = [local_date(self.day0 + i) for i in range(self.ndays)]
            per_bucket = daily
        else:
            weeks = (np.arange(self.day0, self.day0 + self.ndays) + 3) // 7
            first_week = int(weeks[0])
            nweeks = int(weeks[-1]) - first_week + 1
            per_bucket = np.zeros((daily.shape[0], nweeks), dtype=np.int64)
            for i in range(nweeks):
                per_bucket[:, i] = daily[:, weeks == first_week + i].sum(axis=1)
            buckets = [local_date((first_week + i) * 7 - 3) for i in range(nweeks)]
        counts = {self.h.types[i]: [int(v) for v in per_bucket[i]] for i in self.order}
        totals = {t: sum(counts[t]) for t in types}
        return Volume(
            buckets=buckets,
            types=types,
            counts=counts,
            totals=totals,
            shares={t: totals[t] / total for t in types} if total else {},
            total=total,
        )

    def heatmap(self) -> Heatmap:
        h, p = self.h, self.p
        wd = weekday(h.day[p])
        hour = hour_of_day(h.local[p])
        cells = np.zeros((7, 24), dtype=np.int64)
        np.add.at(cells, (wd, hour), 1)
        by_type = {}
        for i in self.order:
            mine = h.type_code[p] == i
            grid = np.zeros((7, 24), dtype=np.int64)
            np.add.at(grid, (wd[mine], hour[mine]), 1)
            by_type[h.types[i]] = grid.tolist()
        return Heatmap(cells=cells.tolist(), by_type=by_type)

    # --- examples -----------------------------------------------------------------------------

    def examples(self, mask: NDArray[np.bool_]) -> list[Example]:
        """Placeholders for the first tickets under ``mask``; subjects are read in one query
        at the end (``fill_examples``)."""
        picked = np.flatnonzero(mask)[:EXAMPLES]
        return [
            Example(
                ticket_id=int(self.h.ids[i]),
                received_at=self.local_dt(self.h.ts[i]),
                failure_type=self.h.types[self.h.type_code[i]],
                subject="",
                owner=self.h.owner[i],
            )
            for i in picked
        ]

    def fill_subjects(self, examples: list[Example]) -> None:
        wanted = {e.ticket_id for e in examples} - set(self._subjects)
        if wanted:
            with Session(self.engine) as session:
                for ticket_id, subject, owner in session.execute(
                    sa.select(col(Ticket.id), col(Ticket.subject), col(Ticket.owner)).where(
                        col(Ticket.id).in_(wanted)
                    )
                ):
                    self._subjects[ticket_id] = (subject or "(no subject)", owner)
        for example in examples:
            example.subject = self._subjects.get(example.ticket_id, ("(no subject)", None))[0]

    def local_dt(self, ts: float) -> datetime:
        return datetime.fromtimestamp(float(ts), self.zone)

    # --- customers and severe cases -----------------------------------------------------------

    def repeat_customers(self) -> tuple[list[RepeatCustomer], int]:
        h, p = self.h, self.p
        if p.size == 0:
            return [], 0
        customers, counts = np.unique(h.customer[p], return_counts=True)
        flagged = set(customers[counts >= 2].tolist()) | set(h.customer[p][h.repeat[p]].tolist())
        if not flagged:
            return [], 0
        by_customer: dict[int, list[int]] = {}
        for i in p:
            c = int(h.customer[i])
            if c in flagged:
                by_customer.setdefault(c, []).append(int(i))
        ranked = sorted(
            by_customer, key=lambda c: (-len(by_customer[c]), -h.ts[by_customer[c][-1]])
        )
        listed = ranked[:LISTED]
        with Session(self.engine) as session:
            addresses = dict(
                session.execute(
                    sa.select(col(Customer.id), col(Customer.address)).where(
                        col(Customer.id).in_(listed)
                    )
                ).all()
            )
        rows = []
        for c in listed:
            mine = by_customer[c]
            kinds = Counter(h.types[h.type_code[i]] for i in mine)
            rows.append(
                RepeatCustomer(
                    address=addresses.get(c, f"customer {c}"),
                    complaints=len(mine),
                    failure_types=[t for t, _n in kinds.most_common()],
                    first_at=self.local_dt(h.ts[mine[0]]),
                    last_at=self.local_dt(h.ts[mine[-1]]),
                    ticket_ids=[int(h.ids[i]) for i in mine],
                    reopened=int(sum(bool(h.reopened[i]) for i in mine)),
                )
            )
        return rows, len(flagged)

    def severe(self) -> tuple[list[SevereCase], int]:
        h, p = self.h, self.p
        chosen = p[h.severe[p]]
        total = int(chosen.size)
        recent = chosen[::-1][:SEVERE_LISTED]
        cases = [
            SevereCase(
                ticket_id=int(h.ids[i]),
                received_at=self.local_dt(h.ts[i]),
                failure_type=h.types[h.type_code[i]],
                owner=h.owner[i],
                status=h.status[i],
                response_s=None if math.isnan(h.response_s[i]) else float(h.response_s[i]),
                subject="",
                repeat=bool(h.repeat[i]),
            )
            for i in recent
        ]
        return cases, total


def default_period(config: Config, now: datetime, days: int = 28) -> tuple[datetime, datetime]:
    """The last ``days`` whole local days up to and including today."""
    zone = ZoneInfo(config.reports.timezone)
    today = now.astimezone(zone).date()
    until = datetime.combine(today + timedelta(days=1), datetime.min.time(), zone)
    return until - timedelta(days=days), until


def build_report(
    engine: Engine,
    config: Config,
    *,
    since: datetime,
    until: datetime,
    mailbox: str | None = None,
    now: datetime | None = None,
    bucket: Literal["day", "week", "auto"] = "auto",
) -> Report:
    """The report over complaints received in [since, until) (aware datetimes)."""
    now = now or clock.now()
    if until <= since:
        raise ValueError("the report's end must come after its start")
    zone = config.reports.timezone
    span_days = (until - since).total_seconds() / DAY
    chosen: Literal["day", "week"] = (
        bucket if bucket != "auto" else ("day" if span_days <= DAILY_WINDOW else "week")
    )
    period = Period(
        since=since.astimezone(ZoneInfo(zone)),
        until=until.astimezone(ZoneInfo(zone)),
        timezone=zone,
        bucket=chosen,
        mailbox=mailbox,
    )
    builder = Builder(engine, config, period, now)
    daily = builder.daily()
    spikes = find_spikes(builder)
    severe, severe_total = builder.severe()
    repeat, repeat_total = builder.repeat_customers()
    by_type, by_owner, overall = response_times(builder)
    outcomes_type, outcomes_owner, outcomes_all, outcome_found = outcomes(builder)
    report = Report(
        period=period,
        generated_at=now.astimezone(ZoneInfo(zone)),
        volume=builder.volume(daily),
        heatmap=builder.heatmap(),
        shifts=shift_patterns(builder),
        spikes=spikes,
        events=event_impacts(builder),
        repeat_customers=repeat,
        repeat_total=repeat_total,
        severe=severe,
        severe_total=severe_total,
        response_by_type=by_type,
        response_by_owner=by_owner,
        response_all=overall,
        outcomes_by_type=outcomes_type,
        outcomes_by_owner=outcomes_owner,
        outcomes_all=outcomes_all,
        drafts=draft_use(builder),
        classifier=classifier_health(builder),
        findings=[],
        days=[local_date(builder.day0 + i) for i in range(builder.ndays)],
        daily={builder.h.types[i]: [int(v) for v in daily[i]] for i in builder.order},
    )
    report.findings = what_stands_out(report, outcome_found)
    examples = [e for s in report.spikes for e in s.examples]
    examples += [e for row in report.shifts.hours for o in row.outliers for e in o.examples]
    examples += [e for row in report.shifts.agents for o in row.outliers for e in o.examples]
    severe_examples = [
        Example(c.ticket_id, c.received_at, c.failure_type, "", c.owner) for c in report.severe
    ]
    builder.fill_subjects(examples + severe_examples)
    for case, example in zip(report.severe, severe_examples, strict=True):
        case.subject = example.subject
    return report
