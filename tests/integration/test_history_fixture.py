"""The seeded complaint history that report tests and benchmarks run on, on both databases."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.engine import make_engine
from models.migrate import upgrade
from models.tables import metadata
from models.tickets import Ticket
from tests.fixtures.history import HistorySpec, Seeded, seed_history

SPEC = HistorySpec.planted()  # 90 days, 40 complaints a weekday: ~3,300 tickets
BELGRADE = ZoneInfo(SPEC.timezone)


def complaints(engine: Engine, mailbox: str) -> list[tuple[Any, str | None]]:
    """(local received time, failure type) of every ticket of ``mailbox``."""
    ticket = metadata.tables["ticket"]
    query = sa.select(ticket.c.received_at, ticket.c.failure_type).where(
        ticket.c.mailbox == mailbox
    )
    with engine.connect() as conn:
        return [(at.astimezone(BELGRADE), kind) for at, kind in conn.execute(query)]


def per_day(rows: list[tuple[Any, str | None]], failure_type: str) -> Counter[date]:
    return Counter(at.date() for at, kind in rows if kind == failure_type)


def test_every_row_counted_and_ids_left_free(engine: Engine) -> None:
    seeded = seed_history(engine, SPEC)

    with engine.connect() as conn:
        for table, expected in seeded.rows.items():
            count = conn.execute(sa.select(sa.func.count()).select_from(metadata.tables[table]))
            assert count.scalar() == expected, table
        if conn.dialect.name == "sqlite":  # seeding skips the checks there; the rows pass them
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    rows = seeded.rows
    assert 3000 < rows["ticket"] < 3600
    assert rows["message"] == rows["ticket"] + rows["reply"]  # customer mail, and our replies
    assert rows["classification"] >= rows["ticket"] - 5  # all but the newest few
    assert 0.6 * rows["reply"] < rows["outbox_item"] < 0.75 * rows["reply"]
    assert rows["agent_schedule"] == 3 and rows["model_version"] == 1
    assert 0.85 * rows["ticket"] < rows["customer"] < 0.95 * rows["ticket"]
    # Explicit ids must not leave PostgreSQL's sequences behind: the worker adds tickets next.
    with Session(engine) as db:
        ticket = Ticket(mailbox=SPEC.mailbox, customer_id=1, subject="after the history")
        db.add(ticket)
        db.commit()
        assert ticket.id == seeded.first_ticket_id + seeded.tickets


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # PostgreSQL: test_reports
def test_planted_patterns_stand_out_and_the_control_has_none(engine: Engine) -> None:
    seeded = seed_history(engine, SPEC)
    control = seed_history(engine, replace(SPEC.control(), mailbox="control"))
    planted_rows, control_rows = complaints(engine, "support"), complaints(engine, "control")
    assert control.spike is None and control.bad_hour is None and control.release is None

    spike = seeded.spike
    assert spike is not None and spike.day == SPEC.first_day + timedelta(days=60)
    days = per_day(planted_rows, spike.failure_type)
    assert days[spike.day] == spike.count >= spike.extra
    assert days[spike.day] > 2 * max(n for day, n in days.items() if day != spike.day)
    assert days[spike.day] > 5 * spike.baseline_per_day
    quiet = per_day(control_rows, spike.failure_type)
    assert max(quiet.values()) < spike.count / 2

    bad = seeded.bad_hour
    assert bad is not None and (bad.hour, bad.agent) == (17, "marko")

    def in_bad_hour(rows: list[tuple[Any, str | None]]) -> int:
        return sum(
            kind == bad.failure_type and at.hour == bad.hour and at.weekday() < 5
            for at, kind in rows
        )

    assert in_bad_hour(planted_rows) == bad.count
    assert in_bad_hour(planted_rows) > 4 * in_bad_hour(control_rows)

    release = seeded.release
    assert release is not None and release.at == SPEC.day_start(45)

    def rate_change(rows: list[tuple[Any, str | None]]) -> float:
        kinds = [at >= release.at for at, kind in rows if kind == release.failure_type]
        return float(sum(kinds) / (len(kinds) - sum(kinds)))  # the release is half way

    assert rate_change(planted_rows) > 1.6
    assert 0.75 < rate_change(control_rows) < 1.33


def fingerprint(engine: Engine, seeded: Seeded) -> list[tuple[Any, ...]]:
    ticket = metadata.tables["ticket"]
    columns = [
        c
        for c in ticket.c
        if c.name not in {"id", "customer_id", "updated_at", "received_at", "first_response_at"}
    ]
    query = sa.select(
        ticket.c.id - seeded.first_ticket_id,
        ticket.c.received_at,
        ticket.c.first_response_at,
        *columns,
    ).order_by(ticket.c.id)
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_seed_decides_everything(engine: Engine, tmp_path: Path) -> None:
    first = seed_history(engine, SPEC)
    other = make_engine(f"sqlite:///{tmp_path / 'again.db'}")
    try:
        upgrade(other)
        again = seed_history(other, SPEC)
        assert again.rows == first.rows
        assert again.spike == first.spike and again.release == first.release
        assert fingerprint(other, again) == fingerprint(engine, first)
    finally:
        other.dispose()
    different = seed_history(engine, replace(SPEC, seed=8, mailbox="other"))
    assert different.rows != first.rows
