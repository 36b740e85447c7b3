"""Data retention: removing old text, and a customer's access and erasure requests.

- :func:`purge` removes the text of mail and cases with no activity since a cut-off (subjects,
  names, headers, bodies, attachment names, drafts, answers' excerpts, the words that explained
  a prediction). What the reports count stays: tickets with their failure type, times, owner,
  status and rating; classifications, assignments, replies, answers' ratings. Addresses stay
  too, so opt-outs and bounces keep being honoured; :func:`forget` removes them.
- :func:`purge_if_due` is the worker's daily run of ``[retention] keep_text_days``.
- :func:`export_customer` gathers everything stored about one address (an access request);
  :func:`forget_customer` erases it (an erasure request).

Every change runs in one transaction: a failure leaves the database as it was, and a dry run
is the same work rolled back, so its figures are exactly what the real run would change. On
SQLite, removed text is overwritten on disk (``secure_delete``) and the journal checkpointed,
so it cannot be read back from the file.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine
from sqlmodel import Session, SQLModel, col, select

from amends.config import Config
from amends.errors import AmendsError
from models.classification import Classification, LabelFeedback
from models.mail import Message, QuarantineEntry
from models.outbox import (
    Draft,
    DraftState,
    OutboxItem,
    OutboxState,
    Reply,
    SatisfactionAnswer,
)
from models.tables import table_of
from models.tickets import Assignment, Customer, EventLog, Ticket

log = logging.getLogger(__name__)

PURGE_EVENT = "retention_purge"
FORGET_EVENT = "customer_forgotten"
EXPORT_FORMAT = "amends-customer-export/1"
# How often the worker applies [retention]: daily, counted from the last run it recorded.
PURGE_EVERY = timedelta(days=1)

_MESSAGES = table_of(Message)
_TICKETS = table_of(Ticket)
_DRAFTS = table_of(Draft)
_OUTBOX = table_of(OutboxItem)
_ANSWERS = table_of(SatisfactionAnswer)
_CLASSIFICATIONS = table_of(Classification)
_EVENTS = table_of(EventLog)
_CUSTOMERS = table_of(Customer)
_QUARANTINE = table_of(QuarantineEntry)

# Outbox rows still to be sent (or retried) need their text; finished ones do not.
_FINISHED = (OutboxState.SENT, OutboxState.DEAD, OutboxState.CANCELLED)
_UNFINISHED = (OutboxState.PENDING, OutboxState.SENDING, OutboxState.FAILED)
# Timeline entries that quote the customer: the words behind a prediction, an answer's evidence.
_QUOTING_EVENTS = ("classified", "followup_answered")

_AGE = re.compile(r"\s*(\d+)\s*([dwy]?)\s*", re.IGNORECASE)
_UNIT_DAYS = {"": 1, "d": 1, "w": 7, "y": 365}


class RetentionError(AmendsError):
    """A retention command that cannot do what was asked (a bad age, an unknown customer)."""


def parse_age(text: str) -> timedelta:
    """``365d``, ``52w``, ``2y`` or a plain number of days, as a period of at least one day."""
    match = _AGE.fullmatch(text)
    days = int(match.group(1)) * _UNIT_DAYS[match.group(2).lower()] if match else 0
    if not match or days < 1:
        raise RetentionError(
            f"{text!r} is not an age",
            hint="give a number of days, weeks or years, such as 365d, 52w or 2y",
        )
    return timedelta(days=days)


@dataclass
class PurgeReport:
    """What a purge removed (or, dry, would remove): rows whose text went, by kind."""

    cutoff: datetime
    mailbox: str | None = None
    tickets: int = 0
    messages: int = 0
    drafts: int = 0
    outbox: int = 0
    answers: int = 0
    classifications: int = 0
    events: int = 0
    customers: int = 0
    quarantine: int = 0
    # On SQLite: False when a reader kept the journal from being emptied (see _wipe_freed).
    journal_emptied: bool = True

    def counts(self) -> dict[str, int]:
        return {
            "tickets": self.tickets,
            "messages": self.messages,
            "drafts": self.drafts,
            "outbox": self.outbox,
            "answers": self.answers,
            "classifications": self.classifications,
            "events": self.events,
            "customers": self.customers,
            "quarantine": self.quarantine,
        }

    @property
    def total(self) -> int:
        return sum(self.counts().values())


@dataclass
class ForgetReport:
    """What erasing one customer removed, by kind (rows deleted)."""

    address: str
    found: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    journal_emptied: bool = True

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# --- purge ------------------------------------------------------------------------------------


def purge(
    engine: Engine,
    cutoff: datetime,
    now: datetime,
    *,
    mailbox: str | None = None,
    dry_run: bool = False,
) -> PurgeReport:
    """Remove the text of every case with no activity since ``cutoff``, and of mail not part
    of a case (auto-replies, bounces, our own) received before it.

    A ticket counts as active while it changed, received mail, or has a draft not yet put in
    Drafts or an outbox row still to be sent after ``cutoff``; those keep their text until
    they too fall quiet. ``mailbox``: only that mailbox's mail and tickets (customers' names
    go when none of their tickets anywhere keeps text).
    """
    report = PurgeReport(cutoff, mailbox)
    with _changing(engine, dry_run=dry_run) as connection:
        _purge(connection, report, now)
    report.journal_emptied = _wipe_freed(engine) if not dry_run else True
    return report


def _purge(connection: Connection, report: PurgeReport, now: datetime) -> None:
    cutoff, mailbox = report.cutoff, report.mailbox
    t, m, d, o = _TICKETS.c, _MESSAGES.c, _DRAFTS.c, _OUTBOX.c
    quiet = [
        t.purged_at.is_(None),
        t.updated_at < cutoff,
        ~sa.exists().where(m.ticket_id == t.id, m.received_at >= cutoff),
        ~sa.exists().where(d.ticket_id == t.id, d.state == DraftState.RENDERED),
        ~sa.exists().where(o.ticket_id == t.id, o.state.in_(_UNFINISHED)),
    ]
    if mailbox is not None:
        quiet.append(t.mailbox == mailbox)
    ids = [row[0] for row in connection.execute(sa.select(t.id).where(*quiet))]

    for chunk in _chunks(ids):
        report.tickets += _update(
            connection,
            _TICKETS,
            t.id.in_(chunk),
            # Keep updated_at: it is what says when the case went quiet.
            {"subject": None, "purged_at": now, "updated_at": t.updated_at},
        )
        report.messages += _update(
            connection,
            _MESSAGES,
            m.ticket_id.in_(chunk) & m.purged_at.is_(None),
            _message_text(now),
        )
        report.drafts += _update(
            connection,
            _DRAFTS,
            d.ticket_id.in_(chunk),
            {
                "subject": "",
                "body_text": "",
                "body_html": None,
                "note": None,
                "lint_findings": [],
                "updated_at": d.updated_at,
            },
        )
        report.outbox += _update(
            connection,
            _OUTBOX,
            o.ticket_id.in_(chunk),
            {"subject": None, "body_text": None, "raw": None, "updated_at": o.updated_at},
        )
        a = _ANSWERS.c
        report.answers += _update(
            connection, _ANSWERS, a.ticket_id.in_(chunk) & a.excerpt.is_not(None), {"excerpt": None}
        )
        c = _CLASSIFICATIONS.c
        report.classifications += _update(
            connection, _CLASSIFICATIONS, c.ticket_id.in_(chunk), {"top_terms": []}
        )
        e = _EVENTS.c
        report.events += _update(
            connection,
            _EVENTS,
            e.ticket_id.in_(chunk) & e.kind.in_(_QUOTING_EVENTS) & e.detail.is_not(None),
            {"detail": None},
        )

    # Mail that is not part of a case: auto-replies, bounces, lists, what we sent and filed.
    loose = [m.ticket_id.is_(None), m.purged_at.is_(None), m.received_at < cutoff]
    if mailbox is not None:
        loose.append(m.mailbox == mailbox)
    report.messages += _update(connection, _MESSAGES, sa.and_(*loose), _message_text(now))

    # Mail the worker sent on no case's behalf (alerts, weekly reports), once it is finished.
    outside = [
        o.ticket_id.is_(None),
        o.state.in_(_FINISHED),
        o.created_at < cutoff,
        o.body_text.is_not(None) | o.raw.is_not(None) | o.subject.is_not(None),
    ]
    if mailbox is not None:
        outside.append(o.mailbox == mailbox)
    report.outbox += _update(
        connection,
        _OUTBOX,
        sa.and_(*outside),
        {"subject": None, "body_text": None, "raw": None, "updated_at": o.updated_at},
    )

    # A name goes once none of the customer's tickets keeps its text.
    cu = _CUSTOMERS.c
    report.customers += _update(
        connection,
        _CUSTOMERS,
        sa.and_(
            cu.display_name.is_not(None),
            cu.first_seen_at < cutoff,
            ~sa.exists().where(t.customer_id == cu.id, t.purged_at.is_(None)),
        ),
        {"display_name": None},
    )

    # Quarantine: resolved entries are history; their reasons may quote a subject.
    q = _QUARANTINE.c
    gone = [q.resolved.is_(True), q.resolved_at < cutoff]
    if mailbox is not None:
        gone.append(q.mailbox == mailbox)
    report.quarantine += connection.execute(sa.delete(_QUARANTINE).where(*gone)).rowcount


def _message_text(now: datetime) -> dict[str, Any]:
    return {
        "subject": None,
        "from_name": None,
        "headers": None,
        "body_text": None,
        "new_text": None,
        "attachments": None,
        "purged_at": now,
    }


def _update(
    connection: Connection, table: sa.Table, where: sa.ColumnElement[bool], values: dict[str, Any]
) -> int:
    return connection.execute(sa.update(table).where(where).values(values)).rowcount


def _chunks(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    """Slices small enough for any database's limit on bound parameters."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def purge_if_due(engine: Engine, config: Config, mailbox: str, now: datetime) -> PurgeReport | None:
    """The worker's [retention]: purge ``mailbox`` when the last recorded purge is a day old.

    Recorded on the mailbox's timeline (``amends status`` and the event log show it), so a
    restarted worker, or another one taking the mailbox over, does not run it again early.
    """
    keep = config.retention.keep_text_days
    if keep is None:
        return None
    last = last_purge(engine, mailbox)
    if last is not None and now - last < PURGE_EVERY:
        return None
    report = purge(engine, now - timedelta(days=keep), now, mailbox=mailbox)
    with Session(engine) as session:
        session.add(
            EventLog(
                mailbox=mailbox,
                kind=PURGE_EVENT,
                detail=f"[retention] keep_text_days = {keep}: {describe_purge(report)}",
                data={"keep_text_days": keep, **report.counts()},
                created_at=now,
            )
        )
        session.commit()
    return report


