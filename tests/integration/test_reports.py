"""Trend reports over a seeded history: the planted spike, bad hour and release are found, a
control history with none of them flags nothing, every format renders, empty periods give an
empty-but-valid report, and the figures agree with the rows they come from."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from amends.config.schema import AgentSettings, EventSettings
from amends.reports.build import build_report
from amends.reports.events import add_event, list_events, remove_event
from amends.reports.html import render_html
from amends.reports.model import Report
from amends.reports.render import render_csv, render_text, to_json
from amends.reports.schedules import load_schedules, record_schedules
from models.classification import Classification
from models.engine import make_engine
from models.migrate import upgrade
from models.operations import AgentSchedule
from models.outbox import Draft, OutboxItem, OutboxKind, OutboxState, Reply, SatisfactionAnswer
from models.tickets import Ticket
from tests.fixtures.history import HistorySpec, Seeded, history_config, seed_history

STATISTICAL = {"spike", "hour", "shift", "event", "outcome"}


def _fresh_engine(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path / 'amends.db'}")
    upgrade(engine)
    return engine


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Seeded]]:
    """90 days of complaints with a spike, a bad hour in marko's shift and a release that
    doubles billing errors (SQLite; shared by the tests that only read it)."""
    engine = _fresh_engine(tmp_path_factory.mktemp("planted"))
    seeded = seed_history(engine, HistorySpec.planted())
    yield engine, seeded
    engine.dispose()


@pytest.fixture(scope="module")
def planted_report(planted: tuple[Engine, Seeded]) -> Report:
    engine, seeded = planted
    config = history_config(seeded.spec, events=seeded.events())
    return build_report(engine, config, since=seeded.since, until=seeded.until, now=seeded.until)


def check_planted(report: Report, seeded: Seeded) -> None:
    """Each planted pattern is found where it was planted, and nothing is found that was not."""
    assert seeded.spike and seeded.bad_hour and seeded.release
    # The spike: that type, that day, with its own tickets as examples.
    day_spikes = [s for s in report.spikes if s.unit == "day"]
    spike = next(s for s in day_spikes if s.failure_type == seeded.spike.failure_type)
    assert spike.start.date() == seeded.spike.day
    assert spike.count == seeded.spike.count
    assert spike.factor >= 4 and spike.p_value < 1e-6
    assert spike.examples and {e.failure_type for e in spike.examples} == {"lost_item"}
    assert all(e.subject and e.received_at.date() == seeded.spike.day for e in spike.examples)
    # Other day spikes may only be the released type rising (a real change).
    assert {s.failure_type for s in day_spikes} <= {"lost_item", seeded.release.failure_type}

    # The bad hour: rude_staff over-represented at 17:00-18:00, while marko is on shift.
    hour = report.shifts.hours[seeded.bad_hour.hour]
    assert [o.failure_type for o in hour.outliers] == ["rude_staff"]
    assert seeded.bad_hour.agent in hour.on_shift
    flagged_hours = [r.hour for r in report.shifts.hours if r.outliers]
    assert flagged_hours == [seeded.bad_hour.hour]
    by_agent = {a.agent: a for a in report.shifts.agents}
    assert [o.failure_type for o in by_agent["marko"].outliers] == ["rude_staff"]
    assert by_agent["ana"].outliers == [] and by_agent["petra"].outliers == []
    assert by_agent["ana"].hours_on > 0 and by_agent["marko"].complaints > 0

    # The release: billing_error up, no other type significantly changed.
    (event,) = report.events
    changed = {c.failure_type: c.direction for c in event.changes if c.direction}
    assert changed == {seeded.release.failure_type: "up"}
    billing = next(c for c in event.changes if c.failure_type == "billing_error")
    assert 1.5 <= billing.factor <= 3.5

    kinds = [f.kind for f in report.findings]
    assert {"spike", "hour", "shift", "event"} <= set(kinds)
    # Strongest first: the statistical findings are ordered by p-value.
    ranked = [f.p_value for f in report.findings if f.p_value is not None]
    assert ranked == sorted(ranked)
    texts = " | ".join(f.text for f in report.findings)
    assert f"lost_item spiked on {seeded.spike.day:%a} {seeded.spike.day}" in texts
    assert "rude_staff complaints cluster at 17:00-18:00 (" in texts and "marko" in texts
    assert "billing_error rose" in texts


def test_the_planted_patterns_are_found(planted_report: Report, planted: tuple) -> None:
    check_planted(planted_report, planted[1])


@pytest.mark.postgres
def test_the_planted_patterns_are_found_on_postgresql(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        upgrade(engine)
        seeded = seed_history(engine, HistorySpec.planted())
        config = history_config(seeded.spec, events=seeded.events())
        report = build_report(
            engine, config, since=seeded.since, until=seeded.until, now=seeded.until
        )
        check_planted(report, seeded)
    finally:
        engine.dispose()


@pytest.mark.parametrize("seed", [7, 11, 23])
def test_a_control_history_flags_nothing(tmp_path: Path, seed: int) -> None:
    spec = HistorySpec.planted(seed=seed).control()
    engine = _fresh_engine(tmp_path)
    seeded = seed_history(engine, spec)
    # A "release" that changed nothing: no type may rise or fall after it.
    placebo = EventSettings(name="placebo", at=spec.day_start(45))
    config = history_config(spec, events=[placebo])
    report = build_report(engine, config, since=seeded.since, until=seeded.until, now=seeded.until)
    engine.dispose()
    assert report.volume.total == seeded.tickets
    assert report.spikes == []
    assert all(not r.outliers for r in report.shifts.hours)
    assert all(not a.outliers for a in report.shifts.agents)
    assert [c.direction for c in report.events[0].changes if c.direction] == []
    assert [f.text for f in report.findings if f.kind in STATISTICAL] == []


def test_volume_heatmap_and_daily_counts_agree_with_the_tickets(
    planted: tuple[Engine, Seeded], planted_report: Report
) -> None:
    engine, seeded = planted
    with Session(engine) as session:
        rows = session.exec(select(Ticket.failure_type, Ticket.received_at)).all()
    zone = seeded.spec.zone
    per_type: dict[str, int] = {}
    cells = np.zeros((7, 24), dtype=int)
    for failure_type, received in rows:
        per_type[failure_type or "unclassified"] = (
            per_type.get(failure_type or "unclassified", 0) + 1
        )
        local = received.astimezone(zone)
        cells[local.weekday(), local.hour] += 1
    volume = planted_report.volume
    assert volume.total == len(rows) == seeded.tickets
    assert volume.totals == per_type
    assert volume.types == sorted(per_type, key=lambda t: (-per_type[t], t))
    assert math.isclose(sum(volume.shares.values()), 1.0)
    assert planted_report.heatmap.cells == cells.tolist()
    assert sum(sum(v) for v in planted_report.daily.values()) == len(rows)
    assert len(planted_report.days) == seeded.spec.days
    # 90 days: per week; every bucket holds its days' complaints.
    assert planted_report.period.bucket == "week"
    assert sum(sum(volume.counts[t]) for t in volume.types) == len(rows)


def test_response_outcomes_drafts_and_classifier_agree_with_the_rows(
    planted: tuple[Engine, Seeded], planted_report: Report
) -> None:
    engine, seeded = planted
    with Session(engine) as session:
        tickets = session.exec(select(Ticket)).all()
        answered = {
            a.ticket_id: a
            for a in session.exec(
                select(SatisfactionAnswer).order_by(col(SatisfactionAnswer.created_at))
            )
            if a.rating is not None or a.satisfied is not None
        }
        followed = set(
            session.exec(
                select(OutboxItem.ticket_id).where(
                    OutboxItem.kind == OutboxKind.FOLLOWUP, OutboxItem.state == OutboxState.SENT
                )
            )
        )
        drafted_replies = session.exec(
            select(Reply.diff_ratio).join(Draft, col(Draft.id) == col(Reply.draft_id))
        ).all()
        classified = session.exec(select(Classification.unsure)).all()
    delays = [
        (t.first_response_at - t.received_at).total_seconds()
        for t in tickets
        if t.first_response_at is not None
    ]
    overall = planted_report.response_all
    assert overall.tickets == len(tickets) and overall.answered == len(delays)
    assert overall.median_s == pytest.approx(float(np.median(delays)), abs=1.0)
    assert overall.p90_s == pytest.approx(float(np.percentile(delays, 90)), abs=1.0)
    assert sum(r.tickets for r in planted_report.response_by_owner) == len(tickets)

    outcomes = planted_report.outcomes_all
    assert outcomes.followups_sent == len(followed)
    assert outcomes.answered == len(answered)
    happy = sum(1 for a in answered.values() if a.satisfied)
    assert outcomes.satisfied == happy
    assert outcomes.reopened == sum(1 for t in tickets if t.reopen_count > 0)
    assert sum(r.answered for r in planted_report.outcomes_by_type) == len(answered)

    drafts = {d.template: d for d in planted_report.drafts}
    assert drafts["all"].replies == len(drafted_replies)
    unchanged = sum(1 for r in drafted_replies if (r or 0) <= 0.02)
    rewritten = sum(1 for r in drafted_replies if (r or 0) >= 0.3)
    assert (drafts["all"].unchanged, drafts["all"].rewritten) == (unchanged, rewritten)

    health = planted_report.classifier
    assert health.classified == len(classified)
    assert health.unsure == sum(1 for u in classified if u)
    assert health.model_version == seeded.model_version and health.macro_f1 is not None
    assert sum(label.corrected for label in health.labels) > 0


def test_repeat_customers_and_severe_cases(planted_report: Report) -> None:
    report = planted_report
    assert report.repeat_total >= len(report.repeat_customers) > 0
    top = report.repeat_customers[0]
    assert top.complaints >= 2 and len(top.ticket_ids) == top.complaints
    assert top.first_at <= top.last_at and "@" in top.address
    assert report.severe_total >= len(report.severe) > 0
    assert all(case.subject for case in report.severe)
    received = [case.received_at for case in report.severe]
    assert received == sorted(received, reverse=True)  # most recent first


def test_every_format_renders_the_same_figures(planted_report: Report, tmp_path: Path) -> None:
    report = planted_report
    data = json.loads(to_json(report))
    assert data["volume"]["total"] == report.volume.total and data["empty"] is False
    assert data["spikes"][0]["failure_type"] == report.spikes[0].failure_type
    assert datetime.fromisoformat(data["period"]["since"]) == report.period.since

    files = {p.stem: p for p in render_csv(report, tmp_path / "csv")}
    assert {"volume", "heatmap", "spikes", "events", "shifts", "outcomes", "drafts"} <= set(files)
    with files["volume_totals"].open(encoding="utf-8") as handle:
        totals = {row["failure_type"]: int(row["complaints"]) for row in csv.DictReader(handle)}
    assert totals == report.volume.totals
    with files["spikes"].open(encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == len(report.spikes)

    text = render_text(report)
    assert "What stands out" in text and report.findings[0].text[:40] in text
    html = render_html(report)
    assert html.count("data:image/png;base64,") >= 3
    assert "http://" not in html and "https://" not in html


def test_an_empty_period_gives_an_empty_but_valid_report(
    planted: tuple[Engine, Seeded], tmp_path: Path
) -> None:
    engine, seeded = planted
    config = history_config(seeded.spec)
    later = seeded.until + timedelta(days=400)
    report = build_report(engine, config, since=later, until=later + timedelta(days=7), now=later)
    assert report.empty and report.volume.total == 0 and report.findings == []
    assert report.spikes == [] and report.events == [] and report.repeat_customers == []
    assert report.response_all.median_s is None and report.outcomes_all.satisfied_rate is None
    assert len(report.days) == 7 and report.period.bucket == "day"
    assert json.loads(to_json(report))["empty"] is True
    assert render_csv(report, tmp_path / "csv")
    assert "No complaints in this period" in render_text(report)
    assert "<html" in render_html(report)


def test_a_new_database_reports_without_error(tmp_path: Path) -> None:
    engine = _fresh_engine(tmp_path)
    spec = HistorySpec()
    report = build_report(
        engine, history_config(spec), since=spec.since, until=spec.until, now=spec.until
    )
    engine.dispose()
    assert report.empty and report.classifier.model_version is None
    assert report.shifts.agents == [] or all(a.complaints == 0 for a in report.shifts.agents)


def test_one_mailbox_at_a_time(tmp_path: Path) -> None:
    engine = _fresh_engine(tmp_path)
    spec = HistorySpec(days=30, per_day=10)
    seeded = seed_history(engine, spec)
    with engine.begin() as conn:
        conn.execute(
            sa.update(Ticket.__table__)  # type: ignore[attr-defined]
            .where(Ticket.__table__.c.id % 3 == 0)  # type: ignore[attr-defined]
            .values(mailbox="sales")
        )
    config = history_config(spec)
    reports = {
        name: build_report(
            engine, config, since=seeded.since, until=seeded.until, now=seeded.until, mailbox=name
        )
        for name in ("support", "sales", None)
    }
    engine.dispose()
    support, sales, both = (reports[k].volume.total for k in ("support", "sales", None))
    assert support > 0 and sales > 0 and support + sales == both == seeded.tickets
    assert reports["sales"].period.mailbox == "sales"


def test_change_markers_from_the_database_and_the_config(
    planted: tuple[Engine, Seeded],
) -> None:
    engine, seeded = planted
    assert seeded.release is not None
    config = history_config(
        seeded.spec,
        events=[EventSettings(name="from the file", at=seeded.spec.day_start(10), mailbox=None)],
    )
    marker = add_event(engine, "  release   2.3 ", seeded.release.at, detail="new checkout")
    try:
        assert marker.name == "release 2.3"
        names = [m.name for m in list_events(engine, config)]
        assert names == ["from the file", "release 2.3"]
        report = build_report(
            engine, config, since=seeded.since, until=seeded.until, now=seeded.until
        )
        by_name = {e.name: e for e in report.events}
        assert by_name["release 2.3"].source == "database"
        assert by_name["release 2.3"].detail == "new checkout"
        assert by_name["from the file"].source == "config"
        # Day 10: only ten days of history before it.
        assert by_name["from the file"].before_days == pytest.approx(10.0, abs=0.05)
        assert any(c.direction == "up" for c in by_name["release 2.3"].changes)
        # An event of another mailbox is left out of a report on this one.
        other = add_event(engine, "sales only", seeded.release.at, mailbox="sales")
        scoped = build_report(
            engine,
            config,
            since=seeded.since,
            until=seeded.until,
            now=seeded.until,
            mailbox="support",
        )
        assert "sales only" not in {e.name for e in scoped.events}
        remove_event(engine, other.id or 0)
    finally:
        remove_event(engine, marker.id or 0)
    assert [m.name for m in list_events(engine, config)] == ["from the file"]


def test_shifts_follow_the_recorded_history_of_working_hours(tmp_path: Path) -> None:
    """Marko worked mornings, then evenings: last month's hours go to last month's shift."""
    engine = _fresh_engine(tmp_path)
    spec = HistorySpec(days=28, per_day=20)
    seeded = seed_history(engine, spec)
    with engine.begin() as conn:
        conn.execute(sa.delete(AgentSchedule.__table__))  # type: ignore[attr-defined]
    change = spec.day_start(14)

    def marko(hours: str) -> AgentSettings:
        return AgentSettings(
            name="marko", email="marko@example.com", timezone="Europe/Belgrade",
            working_hours=[hours],
        )  # fmt: skip

    base = history_config(spec)
    mornings = base.model_copy(update={"agents": [marko("mon-fri 06:00-14:00")]})
    evenings = base.model_copy(update={"agents": [marko("mon-fri 14:00-22:00")]})
    assert record_schedules(engine, mornings, spec.since) == 1
    assert record_schedules(engine, mornings, spec.since + timedelta(days=1)) == 0
    assert record_schedules(engine, evenings, change) == 1
    versions = load_schedules(engine, evenings)["marko"]
    assert [v.shifts for v in versions] == [("mon-fri 06:00-14:00",), ("mon-fri 14:00-22:00",)]
    report = build_report(
        engine, evenings, since=seeded.since, until=seeded.until, now=seeded.until
    )
    engine.dispose()
    (marko,) = report.shifts.agents
    # 4 weeks x 5 days x 8 hours, whichever shift.
    assert marko.hours_on == pytest.approx(160.0)
    morning, evening = report.shifts.hours[9], report.shifts.hours[18]
    # Half the days each: neither is "usually" marko's on its own... but both are his half.
    assert morning.complaints > 0 and evening.complaints > 0
    # Had today's hours been used for the whole period, mornings would be unstaffed.
    today_only = build_report(
        _reseed_without_history(tmp_path / "again", spec),
        evenings,
        since=seeded.since,
        until=seeded.until,
        now=seeded.until,
    )
    assert today_only.shifts.agents[0].hours_on == pytest.approx(160.0)
    assert report.shifts.unstaffed_complaints != today_only.shifts.unstaffed_complaints


def _reseed_without_history(path: Path, spec: HistorySpec) -> Engine:
    path.mkdir()
    engine = _fresh_engine(path)
    seed_history(engine, spec)
    with engine.begin() as conn:
        conn.execute(sa.delete(AgentSchedule.__table__))  # type: ignore[attr-defined]
    return engine


def test_hostile_text_stays_text_in_every_format(tmp_path: Path) -> None:
    engine = _fresh_engine(tmp_path)
    spec = HistorySpec(days=30, per_day=10)
    seeded = seed_history(engine, spec)
    hostile = '<script>alert("x")</script> =HYPERLINK("http://evil") [bold]'
    with engine.begin() as conn:
        conn.execute(
            sa.update(Ticket.__table__).values(subject=hostile)  # type: ignore[attr-defined]
        )
    config = history_config(spec, events=[EventSettings(name="<b>bold</b>", at=spec.day_start(9))])
    report = build_report(engine, config, since=seeded.since, until=seeded.until, now=seeded.until)
    engine.dispose()
    assert report.severe and report.severe[0].subject == hostile
    html = render_html(report)
    assert "<script>" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;" in html
    files = {p.stem: p for p in render_csv(report, tmp_path / "csv")}
    with files["severe"].open(encoding="utf-8") as handle:
        subjects = {row["subject"] for row in csv.DictReader(handle)}
    assert subjects == {hostile}  # starts with "<": not a formula, kept as it is
    text = render_text(report)
    assert "[bold]" in text  # shown, not read as markup


def test_report_period_must_be_forward(planted: tuple[Engine, Seeded]) -> None:
    engine, seeded = planted
    with pytest.raises(ValueError, match="after its start"):
        build_report(
            engine,
            history_config(seeded.spec),
            since=seeded.until,
            until=seeded.since,
            now=datetime.now(UTC),
        )
