"""Data retention, end to end on SQLite and PostgreSQL: ``amends purge``, ``[retention]`` in
the worker, ``amends export --customer`` and ``amends forget --customer``.

The story of ``tests.integration.test_followups`` is played by ``amends run --once``: Jane
complains, gets a draft, the agent replies, the follow-up goes out and Jane answers; Bob only
complains. Then the commands run as an admin runs them, and the database (and on SQLite the
file itself) is searched for what should be gone.
"""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from amends.config import Config
from amends.retention import FORGET_EVENT, PURGE_EVENT
from models.classification import Classification
from models.mail import Message
from models.outbox import Draft, OutboxItem, OutboxState, SatisfactionAnswer
from models.tickets import Customer, EventLog, Ticket, TicketStatus
from tests.e2e.test_worker import Rig, environment, rig, worker_config  # noqa: F401 (fixture)
from tests.integration.test_drafts import make_config, model  # noqa: F401 (fixtures)
from tests.integration.test_followups import (
    COMPLAINED_AT,
    CUSTOMER,
    DUE,
    agent_sends,
    complaint,
    customer_answers,
    ticket_of,
)

BOB = "bob@example.org"
# Text only Jane wrote: her order number, in her subject and body (and quoted in her draft).
JANE_TEXT = (b"order 4401",)
ANSWER = "5, it works perfectly now."
# Seen from far enough ahead that every case of the story is a year quiet.
LATER = datetime.now(UTC) + timedelta(days=400)


def run(setup: Rig, config: Config, *args: str, now: datetime | None = None) -> str:
    env = environment(config, **({"AMENDS_NOW": now.isoformat()} if now else {}))
    done = setup.amends(*args, env=env)
    # Read afresh what the command wrote (no pooled connection of this process lingers).
    setup.engine.dispose()
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    return done.stdout


def failing(setup: Rig, config: Config, *args: str, now: datetime | None = None) -> str:
    env = environment(config, **({"AMENDS_NOW": now.isoformat()} if now else {}))
    done = setup.amends(*args, env=env)
    assert done.returncode == 1, f"{args}: {done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    return done.stderr


def play_the_story(setup: Rig, config: Config) -> None:
    setup.account.append("INBOX", complaint(1), msg_time=COMPLAINED_AT)
    setup.account.append("INBOX", complaint(2, sender=BOB), msg_time=COMPLAINED_AT)
    run(setup, config, "run", "--once")
    drafts = sorted(setup.account.fetch_all("Drafts"))
    [jane] = [i for i, raw in enumerate(drafts) if CUSTOMER.encode() in raw.split(b"\r\n\r\n")[0]]
    agent_sends(setup.account, index=jane)
    run(setup, config, "run", "--once")
    [item] = rows(setup.engine, OutboxItem)
    assert item.state is OutboxState.SENT and item.message_id is not None
    customer_answers(setup.account, ANSWER, item.message_id, DUE)
    run(setup, config, "run", "--once")
    assert ticket_of(setup.engine).status is TicketStatus.SATISFIED


def rows(engine: Engine, table: type[Any], *where: Any) -> list[Any]:
    with Session(engine) as session:
        return list(session.exec(select(table).where(*where)).all())


def count(engine: Engine, table: type[Any], *where: Any) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(table).where(*where)).one()


def everything_stored(engine: Engine) -> bytes:
    """Every text and JSON column of every table, as one blob to search."""
    blob = []
    with Session(engine) as session:
        for model in (Message, Ticket, Customer, Draft, OutboxItem, SatisfactionAnswer, EventLog):
            for row in session.exec(select(model)).all():
                blob.append(json.dumps(row.model_dump(mode="json", exclude={"raw"})).encode())
                raw = getattr(row, "raw", None)
                blob.append(raw or b"")
        for row in session.exec(select(Classification)).all():
            blob.append(json.dumps(row.top_terms).encode())
    return b"\n".join(blob)


def on_disk(engine: Engine) -> bytes:
    """The SQLite database file and its journal, byte for byte (b"" on PostgreSQL)."""
    if engine.dialect.name != "sqlite":
        return b""
    path = Path(str(engine.url.database))
    parts = [path, path.with_name(path.name + "-wal")]
    return b"".join(p.read_bytes() for p in parts if p.exists())