def last_purge(engine: Engine, mailbox: str) -> datetime | None:
    """When the worker last applied [retention] to ``mailbox``."""
    with Session(engine) as session:
        return session.exec(
            select(sa.func.max(EventLog.created_at)).where(
                EventLog.mailbox == mailbox,
                col(EventLog.ticket_id).is_(None),
                EventLog.kind == PURGE_EVENT,
            )
        ).one()


def describe_purge(report: PurgeReport) -> str:
    said = [f"{n} {what}" for what, n in report.counts().items() if n]
    return "text removed from " + ", ".join(said) if said else "nothing old enough to remove"


# --- a customer's data -------------------------------------------------------------------------


def normalise_address(address: str) -> str:
    cleaned = address.strip().strip("<>").strip().lower()
    if "@" not in cleaned or any(ch.isspace() for ch in cleaned):
        raise RetentionError(
            f"{address!r} is not an e-mail address",
            hint="give the customer's address as it appears in their mail, e.g. ana@example.com",
        )
    return cleaned


def _listed(field_value: str | None, address: str) -> bool:
    return bool(field_value) and address in (a.strip() for a in (field_value or "").split(","))


def _their_messages(session: Session, address: str, ticket_ids: list[int]) -> list[Message]:
    """Mail from or to ``address``, and every message of their tickets."""
    like = f"%{_escape_like(address)}%"
    found = session.exec(
        select(Message).where(
            (col(Message.from_address) == address)
            | col(Message.to_addresses).like(like, escape="\\")
            | col(Message.cc_addresses).like(like, escape="\\")
            | col(Message.ticket_id).in_(ticket_ids)
        )
    ).all()
    return [
        m
        for m in found
        if m.ticket_id in ticket_ids
        or m.from_address == address
        or _listed(m.to_addresses, address)
        or _listed(m.cc_addresses, address)
    ]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def export_customer(engine: Engine, address: str, now: datetime) -> dict[str, Any]:
    """Everything stored about ``address``, as plain JSON-ready data (an access request)."""
    address = normalise_address(address)
    with Session(engine) as session:
        customer = session.exec(select(Customer).where(Customer.address == address)).first()
        tickets = (
            session.exec(
                select(Ticket).where(Ticket.customer_id == customer.id).order_by(col(Ticket.id))
            ).all()
            if customer is not None
            else []
        )
        ids = [t.id for t in tickets if t.id is not None]
        messages = _their_messages(session, address, ids)
        outbox = session.exec(
            select(OutboxItem).where(
                (col(OutboxItem.recipient) == address) | col(OutboxItem.ticket_id).in_(ids)
            )
        ).all()
        if customer is None and not messages and not outbox:
            raise _unknown(address)

        def rows(model: type[SQLModel], ticket_id: int) -> list[dict[str, Any]]:
            table = table_of(model)
            query = select(model).where(table.c.ticket_id == ticket_id)
            return [_plain(row) for row in session.exec(query.order_by(table.c.id)).all()]

        per_ticket = [
            {
                **_plain(ticket),
                "assignments": rows(Assignment, ticket.id),
                "classifications": rows(Classification, ticket.id),
                "labels": rows(LabelFeedback, ticket.id),
                "drafts": rows(Draft, ticket.id),
                "replies": rows(Reply, ticket.id),
                "answers": rows(SatisfactionAnswer, ticket.id),
                "timeline": rows(EventLog, ticket.id),
            }
            for ticket in tickets
            if ticket.id is not None
        ]
        return {
            "format": EXPORT_FORMAT,
            "exported_at": now.isoformat(),
            "address": address,
            "customer": _plain(customer) if customer is not None else None,
            "tickets": per_ticket,
            "messages": [_plain(m) for m in sorted(messages, key=lambda m: m.id or 0)],
            "sent_by_amends": [_plain(o, exclude={"raw"}) for o in outbox],
        }


