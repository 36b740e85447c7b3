"""Tables for the case itself: customers, tickets, their owners over time and their timeline."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.columns import (
    ADDRESS_LEN,
    AGENT_LEN,
    LABEL_LEN,
    LANGUAGE_LEN,
    MAILBOX_LEN,
    RULE_LEN,
    StrEnumType,
    UtcDateTime,
    json_type,
    utc_now,
)


class TicketStatus(StrEnum):
    """A ticket's place in the recovery lifecycle (see docs/design.md, data flow)."""

    NEW = "new"
    UNSURE = "unsure"
    ASSIGNED = "assigned"
    DRAFTED = "drafted"
    REPLIED = "replied"
    FOLLOWUP_SCHEDULED = "followup_scheduled"
    FOLLOWUP_SENT = "followup_sent"
    SATISFIED = "satisfied"
    REOPENED = "reopened"
    CLOSED = "closed"


class Severity(StrEnum):
    NORMAL = "normal"
    SEVERE = "severe"


class Customer(SQLModel, table=True):
    """Someone who wrote to a support mailbox, keyed by normalised (lower-case) address."""

    __tablename__ = "customer"

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(sa_type=sa.String(ADDRESS_LEN), unique=True)
    display_name: str | None = Field(default=None, sa_type=sa.Text)
    first_seen_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    failure_count: int = Field(default=0)
    ticket_count: int = Field(default=0)
    opted_out: bool = Field(default=False)
    opted_out_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    bounced: bool = Field(default=False)
    bounced_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    language: str | None = Field(default=None, sa_type=sa.String(LANGUAGE_LEN))


class Ticket(SQLModel, table=True):
    """One complaint and everything done about it."""

    __tablename__ = "ticket"

    id: int | None = Field(default=None, primary_key=True)
    mailbox: str = Field(sa_type=sa.String(MAILBOX_LEN))
    # Erasing a customer (a data-protection request) erases their tickets and all that hangs off.
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE", index=True)
    subject: str | None = Field(default=None, sa_type=sa.Text)
    status: TicketStatus = Field(
        default=TicketStatus.NEW, sa_type=StrEnumType(TicketStatus, 32), index=True
    )
    failure_type: str | None = Field(default=None, sa_type=sa.String(LABEL_LEN), index=True)
    confidence: float | None = Field(default=None)
    severity: Severity = Field(default=Severity.NORMAL, sa_type=StrEnumType(Severity, 16))
    repeat_failure: bool = Field(default=False)
    owner: str | None = Field(default=None, sa_type=sa.String(AGENT_LEN), index=True)
    # The owner whose IMAP keyword is on the customer's message (None: no keyword set yet);
    # differs from ``owner`` after a reassignment until the worker has updated the keyword.
    owner_keyword: str | None = Field(default=None, sa_type=sa.String(AGENT_LEN))
    language: str | None = Field(default=None, sa_type=sa.String(LANGUAGE_LEN))
    escalated: bool = Field(default=False)
    received_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime, index=True)
    first_response_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    followup_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # The customer's answer to the last follow-up (1-5), and how often the case was reopened.
    rating: int | None = Field(default=None)
    reopen_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # When the ticket's text (its subject, its mail, drafts, answers) was removed by
    # `amends purge` or [retention]; the figures reports count stay.
    purged_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    updated_at: datetime = Field(
        default_factory=utc_now, sa_type=UtcDateTime, sa_column_kwargs={"onupdate": utc_now}
    )


class Assignment(SQLModel, table=True):
    """Who got the ticket, by which rule and why; a new row on every (re)assignment."""

    __tablename__ = "assignment"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", ondelete="CASCADE", index=True)
    owner: str = Field(sa_type=sa.String(AGENT_LEN))
    team: str | None = Field(default=None, sa_type=sa.String(AGENT_LEN))
    rule: str = Field(sa_type=sa.String(RULE_LEN))
    reason: str = Field(sa_type=sa.Text)
    manual: bool = Field(default=False)
    assigned_by: str | None = Field(default=None, sa_type=sa.String(AGENT_LEN))
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class EventLog(SQLModel, table=True):
    """The ticket timeline (and mailbox-level events when ``ticket_id`` is NULL)."""

    __tablename__ = "event_log"
    __table_args__ = (sa.Index("ix_event_log_ticket_id_created_at", "ticket_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", ondelete="CASCADE")
    mailbox: str | None = Field(default=None, sa_type=sa.String(MAILBOX_LEN))
    kind: str = Field(sa_type=sa.String(64))
    detail: str | None = Field(default=None, sa_type=sa.Text)
    data: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)

    @classmethod
    def about(
        cls, ticket: Ticket, kind: str, detail: str, data: dict[str, Any] | None = None
    ) -> EventLog:
        """An entry on ``ticket``'s timeline."""
        return cls(ticket_id=ticket.id, mailbox=ticket.mailbox, kind=kind, detail=detail, data=data)
