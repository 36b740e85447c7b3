"""The assign stage on SQLite and PostgreSQL: load, round robin and stickiness from the
database, triage and relabelling, one committed decision per ticket."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from amends.assignment import assign_pending
from amends.config import Config, load_config
from amends.labels import label_ticket
from models.columns import utc_now
from models.tickets import Assignment, Ticket, TicketStatus
from tests.fixtures.classifier import classifier_config
from tests.integration.test_classifier_registry import add_ticket

AGENTS = """
[[teams]]
name = "orders"
failure_types = ["delay", "lost_item"]
strategy = "{strategy}"

[[agents]]
name = "ana"
email = "ana@example.com"
teams = ["orders"]
capacity = {capacity}
working_hours = ["mon-sun 00:00-24:00"]

[[agents]]
name = "ben"
email = "ben@example.com"
teams = ["orders"]
capacity = {capacity}
working_hours = ["mon-sun 00:00-24:00"]

[[agents]]
name = "tri"
email = "tri@example.com"
working_hours = ["mon-sun 00:00-24:00"]

[assignment]
triage_owner = "tri"
"""


def config(
    tmp_path: Path, db_url: str, strategy: str = "least_loaded", capacity: int = 25
) -> Config:
    base = classifier_config(tmp_path, db_url)
    path = base.source
    assert path is not None
    path.write_text(path.read_text() + AGENTS.format(strategy=strategy, capacity=capacity))
    return load_config(path)


def new(session: Session, address: str, failure_type: str | None, *, days_ago: float = 0) -> int:
    ticket = add_ticket(session, address, f"case {address} {days_ago}", "text", days_ago=days_ago)
    if failure_type is None:
        ticket.status = TicketStatus.UNSURE
    ticket.failure_type = failure_type
    session.add(ticket)
    session.commit()
    assert ticket.id is not None
    return ticket.id


def owners(engine: Engine) -> dict[int, tuple[str | None, TicketStatus]]:
    with Session(engine) as session:
        return {t.id or 0: (t.owner, t.status) for t in session.exec(select(Ticket))}


def test_unsure_goes_to_triage_then_to_the_team_once_labelled(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    cfg = config(tmp_path, db_url)
    with Session(engine) as session:
        unsure = new(session, "a@example.net", None)
    first = assign_pending(engine, cfg)
    assert (first.assigned, first.triaged) == (0, 1)
    assert owners(engine)[unsure] == ("tri", TicketStatus.UNSURE)
    assert assign_pending(engine, cfg) == type(first)(), "nothing is assigned twice"

    label_ticket(engine, cfg, unsure, "delay", given_by="tri")
    second = assign_pending(engine, cfg)
    assert second.assigned == 1
    assert owners(engine)[unsure] == ("ana", TicketStatus.ASSIGNED)
    with Session(engine) as session:
        rules = [a.rule for a in session.exec(select(Assignment).order_by(col(Assignment.id)))]
    assert rules == ["triage", "least_loaded"]


def test_capacity_counts_tickets_assigned_in_the_same_batch(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    cfg = config(tmp_path, db_url, capacity=1)
    with Session(engine) as session:
        ids = [new(session, f"c{i}@example.net", "delay") for i in range(3)]
    result = assign_pending(engine, cfg)
    assert (result.assigned, result.triaged) == (2, 1)
    got = owners(engine)
    assert {got[ids[0]][0], got[ids[1]][0]} == {"ana", "ben"}
    assert got[ids[2]][0] == "tri"
    with Session(engine) as session:
        reason = session.exec(select(Assignment.reason).where(Assignment.ticket_id == ids[2])).one()
    assert reason == "nobody in team orders is available (ana, ben at capacity)"


def test_round_robin_continues_where_the_last_run_stopped(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    cfg = config(tmp_path, db_url, strategy="round_robin")
    picked = []
    for i in range(3):
        with Session(engine) as session:
            ticket_id = new(session, f"r{i}@example.net", "lost_item")
        assign_pending(engine, cfg)
        picked.append(owners(engine)[ticket_id][0])
    assert picked == ["ana", "ben", "ana"]


def test_a_returning_customer_gets_the_owner_of_their_last_ticket(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    cfg = config(tmp_path, db_url)
    with Session(engine) as session:
        earlier = new(session, "back@example.net", "delay", days_ago=10)
        ticket = session.get(Ticket, earlier)
        assert ticket is not None
        ticket.owner, ticket.status = "ben", TicketStatus.CLOSED
        ticket.closed_at = utc_now() - timedelta(days=9)
        session.add(ticket)
        session.commit()
        # ben has more open tickets than ana, so only stickiness explains ben.
        for i in range(2):
            busy = session.get(Ticket, new(session, f"busy{i}@example.net", "delay"))
            assert busy is not None
            busy.owner, busy.status = "ben", TicketStatus.ASSIGNED
            session.add(busy)
        session.commit()
    with Session(engine) as session:
        again = new(session, "back@example.net", "lost_item")
    assign_pending(engine, cfg)
    assert owners(engine)[again][0] == "ben"
    with Session(engine) as session:
        reason = session.exec(select(Assignment.reason).where(Assignment.ticket_id == again)).one()
    assert reason == f"returning customer: ben handled their last ticket #{earlier} (2 open)"