def _plain(row: SQLModel, exclude: set[str] | None = None) -> dict[str, Any]:
    return row.model_dump(mode="json", exclude=exclude)


def _unknown(address: str) -> RetentionError:
    return RetentionError(
        f"nothing is stored about {address}",
        hint="check the spelling; addresses are matched whole, in lower case",
    )


def forget_customer(
    engine: Engine, address: str, now: datetime, *, dry_run: bool = False
) -> ForgetReport:
    """Delete everything stored about ``address`` (an erasure request).

    Their customer row goes with their tickets and all that hangs off them (mail, drafts,
    predictions, labels, answers, timeline, outbox); so does mail from or to them elsewhere,
    mail queued to them, and mailbox events that name them. Their tickets leave the reports'
    figures. One entry without the address records that an erasure happened.
    """
    address = normalise_address(address)
    report = ForgetReport(address)
    with _changing(engine, dry_run=dry_run) as connection, Session(bind=connection) as session:
        customer = session.exec(select(Customer).where(Customer.address == address)).first()
        ticket_ids = (
            [
                i
                for i in session.exec(select(Ticket.id).where(Ticket.customer_id == customer.id))
                if i is not None
            ]
            if customer is not None
            else []
        )
        message_ids = [
            m.id for m in _their_messages(session, address, ticket_ids) if m.id is not None
        ]
        counts = {
            "tickets": len(ticket_ids),
            "messages": len(message_ids),
            "drafts": _count(session, Draft, col(Draft.ticket_id).in_(ticket_ids)),
        }
        e, o, m = _EVENTS.c, _OUTBOX.c, _MESSAGES.c
        counts["outbox"] = _delete(
            connection, _OUTBOX, (o.recipient == address) | o.ticket_id.in_(ticket_ids)
        )
        counts["events"] = _delete(
            connection,
            _EVENTS,
            e.ticket_id.in_(ticket_ids)
            | (e.ticket_id.is_(None) & e.detail.like(f"%{_escape_like(address)}%", escape="\\")),
        )
        for chunk in _chunks(message_ids):
            _delete(connection, _MESSAGES, m.id.in_(chunk))
        if customer is not None:
            # The tickets, and everything that hangs off them, go by ON DELETE CASCADE.
            _delete(connection, _CUSTOMERS, _CUSTOMERS.c.id == customer.id)
        report.found = customer is not None or any(counts.values())
        if not report.found:
            raise _unknown(address)
        report.counts = counts
        connection.execute(
            sa.insert(_EVENTS).values(
                kind=FORGET_EVENT,
                detail="a customer's data was erased on request (amends forget)",
                data=counts,
                created_at=now,
            )
        )
    report.journal_emptied = _wipe_freed(engine) if not dry_run else True
    return report