def report_figures(setup: Rig, config: Config) -> dict[str, Any]:
    """`amends report --format json` without the examples' subjects (which are text)."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "subject"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    since = (datetime.now(UTC) - timedelta(days=200)).date().isoformat()
    out = run(setup, config, "report", "--format", "json", "--since", since, now=LATER)
    figures: dict[str, Any] = strip(json.loads(out))
    return figures


@pytest.mark.timeout(300)
def test_purge_export_and_forget_as_an_admin_runs_them(rig: Rig) -> None:  # noqa: F811
    config = worker_config(rig.make, rig.smtp)
    play_the_story(rig, config)
    assert all(marker in everything_stored(rig.engine) for marker in JANE_TEXT)
    figures = report_figures(rig, config)
    jane_ticket = ticket_of(rig.engine)

    # An access request: everything about Jane, and nothing about Bob.
    assert config.source is not None
    out = config.source.parent / "jane.json"
    run(rig, config, "export", "--customer", "Jane@Example.net", "--output", str(out))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    data = json.loads(out.read_text())
    assert data["address"] == CUSTOMER and data["customer"]["display_name"] == "Jane Doe"
    [ticket] = data["tickets"]
    assert ticket["id"] == jane_ticket.id and ticket["status"] == "satisfied"
    assert ticket["drafts"] and ticket["answers"][0]["rating"] == 5
    assert ticket["classifications"] and ticket["assignments"] and ticket["timeline"]
    bodies = " ".join(m["body_text"] or "" for m in data["messages"])
    assert "order 4401" in bodies and ANSWER in bodies and "order 4402" not in bodies
    assert {m["direction"] for m in data["messages"]} == {"inbound", "outbound"}
    assert [o["recipient"] for o in data["sent_by_amends"]] == [CUSTOMER]
    assert "raw" not in data["sent_by_amends"][0]
    again = failing(rig, config, "export", "--customer", CUSTOMER, "--output", str(out))
    assert "exists" in again and json.loads(out.read_text()) == data

    # Purge: asks first, and without a terminal needs --yes; a dry run changes nothing.
    before, messages = everything_stored(rig.engine), count(rig.engine, Message)
    refused = failing(rig, config, "purge", "--older-than", "365d", now=LATER)
    assert "--yes" in refused
    dry = run(rig, config, "purge", "--older-than", "365d", "--dry-run", now=LATER)
    assert "dry run: nothing was changed" in dry
    assert everything_stored(rig.engine) == before
    bad = failing(rig, config, "purge", "--older-than", "a year")
    assert "365d" in bad
    # Nothing is a year old today.
    today = run(rig, config, "purge", "--older-than", "365d", "--yes")
    assert "nothing changed" in today and everything_stored(rig.engine) == before

    done = run(rig, config, "purge", "--older-than", "365d", "--yes", now=LATER)
    assert "removed the text of" in done
    stored = everything_stored(rig.engine)
    for marker in (*JANE_TEXT, b"order 4402", b"Jane Doe", b"blender"):
        assert marker not in stored, marker
        assert marker not in on_disk(rig.engine), f"{marker!r} is still in the SQLite file"
    # The figures stay: every ticket, its type, status, owner, times and rating.
    assert report_figures(rig, config) == figures
    purged = ticket_of(rig.engine)
    assert purged.purged_at is not None and purged.subject is None
    assert (purged.rating, purged.status, purged.failure_type, purged.owner) == (
        jane_ticket.rating,
        jane_ticket.status,
        jane_ticket.failure_type,
        jane_ticket.owner,
    )
    assert purged.updated_at == jane_ticket.updated_at, "when it went quiet is kept"
    [answer] = rows(rig.engine, SatisfactionAnswer)
    assert answer.rating == 5 and answer.excerpt is None
    assert count(rig.engine, Message) == messages and count(rig.engine, Ticket) == 2
    shown = run(rig, config, "tickets", "show", str(purged.id))
    assert "subject:  (removed" in shown and "data retention" in shown
    # A case without its text gets no new draft.
    refused = failing(rig, config, "drafts", "regenerate", str(purged.id))
    assert "its text was removed" in refused
    # Once is enough: a second run finds nothing.
    assert "nothing changed" in run(
        rig, config, "purge", "--older-than", "365d", "--yes", now=LATER
    )
    # The export says what is left.
    left = json.loads(run(rig, config, "export", "--customer", CUSTOMER))
    assert left["customer"]["display_name"] is None
    assert all(m["body_text"] is None and m["purged_at"] for m in left["messages"])

    # Erasure: Jane goes entirely, Bob stays; one entry says an erasure happened, not whose.
    asked = failing(rig, config, "forget", "--customer", CUSTOMER)
    assert "--yes" in asked and count(rig.engine, Customer) == 2
    run(rig, config, "forget", "--customer", CUSTOMER, "--yes")
    assert [c.address for c in rows(rig.engine, Customer)] == [BOB]
    assert count(rig.engine, Ticket) == 1 and count(rig.engine, OutboxItem) == 0
    assert count(rig.engine, SatisfactionAnswer) == 0
    assert CUSTOMER.encode() not in everything_stored(rig.engine)
    assert CUSTOMER.encode() not in on_disk(rig.engine)
    [erased] = rows(rig.engine, EventLog, EventLog.kind == FORGET_EVENT)
    assert erased.data is not None and erased.data["tickets"] == 1
    assert BOB.encode() in everything_stored(rig.engine)
    gone = failing(rig, config, "export", "--customer", CUSTOMER)
    assert "nothing is stored about jane@example.net" in gone
    assert "nothing is stored" in failing(rig, config, "forget", "--customer", CUSTOMER, "--yes")


SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@SQLITE_ONLY
@pytest.mark.timeout(300)
def test_the_worker_applies_retention_once_a_day(rig: Rig) -> None:  # noqa: F811
    config = worker_config(rig.make, rig.smtp, "\n[retention]\nkeep_text_days = 30\n")
    rig.account.append("INBOX", complaint(1))
    rig.account.append("INBOX", complaint(2, sender=BOB))
    run(rig, config, "run", "--once")
    # The first pass applies it at once: nothing is old yet, and that is recorded.
    [first] = rows(rig.engine, EventLog, EventLog.kind == PURGE_EVENT)
    assert first.detail is not None and "nothing old enough" in first.detail
    assert all(t.purged_at is None and t.subject for t in rows(rig.engine, Ticket))

    run(rig, config, "run", "--once", now=LATER)
    stored = everything_stored(rig.engine)
    assert not any(marker in stored for marker in JANE_TEXT)
    assert all(t.purged_at is not None for t in rows(rig.engine, Ticket))
    [_, event] = rows(rig.engine, EventLog, EventLog.kind == PURGE_EVENT)
    assert event.mailbox == "support" and event.data is not None
    assert event.data["tickets"] == 2 and event.data["keep_text_days"] == 30

    # New mail meanwhile is stored whole; the same day brings no second purge.
    rig.account.append("INBOX", complaint(3, sender="carol@example.org"))
    run(rig, config, "run", "--once", now=LATER + timedelta(hours=12))
    assert count(rig.engine, EventLog, EventLog.kind == PURGE_EVENT) == 2
    carol = ticket_of(rig.engine, "carol@example.org")
    assert carol.subject == "Broken blender, order 4403" and carol.purged_at is None

    # A day later it runs again (Carol's case is new by the real clock's reckoning, so it is
    # 400 days "quiet" in this story: the point is the second run, once).
    run(rig, config, "run", "--once", now=LATER + timedelta(days=1, minutes=1))
    assert count(rig.engine, EventLog, EventLog.kind == PURGE_EVENT) == 3
    status = run(rig, config, "status", now=LATER + timedelta(days=1, minutes=2))
    assert "support" in status


@SQLITE_ONLY
def test_forget_matches_whole_addresses_only(rig: Rig) -> None:  # noqa: F811
    """``_`` and ``%`` are not wildcards, and jane@ is not part of mary-jane@."""
    config = worker_config(rig.make, rig.smtp)
    rig.account.append("INBOX", complaint(1, sender="a_b@example.net"))
    rig.account.append("INBOX", complaint(2, sender="axb@example.net"))
    rig.account.append("INBOX", complaint(3, sender="mary-a_b@example.net"))
    run(rig, config, "run", "--once")
    run(rig, config, "forget", "--customer", "a_b@example.net", "--yes")
    left = sorted(c.address for c in rows(rig.engine, Customer))
    assert left == ["axb@example.net", "mary-a_b@example.net"]
    assert count(rig.engine, Message, col(Message.from_address) == "a_b@example.net") == 0
    assert count(rig.engine, Message) == 2
