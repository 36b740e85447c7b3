"""What the demo shows: tickets and other mail read from the database, a draft, a follow-up."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from sqlalchemy import Engine, create_engine
from sqlmodel import Session, col, select

from models.classification import Classification
from models.mail import Message, MessageKind
from models.outbox import Draft, DraftState
from models.tickets import Customer, EventLog, Ticket

# Headers a mail client shows, in this order; the rest follow.
_FIRST_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References")
_HIDDEN_HEADERS = {"mime-version", "content-type", "content-transfer-encoding"}


@dataclass(frozen=True)
class TicketView:
    """One row of the ticket table."""

    number: int
    customer: str
    language: str
    failure_type: str
    probability: float | None
    severity: str
    owner: str
    reason: str
    draft: str


@dataclass(frozen=True)
class OtherMailView:
    """A message that is not a customer's complaint, and what Amends made of it."""

    sender: str
    subject: str
    kind: str
    evidence: str
    outcome: str


def open_database(path: Path) -> Engine:
    return create_engine(f"sqlite:///{path}")


def read_tickets(engine: Engine) -> list[TicketView]:
    """Every ticket, oldest first, with its latest classification, assignment and draft."""
    with Session(engine) as session:
        rows = session.exec(
            select(Ticket, Customer)
            .join(Customer, col(Ticket.customer_id) == Customer.id)
            .order_by(col(Ticket.received_at), col(Ticket.id))
        ).all()
        return [_ticket_view(session, ticket, customer) for ticket, customer in rows]


def _ticket_view(session: Session, ticket: Ticket, customer: Customer) -> TicketView:
    classification = session.exec(
        select(Classification)
        .where(Classification.ticket_id == ticket.id)
        .order_by(col(Classification.id).desc())
    ).first()
    assigned = session.exec(
        select(EventLog)
        .where(EventLog.ticket_id == ticket.id, EventLog.kind == "assigned")
        .order_by(col(EventLog.id).desc())
    ).first()
    severity = ticket.severity.value + (", repeat" if ticket.repeat_failure else "")
    failure_type = ticket.failure_type or "-"
    if classification is not None and classification.unsure:
        failure_type = f"unsure ({classification.label})"
    return TicketView(
        number=ticket.id or 0,
        customer=customer.display_name or customer.address,
        language=ticket.language or "-",
        failure_type=failure_type,
        probability=classification.probability if classification else None,
        severity=severity,
        owner=ticket.owner or "-",
        reason=(assigned.detail or "") if assigned else "not assigned",
        draft=_draft_state(session, ticket),
    )


def _draft_state(session: Session, ticket: Ticket) -> str:
    draft = session.exec(
        select(Draft).where(Draft.ticket_id == ticket.id).order_by(col(Draft.id).desc())
    ).first()
    if draft is None:
        return f"none ({ticket.status.value})"
    if draft.state is DraftState.APPENDED:
        where = f"in {draft.folder or 'Drafts'}, written in {draft.language}"
        return f"{where}; note: {draft.note}" if draft.note else where
    if draft.state is DraftState.DISCARDED:
        return f"discarded: {draft.note or ''}".strip()
    return draft.state.value


def read_other_mail(engine: Engine) -> list[OtherMailView]:
    """Inbound messages that were not customers' mail: bounces, auto-replies, lists."""
    with Session(engine) as session:
        messages = session.exec(
            select(Message)
            .where(Message.kind != MessageKind.CUSTOMER, Message.folder == "INBOX")
            .order_by(col(Message.received_at))
        ).all()
        return [_other_view(message) for message in messages]


def _other_view(message: Message) -> OtherMailView:
    # The reason reads "<why this kind>; <how it was threaded>"; only the first part matters
    # for mail that opens no ticket.
    evidence = (message.thread_reason or "").rpartition("; ")[0] or (message.thread_reason or "")
    if message.ticket_id is None:
        outcome = "kept in the database, on no ticket: no draft, no follow-up, no answer"
    else:
        outcome = f"on ticket {message.ticket_id}'s timeline: no draft, no follow-up, no answer"
    return OtherMailView(
        sender=message.from_address or "-",
        subject=message.subject or "",
        kind=message.kind.value,
        evidence=evidence,
        outcome=outcome,
    )


def ticket_table(tickets: list[TicketView]) -> Table:
    table = Table(title="Tickets", title_justify="left", show_lines=True)
    for name in ("#", "customer", "lang", "failure type", "prob.", "severity", "owner"):
        table.add_column(name, no_wrap=name not in ("customer", "failure type"))
    table.add_column("why this owner / the draft", min_width=30)
    for t in tickets:
        probability = "-" if t.probability is None else f"{t.probability:.0%}"
        why = Text(t.reason)
        why.append(f"\ndraft: {t.draft}", style="dim")
        cells = [str(t.number), t.customer, t.language, t.failure_type, probability]
        table.add_row(*_plain(*cells, t.severity, t.owner), why)
    return table


def other_mail_table(messages: list[OtherMailView]) -> Table:
    table = Table(title="Not complaints", title_justify="left", show_lines=True)
    for name in ("from", "subject", "kind", "recognised by", "what happened"):
        table.add_column(name)
    for m in messages:
        table.add_row(*_plain(m.sender, m.subject, m.kind, m.evidence, m.outcome))
    return table


def _plain(*cells: str) -> list[Text]:
    """Cells as plain text: a "[...]" in a subject or a reason is not Rich markup."""
    return [Text(cell) for cell in cells]


def parse(raw: bytes) -> EmailMessage:
    """A raw message (CRLF or LF) as an EmailMessage with decoded headers."""
    message = email.message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def message_panel(message: EmailMessage, title: str, envelope: str = "") -> Panel:
    """Headers (decoded) and the text/plain body, as a mail client would show them."""
    headers = Text()
    if envelope:
        headers.append(f"{envelope}\n", style="dim")
    names = [name for name in _FIRST_HEADERS if name in message]
    names += [
        name
        for name in dict.fromkeys(message.keys())
        if name not in names and name.lower() not in _HIDDEN_HEADERS
    ]
    for name in names:
        for value in message.get_all(name, []):
            headers.append(f"{name}: ", style="bold")
            headers.append(" ".join(str(value).split()) + "\n")
    parts = [part.get_content_type() for part in message.walk() if not part.is_multipart()]
    headers.append(f"MIME parts: {', '.join(parts)}\n", style="dim")
    body = message.get_body(("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else "(no text/plain part)"
    return Panel(Group(headers, Text(text.rstrip())), title=title, title_align="left")