def _count(session: Session, model: type[SQLModel], where: sa.ColumnElement[bool]) -> int:
    return session.exec(select(sa.func.count()).select_from(model).where(where)).one()


def _delete(connection: Connection, table: sa.Table, where: sa.ColumnElement[bool]) -> int:
    return connection.execute(sa.delete(table).where(where)).rowcount


# --- one transaction, and nothing left on disk -----------------------------------------------


@contextmanager
def _changing(engine: Engine, *, dry_run: bool) -> Iterator[Connection]:
    """One transaction, committed unless ``dry_run``; on SQLite with ``secure_delete`` on, so
    the pages the text leaves are overwritten with zeros rather than freed as they are."""
    with engine.connect() as connection:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            _pragma(connection, "secure_delete=ON")
        try:
            with connection.begin() as transaction:
                yield connection
                if dry_run:
                    transaction.rollback()
        finally:
            if sqlite:
                _pragma(connection, "secure_delete=OFF")


def _wipe_freed(engine: Engine) -> bool:
    """On SQLite, copy the committed pages into the database file and empty the write-ahead
    log, which still holds the old text; False when a reader kept it from being emptied
    (the next checkpoint, which SQLite runs by itself, finishes the job)."""
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect() as connection:
        busy, _, _ = _pragma(connection, "wal_checkpoint(TRUNCATE)")
    if busy:
        log.warning("the database's journal is in use; it is emptied at its next checkpoint")
    return not busy


def _pragma(connection: Connection, pragma: str) -> Any:
    """A PRAGMA on the driver's connection itself: through SQLAlchemy it would open one of our
    BEGIN IMMEDIATE transactions, inside which a checkpoint cannot run."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        return cursor.execute(f"PRAGMA {pragma}").fetchone()
    finally:
        cursor.close()
