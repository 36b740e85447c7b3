"""Read tickets with their messages and timeline, for ``amends tickets list|show``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from models.classification import Classification, LabelFeedback
from models.mail import Message
from models.tickets import Customer, EventLog, Ticket


@dataclass(frozen=True)
class TicketRow:
    ticket: Ticket
    customer: str
    messages: int


@dataclass(frozen=True)
class TicketDetail:
    ticket: Ticket
    customer: Customer
    messages: list[Message]
    events: list[EventLog]
    classifications: list[Classification]
    labels: list[LabelFeedback]


def list_tickets(
    engine: Engine, *, mailbox: str | None = None, status: str | None = None, limit: int = 50
) -> list[TicketRow]:
    """The newest tickets first, with the customer's address and the number of messages."""
    counts = (
        select(Message.ticket_id, func.count().label("n"))
        .group_by(col(Message.ticket_id))
        .subquery()
    )
    query = (
        select(Ticket, Customer.address, func.coalesce(counts.c.n, 0))
        .join(Customer, col(Ticket.customer_id) == Customer.id)
        .join(counts, counts.c.ticket_id == Ticket.id, isouter=True)
        .order_by(col(Ticket.received_at).desc(), col(Ticket.id).desc())
        .limit(limit)
    )
    if mailbox:
        query = query.where(Ticket.mailbox == mailbox)
    if status:
        query = query.where(Ticket.status == status)
    with Session(engine) as session:
        return [TicketRow(t, address, int(n)) for t, address, n in session.exec(query)]


def ticket_detail(engine: Engine, ticket_id: int) -> TicketDetail | None:
    with Session(engine) as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            return None
        customer = session.get(Customer, ticket.customer_id)
        assert customer is not None
        messages = session.exec(
            select(Message).where(Message.ticket_id == ticket_id).order_by(col(Message.received_at))
        ).all()
        events = session.exec(
            select(EventLog)
            .where(EventLog.ticket_id == ticket_id)
            .order_by(col(EventLog.created_at), col(EventLog.id))
        ).all()
        classifications = session.exec(
            select(Classification)
            .where(Classification.ticket_id == ticket_id)
            .order_by(col(Classification.id))
        ).all()
        labels = session.exec(
            select(LabelFeedback)
            .where(LabelFeedback.ticket_id == ticket_id)
            .order_by(col(LabelFeedback.id))
        ).all()
        return TicketDetail(
            ticket, customer, list(messages), list(events), list(classifications), list(labels)
        )
