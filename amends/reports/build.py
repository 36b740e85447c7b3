"""Build a :class:`Report` from the database: read the period's tickets once into arrays, then
count, compare and test.

Everything is computed in numpy over columns read with a handful of queries (no ORM object per
ticket), so a report over 200,000 tickets takes seconds (``bench/report.py``). Which patterns
count as unusual, and why, is in :mod:`amends.reports.stats` and the README ("Reports").
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from amends import clock
from amends.config import Config
from amends.config.schema import ReportSettings
from amends.reports import stats
from amends.reports.model import (
    UNCLASSIFIED,
    WEEKDAYS,
    ClassifierHealth,
    DraftUseRow,
    EventChange,
    EventImpact,
    Example,
    Finding,
    Heatmap,
    HourRow,
    LabelHealth,
    OutcomeRow,
    Outlier,
    Period,
    RepeatCustomer,
    Report,
    ResponseRow,
    SevereCase,
    ShiftRow,
    Shifts,
    Spike,
    Volume,
)
from amends.reports.schedules import load_schedules
from amends.reports.timeline import (
    DAY,
    SLOT_HOURS,
    day_number,
    hour_of_day,
    local_seconds,
    on_shift,
    quarter_starts,
    weekday,
)
from models.classification import Classification, LabelFeedback, active_model
from models.operations import ChangeMarker
from models.outbox import (
    Draft,
    OutboxItem,
    OutboxKind,
    OutboxState,
    Reply,
    ReplySource,
    SatisfactionAnswer,
)
from models.tickets import Customer, Severity, Ticket, TicketStatus

EPOCH = date(1970, 1, 1)
MIN_BASELINE_DAYS = 7  # a day is tested for a spike only with at least a week of history before
MAX_SPIKES = 50
EXAMPLES = 3
LISTED = 25  # repeat customers listed
SEVERE_LISTED = 50
DAILY_WINDOW = 62  # up to this many days the volume is per day, above per week


def local_date(day: int) -> date:
    return EPOCH + timedelta(days=int(day))


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


def _load(
    engine: Engine, zone: ZoneInfo, start: datetime, until: datetime, mailbox: str | None
) -> History:
    received = sa.extract("epoch", col(Ticket.received_at))
    responded = sa.extract("epoch", col(Ticket.first_response_at))
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
    ).order_by(received, col(Ticket.id))
    with engine.connect() as conn:
        rows = conn.execute(query).fetchall()
        first = conn.execute(_period_filter(sa.select(sa.func.min(received)), mailbox)).scalar()
    n = len(rows)
    columns = list(zip(*rows, strict=True)) if rows else [()] * 10
    ids = np.fromiter(columns[0], dtype=np.int64, count=n)
    ts = np.fromiter(columns[1], dtype=np.float64, count=n)
    type_names = [t or UNCLASSIFIED for t in columns[2]]
    types = sorted(set(type_names))
    index = {t: i for i, t in enumerate(types)}
    local = local_seconds(ts, zone)
    response = np.array(columns[7], dtype=np.float64) if n else np.zeros(0)  # None -> NaN
    first_day = None
    if first is not None:
        first_day = int(day_number(local_seconds(np.array([float(first)]), zone))[0])
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


Group = tuple[str, NDArray[np.bool_]]  # a row's key and which of the period's tickets it holds


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
                received_at=self._local_dt(self.h.ts[i]),
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

    def _local_dt(self, ts: float) -> datetime:
        return datetime.fromtimestamp(float(ts), self.zone)

    # --- spikes -------------------------------------------------------------------------------

    def spikes(self) -> tuple[list[Spike], NDArray[np.float64], NDArray[np.bool_]]:
        """Days (and hours) whose count of a type is improbably high against the trailing
        baseline: the type's mean over the ``baseline_days`` before, scaled by how busy that
        weekday (and hour of day) usually is. Returns the spikes, the expected counts per type
        and report day, and which report days had enough history to be tested."""
        h, s = self.h, self.settings
        ntypes = len(h.types)
        start = self.day0 - s.baseline_days
        span = self.day_end - start + 1
        counts = np.zeros((ntypes, span), dtype=np.float64)
        keep = (h.day >= start) & (h.day <= self.day_end)
        np.add.at(counts, (h.type_code[keep], h.day[keep] - start), 1)
        cumulative = np.concatenate([np.zeros((ntypes, 1)), np.cumsum(counts, axis=1)], axis=1)
        total = counts.sum(axis=0)
        first_known = max(start, h.first_day if h.first_day is not None else self.day_end + 1)
        expected = np.zeros((ntypes, self.ndays), dtype=np.float64)
        testable = np.zeros(self.ndays, dtype=bool)
        for i in range(self.ndays):
            d = self.day0 + i
            lo = max(d - s.baseline_days, first_known)
            n = d - lo
            if n < MIN_BASELINE_DAYS:
                continue
            testable[i] = True
            a, b = lo - start, d - start
            window = total[a:b]
            busy = 1.0
            mean_all = window.mean()
            if mean_all > 0:
                same = window[weekday(np.arange(lo, d)) == weekday(np.array([d]))[0]]
                busy = (same.sum() + mean_all) / (same.size + 1) / mean_all
                busy = min(max(busy, 0.2), 5.0)
            expected[:, i] = (cumulative[:, b] - cumulative[:, a] + 0.5) / n * busy
        observed = counts[:, self.day0 - start :]
        tested_types = int(np.count_nonzero(counts.sum(axis=1)))
        found: list[Spike] = []
        tests = max(1, tested_types * int(testable.sum()))
        candidates = (
            testable[None, :]
            & (observed >= s.min_count)
            & (observed >= s.spike_factor * np.maximum(expected, 1e-9))
        )
        rows, cols = np.nonzero(candidates)
        if rows.size:
            p = stats.poisson_excess(observed[rows, cols], expected[rows, cols])
            for t, col_, pv in zip(rows, cols, p, strict=True):
                if pv < s.alpha / tests:
                    d = self.day0 + int(col_)
                    mask = self.in_period & (h.type_code == t) & (h.day == d)
                    found.append(
                        Spike(
                            failure_type=h.types[t],
                            unit="day",
                            start=datetime.combine(
                                local_date(d), datetime.min.time(), tzinfo=self.zone
                            ),
                            count=int(observed[t, col_]),
                            baseline=float(expected[t, col_]),
                            factor=float(observed[t, col_] / expected[t, col_]),
                            p_value=float(pv),
                            examples=self.examples(mask),
                        )
                    )
        found.extend(self._hour_spikes(expected, testable, tested_types))
        found.sort(key=lambda x: (x.p_value, x.start))
        return found[:MAX_SPIKES], expected, testable

    def _hour_spikes(
        self, expected_day: NDArray[np.float64], testable: NDArray[np.bool_], tested_types: int
    ) -> list[Spike]:
        """Hours whose count of a type is improbably high: the day's expected count times the
        share of all complaints that usually arrive in that hour of the day."""
        h, s, p = self.h, self.settings, self.p
        if p.size == 0:
            return []
        hours_all = np.bincount(self.hour, minlength=24).astype(np.float64)
        share = (hours_all + 1) / (hours_all.sum() + 24)
        slot = np.floor(h.local[p] / 3600).astype(np.int64) - self.day0 * 24
        keys = h.type_code[p] * (self.ndays * 24) + slot
        unique, counts = np.unique(keys, return_counts=True)
        big = counts >= s.min_count
        unique, counts = unique[big], counts[big]
        t, slot_of = unique // (self.ndays * 24), unique % (self.ndays * 24)
        day_index, hour = slot_of // 24, slot_of % 24
        ok = testable[day_index]
        t, day_index, hour, counts = t[ok], day_index[ok], hour[ok], counts[ok]
        expected = expected_day[t, day_index] * share[hour]
        tests = max(1, tested_types * int(testable.sum()) * 24)
        p_values = stats.poisson_excess(counts.astype(np.float64), expected)
        found = []
        for ti, di, hi, count, exp, pv in zip(
            t, day_index, hour, counts, expected, p_values, strict=True
        ):
            if pv >= s.alpha / tests or count < s.spike_factor * exp:
                continue
            d = self.day0 + int(di)
            mask = self.in_period & (h.type_code == ti) & (h.day == d) & (self.hour == hi)
            found.append(
                Spike(
                    failure_type=h.types[ti],
                    unit="hour",
                    start=datetime.combine(local_date(d), datetime.min.time(), tzinfo=self.zone)
                    + timedelta(hours=int(hi)),
                    count=int(count),
                    baseline=float(exp),
                    factor=float(count / exp),
                    p_value=float(pv),
                    examples=self.examples(mask),
                )
            )
        return found

    # --- shifts -------------------------------------------------------------------------------

    def shifts(self) -> Shifts:
        h, p = self.h, self.p
        ntypes = len(h.types)
        codes = h.type_code[p]
        hours = hour_of_day(h.local[p])
        by_type_hour = np.zeros((ntypes, 24), dtype=np.float64)
        np.add.at(by_type_hour, (codes, hours), 1)
        per_hour = by_type_hour.sum(axis=0)
        type_totals = by_type_hour.sum(axis=1)
        total = float(p.size)
        hour_outliers = self._outliers(
            by_type_hour, per_hour, type_totals, total, tests=ntypes * 24
        )
        # Who was on shift: every quarter hour of the period and every ticket, per agent.
        slots = quarter_starts(self.period.since, self.period.until)
        slot_hour = hour_of_day(local_seconds(slots, self.zone))
        schedules = load_schedules(self.engine, self.config)
        agents: list[tuple[str, list[str], NDArray[np.bool_], NDArray[np.bool_]]] = []
        for name in sorted(schedules):
            versions = schedules[name]
            slot_on = np.zeros(slots.shape, dtype=bool)
            ticket_on = np.zeros(p.shape, dtype=bool)
            shown: list[str] = []
            for n, version in enumerate(versions):
                lo = version.valid_from.timestamp() if version.valid_from else -math.inf
                nxt = versions[n + 1].valid_from if n + 1 < len(versions) else None
                hi = nxt.timestamp() if nxt is not None else math.inf
                shifts = version.parsed()
                if not shifts:
                    continue
                sel = (slots >= lo) & (slots < hi)
                if sel.any():
                    slot_on[sel] = on_shift(local_seconds(slots[sel], version.zone), shifts)
                    shown = list(version.shifts)
                tsel = (h.ts[p] >= lo) & (h.ts[p] < hi)
                if tsel.any():
                    ticket_on[tsel] = on_shift(local_seconds(h.ts[p][tsel], version.zone), shifts)
            if slot_on.any() or ticket_on.any():
                agents.append((name, shown, slot_on, ticket_on))
        staffed_slots = np.zeros(slots.shape, dtype=bool)
        staffed_tickets = np.zeros(p.shape, dtype=bool)
        for _name, _shown, slot_on, ticket_on in agents:
            staffed_slots |= slot_on
            staffed_tickets |= ticket_on
        hour_rows = []
        for hour in range(24):
            in_hour = slot_hour == hour
            usual = [
                name
                for name, _shown, slot_on, _t in agents
                if in_hour.any() and slot_on[in_hour].mean() >= 0.5
            ]
            hour_rows.append(
                HourRow(
                    hour=hour,
                    complaints=int(per_hour[hour]),
                    per_day=float(per_hour[hour] / self.ndays),
                    on_shift=usual,
                    outliers=[
                        self._outlier(f"{hour:02d}:00-{(hour + 1) % 24:02d}:00", o, hours == hour)
                        for o in hour_outliers
                        if o[1] == hour
                    ],
                )
            )
        rows = []
        inside = np.zeros((ntypes, max(1, len(agents))), dtype=np.float64)
        inside_all = np.zeros(max(1, len(agents)), dtype=np.float64)
        for j, (_name, _shown, _slot_on, ticket_on) in enumerate(agents):
            np.add.at(inside[:, j], codes[ticket_on], 1)
            inside_all[j] = ticket_on.sum()
        agent_outliers = self._outliers(
            inside, inside_all, type_totals, total, tests=ntypes * max(1, len(agents))
        )
        for j, (name, shown, slot_on, ticket_on) in enumerate(agents):
            hours_on = float(slot_on.sum() * SLOT_HOURS)
            rest_slots = staffed_slots & ~slot_on
            rest_hours = float(rest_slots.sum() * SLOT_HOURS)
            rest = int((staffed_tickets & ~ticket_on).sum())
            rows.append(
                ShiftRow(
                    agent=name,
                    working_hours=shown,
                    hours_on=hours_on,
                    complaints=int(ticket_on.sum()),
                    per_hour=float(ticket_on.sum() / hours_on) if hours_on else 0.0,
                    rest_per_hour=rest / rest_hours if rest_hours else 0.0,
                    outliers=[
                        self._outlier(f"{name}'s shifts", o, ticket_on)
                        for o in agent_outliers
                        if o[1] == j
                    ],
                )
            )
        return Shifts(
            hours=hour_rows,
            agents=rows,
            unstaffed_complaints=int((~staffed_tickets).sum()) if agents else 0,
        )

    def _outliers(
        self,
        inside: NDArray[np.float64],
        inside_all: NDArray[np.float64],
        type_totals: NDArray[np.float64],
        total: float,
        tests: int,
    ) -> list[tuple[int, int, float, float, float]]:
        """(type, column, observed, expected, p) for every cell of ``inside`` (types x slices)
        where a type is over-represented against its share of everything."""
        s = self.settings
        if total <= 0:
            return []
        expected = type_totals[:, None] * inside_all[None, :] / total
        candidates = (inside >= s.min_count) & (
            inside >= s.outlier_factor * np.maximum(expected, 1e-9)
        )
        rows, cols = np.nonzero(candidates)
        if rows.size == 0:
            return []
        p = stats.fisher_excess(inside[rows, cols], inside_all[cols], type_totals[rows], total)
        limit = s.alpha / max(1, tests)
        return [
            (int(r), int(c), float(inside[r, c]), float(expected[r, c]), float(pv))
            for r, c, pv in zip(rows, cols, p, strict=True)
            if pv < limit
        ]

    def _outlier(
        self, where: str, found: tuple[int, int, float, float, float], within: NDArray[np.bool_]
    ) -> Outlier:
        t, _col, observed, expected, p_value = found
        mask = np.zeros(self.h.ts.shape, dtype=bool)
        mask[self.p[within & (self.h.type_code[self.p] == t)]] = True
        return Outlier(
            where=where,
            failure_type=self.h.types[t],
            observed=int(observed),
            expected=expected,
            factor=observed / expected if expected else math.inf,
            p_value=p_value,
            examples=self.examples(mask),
        )

    # --- change markers -----------------------------------------------------------------------

    def events(self) -> list[EventImpact]:
        h, s = self.h, self.settings
        since, until, mailbox = self.period.since, self.period.until, self.period.mailbox
        marked: list[tuple[str, datetime, Literal["database", "config"], str | None, str | None]]
        marked = []
        with Session(self.engine) as session:
            query = select(ChangeMarker).where(
                col(ChangeMarker.at) >= since, col(ChangeMarker.at) < until
            )
            for row in session.exec(query.order_by(col(ChangeMarker.at))):
                marked.append((row.name, row.at, "database", row.mailbox, row.detail))
        for event in self.config.events:
            at = event.at if event.at.tzinfo else event.at.replace(tzinfo=self.zone)
            if since <= at < until:
                marked.append((event.name, at, "config", event.mailbox, event.detail))
        if mailbox is not None:
            marked = [m for m in marked if m[3] in (None, mailbox)]
        marked.sort(key=lambda m: m[1])
        window = timedelta(days=s.event_window_days)
        known_from = self.loaded_from
        if h.first_day is not None:
            first = datetime.combine(local_date(h.first_day), datetime.min.time(), self.zone)
            known_from = max(known_from, first)
        end = min(until, self.now)
        impacts = []
        tests = max(1, len(marked) * len(h.types))
        for name, at, source, event_mailbox, detail in marked:
            b0 = max(at - window, known_from)
            a1 = max(min(at + window, end), at)
            before_days = max(0.0, (at - b0).total_seconds() / DAY)
            after_days = max(0.0, (a1 - at).total_seconds() / DAY)
            t_at = at.timestamp()
            before = np.bincount(
                h.type_code[(h.ts >= b0.timestamp()) & (h.ts < t_at)], minlength=len(h.types)
            ).astype(np.float64)
            after = np.bincount(
                h.type_code[(h.ts >= t_at) & (h.ts < a1.timestamp())], minlength=len(h.types)
            ).astype(np.float64)
            up, down = stats.rate_change(before, after, before_days, after_days)
            changes = []
            for i in sorted(np.flatnonzero(before + after), key=lambda i: -(before[i] + after[i])):
                b_rate = before[i] / before_days if before_days else 0.0
                a_rate = after[i] / after_days if after_days else 0.0
                factor = a_rate / b_rate if b_rate else math.inf
                direction: Literal["up", "down", ""] = ""
                testable = before_days >= 1 and after_days >= 1
                p_value = float(min(up[i], down[i])) if testable else 1.0
                if testable and up[i] < s.alpha / tests and factor >= s.event_factor:
                    direction = "up"
                elif testable and down[i] < s.alpha / tests and factor <= 1 / s.event_factor:
                    direction = "down"
                changes.append(
                    EventChange(
                        failure_type=h.types[i],
                        before=int(before[i]),
                        after=int(after[i]),
                        before_per_day=float(b_rate),
                        after_per_day=float(a_rate),
                        factor=float(factor),
                        p_value=p_value,
                        direction=direction,
                    )
                )
            impacts.append(
                EventImpact(
                    name=name,
                    at=at.astimezone(self.zone),
                    source=source,
                    mailbox=event_mailbox,
                    detail=detail,
                    before_days=before_days,
                    after_days=after_days,
                    changes=changes,
                )
            )
        return impacts

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
                    first_at=self._local_dt(h.ts[mine[0]]),
                    last_at=self._local_dt(h.ts[mine[-1]]),
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
                received_at=self._local_dt(h.ts[i]),
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

    # --- response and outcomes ----------------------------------------------------------------

    def _groups(self) -> tuple[list[Group], list[Group]]:
        h, p = self.h, self.p
        codes = h.type_code[p]
        by_type = [(h.types[i], codes == i) for i in self.order]
        owners = h.owner[p]
        owners = np.where(owners == None, "(no owner)", owners)  # noqa: E711 (elementwise)
        by_owner = [(o, owners == o) for o in sorted(set(owners.tolist()))]
        return by_type, by_owner

    def response(self) -> tuple[list[ResponseRow], list[ResponseRow], ResponseRow]:
        h, p = self.h, self.p
        response = h.response_s[p]
        open_ = h.status[p] != TicketStatus.CLOSED.value

        def row(key: str, mask: NDArray[np.bool_]) -> ResponseRow:
            answered = response[mask & ~np.isnan(response)]
            return ResponseRow(
                key=key,
                tickets=int(mask.sum()),
                answered=int(answered.size),
                median_s=stats.percentile(answered, 50),
                p90_s=stats.percentile(answered, 90),
                waiting=int((mask & np.isnan(response) & open_).sum()),
            )

        by_type, by_owner = self._groups()
        everything = np.ones(p.shape, dtype=bool)
        return (
            [row(k, m) for k, m in by_type],
            [row(k, m) for k, m in by_owner],
            row("all", everything),
        )

    def outcomes(self) -> tuple[list[OutcomeRow], list[OutcomeRow], OutcomeRow, list[Finding]]:
        h, p, s = self.h, self.p, self.settings
        followed = np.zeros(p.shape, dtype=bool)
        answered = np.zeros(p.shape, dtype=bool)
        satisfied = np.zeros(p.shape, dtype=bool)
        rating = np.full(p.shape, np.nan)
        if p.size:
            since, until = self.period.since, self.period.until
            in_period = (col(Ticket.received_at) >= since, col(Ticket.received_at) < until)
            sent = _period_filter(
                sa.select(col(OutboxItem.ticket_id))
                .join(Ticket, col(Ticket.id) == col(OutboxItem.ticket_id))
                .where(
                    col(OutboxItem.kind) == OutboxKind.FOLLOWUP,
                    col(OutboxItem.state) == OutboxState.SENT,
                    *in_period,
                ),
                self.period.mailbox,
            )
            answers = _period_filter(
                sa.select(
                    col(SatisfactionAnswer.ticket_id),
                    col(SatisfactionAnswer.rating),
                    col(SatisfactionAnswer.satisfied),
                )
                .join(Ticket, col(Ticket.id) == col(SatisfactionAnswer.ticket_id))
                .where(
                    *in_period,
                    sa.or_(
                        col(SatisfactionAnswer.rating).is_not(None),
                        col(SatisfactionAnswer.satisfied).is_not(None),
                    ),
                )
                .order_by(col(SatisfactionAnswer.created_at), col(SatisfactionAnswer.id)),
                self.period.mailbox,
            )
            with self.engine.connect() as conn:
                followed_ids = np.array(conn.execute(sent).scalars().all(), dtype=np.int64)
                rows = conn.execute(answers).fetchall()
            ids = h.ids[p]
            followed = np.isin(ids, followed_ids)
            if rows:
                # The last answer of each ticket counts.
                ticket_ids = np.array([r[0] for r in rows], dtype=np.int64)[::-1]
                values = np.array([r[1] for r in rows], dtype=np.float64)[::-1]  # None: NaN
                happy = np.array(
                    [np.nan if r[2] is None else float(r[2]) for r in rows], dtype=np.float64
                )[::-1]
                last_ids, first = np.unique(ticket_ids, return_index=True)
                values, happy = values[first], happy[first]
                # A rating alone says it: from satisfied_from up means satisfied.
                happy = np.where(
                    np.isnan(happy), values >= self.config.followups.satisfied_from, happy
                )
                order = np.argsort(ids)
                where = np.searchsorted(ids, last_ids, sorter=order)
                known = where < ids.size
                known[known] = ids[order[where[known]]] == last_ids[known]
                slots = order[where[known]]
                answered[slots] = True
                satisfied[slots] = happy[known] > 0
                rating[slots] = values[known]
        replied = ~np.isnan(h.response_s[p])
        reopened = h.reopened[p]

        def row(key: str, mask: NDArray[np.bool_]) -> OutcomeRow:
            n_answered = int((mask & answered).sum())
            n_replied = int((mask & replied).sum())
            ratings = rating[mask & answered]
            ratings = ratings[~np.isnan(ratings)]
            happy = int((mask & satisfied & answered).sum())
            n_reopened = int((mask & reopened).sum())
            return OutcomeRow(
                key=key,
                replied=n_replied,
                followups_sent=int((mask & followed).sum()),
                answered=n_answered,
                satisfied=happy,
                satisfied_rate=happy / n_answered if n_answered else None,
                average_rating=float(ratings.mean()) if ratings.size else None,
                reopened=n_reopened,
                reopen_rate=n_reopened / n_replied if n_replied else None,
            )

        by_type, by_owner = self._groups()
        type_rows = [row(k, m) for k, m in by_type]
        owner_rows = [row(k, m) for k, m in by_owner]
        findings = []
        unhappy = answered & ~satisfied
        total_answered, total_unhappy = float(answered.sum()), float(unhappy.sum())
        groups = [*by_type, *by_owner]
        tests = max(1, len(groups))
        for key, mask in groups:
            a = float((mask & unhappy).sum())
            n = float((mask & answered).sum())
            rest_n, rest_a = total_answered - n, total_unhappy - a
            if a < s.min_count or n == 0 or rest_n == 0:
                continue
            rate, rest_rate = a / n, rest_a / rest_n
            if rest_rate > 0 and rate < s.outlier_factor * rest_rate:
                continue
            pv = float(
                stats.fisher_excess(
                    np.array([a]), np.array([n]), np.array([total_unhappy]), total_answered
                )[0]
            )
            if pv < s.alpha / tests:
                findings.append(
                    Finding(
                        kind="outcome",
                        text=f"{key}: {1 - rate:.0%} of answered follow-ups satisfied, against "
                        f"{1 - rest_rate:.0%} for the rest ({int(a)} of {int(n)} unhappy; "
                        f"p = {pv:.0e})",
                        p_value=pv,
                    )
                )
        return type_rows, owner_rows, row("all", np.ones(p.shape, dtype=bool)), findings

    def drafts(self) -> list[DraftUseRow]:
        s = self.settings
        since, until = self.period.since, self.period.until
        ratio = sa.func.coalesce(col(Reply.diff_ratio), 0.0)
        light = sa.and_(ratio > s.unchanged_up_to, ratio < s.light_edit_below)
        query = _period_filter(
            sa.select(
                col(Draft.template),
                sa.func.count(),
                sa.func.sum(sa.case((ratio <= s.unchanged_up_to, 1), else_=0)),
                sa.func.sum(sa.case((light, 1), else_=0)),
            )
            .join(Draft, col(Draft.id) == col(Reply.draft_id))
            .join(Ticket, col(Ticket.id) == col(Reply.ticket_id))
            .where(
                col(Reply.sent_at) >= since,
                col(Reply.sent_at) < until,
                col(Reply.source) != ReplySource.FOLLOWUP,
            )
            .group_by(col(Draft.template)),
            self.period.mailbox,
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).fetchall()
        result = [
            DraftUseRow(
                template=template,
                replies=int(n),
                unchanged=int(same),
                light=int(edited),
                rewritten=int(n) - int(same) - int(edited),
            )
            for template, n, same, edited in sorted(rows, key=lambda r: (-r[1], r[0]))
        ]
        if result:
            sums = [sum(r.unchanged for r in result), sum(r.light for r in result)]
            sums.append(sum(r.rewritten for r in result))
            result.append(
                DraftUseRow("all", sum(sums), unchanged=sums[0], light=sums[1], rewritten=sums[2])
            )
        return result

    def classifier(self) -> ClassifierHealth:
        since, until = self.period.since, self.period.until
        with self.engine.connect() as conn:
            predictions = conn.execute(
                _period_filter(
                    sa.select(
                        col(Classification.label),
                        col(Classification.unsure),
                        col(Classification.model_version),
                        sa.func.count(),
                    )
                    .join(Ticket, col(Ticket.id) == col(Classification.ticket_id))
                    .where(
                        col(Classification.created_at) >= since,
                        col(Classification.created_at) < until,
                    )
                    .group_by(
                        col(Classification.label),
                        col(Classification.unsure),
                        col(Classification.model_version),
                    ),
                    self.period.mailbox,
                )
            ).fetchall()
            corrections = conn.execute(
                _period_filter(
                    sa.select(
                        col(LabelFeedback.old_label), col(LabelFeedback.new_label), sa.func.count()
                    )
                    .join(Ticket, col(Ticket.id) == col(LabelFeedback.ticket_id))
                    .where(
                        col(LabelFeedback.created_at) >= since,
                        col(LabelFeedback.created_at) < until,
                    )
                    .group_by(col(LabelFeedback.old_label), col(LabelFeedback.new_label)),
                    self.period.mailbox,
                )
            ).fetchall()
        with Session(self.engine) as session:
            model = active_model(session)
        predicted: Counter[str] = Counter()
        versions: Counter[str] = Counter()
        unsure = classified = 0
        for label, is_unsure, version, count in predictions:
            predicted[label] += count
            versions[version] += count
            classified += count
            unsure += count if is_unsure else 0
        moved: dict[str, Counter[str]] = {}
        for old, new, count in corrections:
            if old is not None and old != new:
                moved.setdefault(old, Counter())[new] += count
        labels = []
        for label in sorted(set(predicted) | set(moved), key=lambda x: (-predicted[x], x)):
            corrected = sum(moved.get(label, Counter()).values())
            labels.append(
                LabelHealth(
                    label=label,
                    predicted=predicted[label],
                    corrected=corrected,
                    correction_rate=corrected / predicted[label] if predicted[label] else None,
                    corrected_to=moved.get(label, Counter()).most_common(),
                )
            )
        holdout = (model.metrics or {}).get("holdout", {}) if model is not None else {}
        return ClassifierHealth(
            classified=classified,
            unsure=unsure,
            unsure_rate=unsure / classified if classified else None,
            labels=labels,
            model_version=model.version if model else None,
            model_created_at=model.created_at.astimezone(self.zone) if model else None,
            model_promoted_at=(
                model.promoted_at.astimezone(self.zone) if model and model.promoted_at else None
            ),
            training_size=model.training_size if model else None,
            macro_f1=holdout.get("macro_f1"),
            accuracy=holdout.get("accuracy"),
            versions_used=dict(versions.most_common()),
        )


def _day_text(moment: datetime) -> str:
    return f"{WEEKDAYS[moment.weekday()]} {moment:%Y-%m-%d}"


def _findings(report: Report, tested: list[Finding]) -> list[Finding]:
    """ "What stands out": the statistical findings strongest first, then the facts."""
    found: list[Finding] = list(tested)
    day_spikes = {(s.failure_type, s.start.date()) for s in report.spikes if s.unit == "day"}
    for spike in report.spikes:
        if spike.unit == "day":
            peak = [
                x
                for x in report.spikes
                if x.unit == "hour"
                and x.failure_type == spike.failure_type
                and x.start.date() == spike.start.date()
            ]
            at = f", most at {peak[0].start:%H}:00" if peak else ""
            text = (
                f"{spike.failure_type} spiked on {_day_text(spike.start)}: {spike.count} "
                f"complaints against {spike.baseline:.1f} expected (×{spike.factor:.1f}{at})"
            )
        elif (spike.failure_type, spike.start.date()) in day_spikes:
            continue
        else:
            text = (
                f"{spike.failure_type} spiked on {_day_text(spike.start)} at "
                f"{spike.start:%H}:00-{(spike.start.hour + 1) % 24:02d}:00: {spike.count} "
                f"complaints against {spike.baseline:.1f} expected (×{spike.factor:.1f})"
            )
        found.append(Finding("spike", text, spike.p_value))
    for row in report.shifts.hours:
        for o in row.outliers:
            who = f" ({', '.join(row.on_shift)} on shift)" if row.on_shift else " (nobody on shift)"
            found.append(
                Finding(
                    "hour",
                    f"{o.failure_type} complaints cluster at {o.where}{who}: {o.observed} "
                    f"against {o.expected:.1f} expected from the other hours (×{o.factor:.1f})",
                    o.p_value,
                )
            )
    for agent in report.shifts.agents:
        for o in agent.outliers:
            found.append(
                Finding(
                    "shift",
                    f"{o.failure_type} is over-represented during {o.where}: {o.observed} "
                    f"against {o.expected:.1f} expected from the other shifts (×{o.factor:.1f})",
                    o.p_value,
                )
            )
    for event in report.events:
        for change in event.changes:
            if not change.direction:
                continue
            verb = "rose" if change.direction == "up" else "fell"
            factor = "new" if math.isinf(change.factor) else f"×{change.factor:.1f}"
            found.append(
                Finding(
                    "event",
                    f"after “{event.name}” ({event.at:%Y-%m-%d %H:%M}) {change.failure_type} "
                    f"{verb} from {change.before_per_day:.1f} to {change.after_per_day:.1f} "
                    f"a day ({factor})",
                    change.p_value,
                )
            )
    found.sort(key=lambda f: f.p_value if f.p_value is not None else 1.0)
    facts = []
    if report.repeat_total:
        facts.append(
            Finding(
                "repeat",
                f"{report.repeat_total} customer(s) complained more than once or again within "
                "the repeat window: a second failure needs more than the first recovery",
            )
        )
    waiting = sum(1 for case in report.severe if case.response_s is None)
    if report.severe_total:
        tail = f", {waiting} still without a reply" if waiting else ""
        facts.append(Finding("severe", f"{report.severe_total} severe case(s){tail}"))
    health = report.classifier
    if health.unsure_rate is not None and health.classified >= 20 and health.unsure_rate > 0.2:
        facts.append(
            Finding(
                "classifier",
                f"{health.unsure_rate:.0%} of complaints were too uncertain to classify: label "
                "them (amends label) and retrain",
            )
        )
    for label in health.labels:
        rate = label.correction_rate
        if rate is not None and label.predicted >= 20 and rate > 0.2:
            facts.append(
                Finding(
                    "classifier",
                    f"{rate:.0%} of {label.label} predictions were corrected by hand: retrain "
                    "(amends train)",
                )
            )
    return [*found, *facts]


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
    spikes, _expected, _testable = builder.spikes()
    severe, severe_total = builder.severe()
    repeat, repeat_total = builder.repeat_customers()
    by_type, by_owner, overall = builder.response()
    outcomes_type, outcomes_owner, outcomes_all, outcome_found = builder.outcomes()
    report = Report(
        period=period,
        generated_at=now.astimezone(ZoneInfo(zone)),
        volume=builder.volume(daily),
        heatmap=builder.heatmap(),
        shifts=builder.shifts(),
        spikes=spikes,
        events=builder.events(),
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
        drafts=builder.drafts(),
        classifier=builder.classifier(),
        findings=[],
        days=[local_date(builder.day0 + i) for i in range(builder.ndays)],
        daily={builder.h.types[i]: [int(v) for v in daily[i]] for i in builder.order},
    )
    report.findings = _findings(report, outcome_found)
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
