"""The patterns a report looks for: spikes against a trailing baseline, failure types
over-represented in an hour or a shift, and changes in rates around change markers.

Each works on the :class:`~amends.reports.build.Builder`'s arrays; the tests behind them are in
:mod:`amends.reports.stats`, and why they are made this way in the README ("Reports").
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray
from sqlmodel import Session, col, select

from amends.reports import stats
from amends.reports.model import EventChange, EventImpact, HourRow, Outlier, ShiftRow, Shifts, Spike
from amends.reports.schedules import load_schedules
from amends.reports.timeline import (
    DAY,
    SLOT_HOURS,
    hour_of_day,
    local_date,
    local_seconds,
    on_shift,
    quarter_starts,
    weekday,
)
from models.operations import ChangeMarker

if TYPE_CHECKING:
    from amends.reports.build import Builder

MIN_BASELINE_DAYS = 7  # a day is tested for a spike only with at least a week of history before
MAX_SPIKES = 50


def find_spikes(b: Builder) -> list[Spike]:
    """Days (and hours) whose count of a type is improbably high against the trailing
    baseline: the type's mean over the ``baseline_days`` before, scaled by how busy that
    weekday (and hour of day) usually is."""
    h, s = b.h, b.settings
    ntypes = len(h.types)
    start = b.day0 - s.baseline_days
    span = b.day_end - start + 1
    counts = np.zeros((ntypes, span), dtype=np.float64)
    keep = (h.day >= start) & (h.day <= b.day_end)
    np.add.at(counts, (h.type_code[keep], h.day[keep] - start), 1)
    cumulative = np.concatenate([np.zeros((ntypes, 1)), np.cumsum(counts, axis=1)], axis=1)
    total = counts.sum(axis=0)
    first_known = max(start, h.first_day if h.first_day is not None else b.day_end + 1)
    expected = np.zeros((ntypes, b.ndays), dtype=np.float64)
    testable = np.zeros(b.ndays, dtype=bool)
    for i in range(b.ndays):
        d = b.day0 + i
        lo = max(d - s.baseline_days, first_known)
        n = d - lo
        if n < MIN_BASELINE_DAYS:
            continue
        testable[i] = True
        first, last = lo - start, d - start
        window = total[first:last]
        busy = 1.0
        mean_all = window.mean()
        if mean_all > 0:
            same = window[weekday(np.arange(lo, d)) == weekday(np.array([d]))[0]]
            busy = (same.sum() + mean_all) / (same.size + 1) / mean_all
            busy = min(max(busy, 0.2), 5.0)
        expected[:, i] = (cumulative[:, last] - cumulative[:, first] + 0.5) / n * busy
    observed = counts[:, b.day0 - start :]
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
                d = b.day0 + int(col_)
                mask = b.in_period & (h.type_code == t) & (h.day == d)
                found.append(
                    Spike(
                        failure_type=h.types[t],
                        unit="day",
                        start=datetime.combine(local_date(d), datetime.min.time(), tzinfo=b.zone),
                        count=int(observed[t, col_]),
                        baseline=float(expected[t, col_]),
                        factor=float(observed[t, col_] / expected[t, col_]),
                        p_value=float(pv),
                        examples=b.examples(mask),
                    )
                )
    found.extend(_hour_spikes(b, expected, testable, tested_types))
    found.sort(key=lambda x: (x.p_value, x.start))
    return found[:MAX_SPIKES]


def _hour_spikes(
    b: Builder, expected_day: NDArray[np.float64], testable: NDArray[np.bool_], tested_types: int
) -> list[Spike]:
    """Hours whose count of a type is improbably high: the day's expected count times the
    share of all complaints that usually arrive in that hour of the day."""
    h, s, p = b.h, b.settings, b.p
    if p.size == 0:
        return []
    hours_all = np.bincount(b.hour, minlength=24).astype(np.float64)
    share = (hours_all + 1) / (hours_all.sum() + 24)
    slot = np.floor(h.local[p] / 3600).astype(np.int64) - b.day0 * 24
    keys = h.type_code[p] * (b.ndays * 24) + slot
    unique, counts = np.unique(keys, return_counts=True)
    big = counts >= s.min_count
    unique, counts = unique[big], counts[big]
    t, slot_of = unique // (b.ndays * 24), unique % (b.ndays * 24)
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
        d = b.day0 + int(di)
        mask = b.in_period & (h.type_code == ti) & (h.day == d) & (b.hour == hi)
        found.append(
            Spike(
                failure_type=h.types[ti],
                unit="hour",
                start=datetime.combine(local_date(d), datetime.min.time(), tzinfo=b.zone)
                + timedelta(hours=int(hi)),
                count=int(count),
                baseline=float(exp),
                factor=float(count / exp),
                p_value=float(pv),
                examples=b.examples(mask),
            )
        )
    return found


def shift_patterns(b: Builder) -> Shifts:
    h, p = b.h, b.p
    ntypes = len(h.types)
    codes = h.type_code[p]
    hours = hour_of_day(h.local[p])
    by_type_hour = np.zeros((ntypes, 24), dtype=np.float64)
    np.add.at(by_type_hour, (codes, hours), 1)
    per_hour = by_type_hour.sum(axis=0)
    type_totals = by_type_hour.sum(axis=1)
    total = float(p.size)
    hour_outliers = _outliers(b, by_type_hour, per_hour, type_totals, total, tests=ntypes * 24)
    # Who was on shift: every quarter hour of the period and every ticket, per agent.
    slots = quarter_starts(b.period.since, b.period.until)
    slot_hour = hour_of_day(local_seconds(slots, b.zone))
    schedules = load_schedules(b.engine, b.config)
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
                per_day=float(per_hour[hour] / b.ndays),
                on_shift=usual,
                outliers=[
                    _outlier(b, f"{hour:02d}:00-{(hour + 1) % 24:02d}:00", o, hours == hour)
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
    agent_outliers = _outliers(
        b, inside, inside_all, type_totals, total, tests=ntypes * max(1, len(agents))
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
                    _outlier(b, f"{name}'s shifts", o, ticket_on)
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
    b: Builder,
    inside: NDArray[np.float64],
    inside_all: NDArray[np.float64],
    type_totals: NDArray[np.float64],
    total: float,
    tests: int,
) -> list[tuple[int, int, float, float, float]]:
    """(type, column, observed, expected, p) for every cell of ``inside`` (types x slices)
    where a type is over-represented against its share of everything."""
    s = b.settings
    if total <= 0:
        return []
    expected = type_totals[:, None] * inside_all[None, :] / total
    candidates = (inside >= s.min_count) & (inside >= s.outlier_factor * np.maximum(expected, 1e-9))
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
    b: Builder, where: str, found: tuple[int, int, float, float, float], within: NDArray[np.bool_]
) -> Outlier:
    t, _col, observed, expected, p_value = found
    mask = np.zeros(b.h.ts.shape, dtype=bool)
    mask[b.p[within & (b.h.type_code[b.p] == t)]] = True
    return Outlier(
        where=where,
        failure_type=b.h.types[t],
        observed=int(observed),
        expected=expected,
        factor=observed / expected if expected else math.inf,
        p_value=p_value,
        examples=b.examples(mask),
    )


def event_impacts(b: Builder) -> list[EventImpact]:
    h, s = b.h, b.settings
    since, until, mailbox = b.period.since, b.period.until, b.period.mailbox
    marked: list[tuple[str, datetime, Literal["database", "config"], str | None, str | None]]
    marked = []
    with Session(b.engine) as session:
        query = select(ChangeMarker).where(
            col(ChangeMarker.at) >= since, col(ChangeMarker.at) < until
        )
        for row in session.exec(query.order_by(col(ChangeMarker.at))):
            marked.append((row.name, row.at, "database", row.mailbox, row.detail))
    for event in b.config.events:
        at = event.at if event.at.tzinfo else event.at.replace(tzinfo=b.zone)
        if since <= at < until:
            marked.append((event.name, at, "config", event.mailbox, event.detail))
    if mailbox is not None:
        marked = [m for m in marked if m[3] in (None, mailbox)]
    marked.sort(key=lambda m: m[1])
    window = timedelta(days=s.event_window_days)
    known_from = b.loaded_from
    if h.first_day is not None:
        first = datetime.combine(local_date(h.first_day), datetime.min.time(), b.zone)
        known_from = max(known_from, first)
    end = min(until, b.now)
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
                at=at.astimezone(b.zone),
                source=source,
                mailbox=event_mailbox,
                detail=detail,
                before_days=before_days,
                after_days=after_days,
                changes=changes,
            )
        )
    return impacts
