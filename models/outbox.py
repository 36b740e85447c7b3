"""Tables for what the worker writes: recovery drafts, the outbox of mail it sends, the answers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.columns import (
    ADDRESS_LEN,
    AGENT_LEN,
    FOLDER_LEN,
    LABEL_LEN,
    LANGUAGE_LEN,
    MAILBOX_LEN,
    RULE_LEN,
    StrEnumType,
    UtcDateTime,
    json_type,
    utc_now,
)

OUR_MESSAGE_ID_LEN = 255  # Message-IDs we generate are short


class DraftState(StrEnum):
    RENDERED = "rendered"
    APPENDED = "appended"
    SENT_DETECTED = "sent_detected"
    DISCARDED = "discarded"


class OutboxKind(StrEnum):
    FOLLOWUP = "followup"
    DRAFT_SEND = "draft_send"  # a draft sent from the tool instead of the agent's client
    ADMIN_ALERT = "admin_alert"
    REPORT = "report"  # the weekly report to the admins ([reports.weekly])


class ReplySource(StrEnum):
    """How a reply found in Sent came about."""

    DRAFT = "draft"  # the agent sent our draft (its Message-ID kept by the mail client)
    AGENT = "agent"  # the agent's own reply to the thread, edited from our draft or not
    TOOL = "tool"  # a draft the worker sent from Amends/Send
    FOLLOWUP = "followup"  # the copy of a follow-up the worker sent


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # will be retried
    DEAD = "dead"  # gave up after the last attempt
    CANCELLED = "cancelled"


class Draft(SQLModel, table=True):
    """The recovery reply to one inbound message, from rendering to the agent sending it.

    One draft per inbound message and revision (``amends drafts regenerate`` makes the next
    revision); our generated Message-ID is how we recognise it in Drafts and Sent after a crash.
    """

    __tablename__ = "draft"
    __table_args__ = (sa.UniqueConstraint("inbound_message_id", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", ondelete="CASCADE", index=True)
    inbound_message_id: int = Field(foreign_key="message.id", ondelete="CASCADE")
    revision: int = Field(default=1)
    owner: str | None = Field(default=None, sa_type=sa.String(AGENT_LEN))
    # Internal note for the owner (escalation, language fallback); never in the body.
    note: str | None = Field(default=None, sa_type=sa.Text)
    template: str = Field(sa_type=sa.String(100))
    language: str = Field(sa_type=sa.String(LANGUAGE_LEN))
    message_id: str = Field(sa_type=sa.String(OUR_MESSAGE_ID_LEN), unique=True)
    subject: str = Field(sa_type=sa.Text)
    body_text: str = Field(sa_type=sa.Text)
    body_html: str | None = Field(default=None, sa_type=sa.Text)
    lint_findings: list[dict[str, Any]] = Field(default_factory=list, sa_type=json_type())
    state: DraftState = Field(
        default=DraftState.RENDERED, sa_type=StrEnumType(DraftState, 16), index=True
    )
    folder: str | None = Field(default=None, sa_type=sa.String(FOLDER_LEN))
    appended_uid: int | None = Field(default=None, sa_type=sa.BigInteger)
    uidvalidity: int | None = Field(default=None, sa_type=sa.BigInteger)
    appended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    sent_detected_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # How much the agent changed the draft before sending (0 = sent as written).
    sent_diff_ratio: float | None = Field(default=None)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    updated_at: datetime = Field(
        default_factory=utc_now, sa_type=UtcDateTime, sa_column_kwargs={"onupdate": utc_now}
    )


class OutboxItem(SQLModel, table=True):
    """Anything the worker sends itself: follow-ups, drafts sent from the tool, admin alerts.

    ``key`` is the deterministic idempotency key of the side effect; (ticket, kind, rule) allows
    one follow-up per ticket per rule. Workers claim rows with ``FOR UPDATE SKIP LOCKED`` and
    record the claim in ``locked_by``/``locked_until`` so a dead worker's claim expires.
    """

    __tablename__ = "outbox_item"
    __table_args__ = (
        sa.UniqueConstraint("ticket_id", "kind", "rule"),
        sa.Index("ix_outbox_item_state_due_at", "state", "due_at"),
        # the per-recipient send limit that stops mail loops counts recent sends
        sa.Index("ix_outbox_item_recipient_sent_at", "recipient", "sent_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: OutboxKind = Field(sa_type=StrEnumType(OutboxKind, 32))
    mailbox: str | None = Field(default=None, sa_type=sa.String(MAILBOX_LEN))
    # A follow-up for a ticket that no longer exists must never go out: cascade.
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", ondelete="CASCADE")
    draft_id: int | None = Field(
        default=None, foreign_key="draft.id", ondelete="CASCADE", index=True
    )
    rule: str = Field(sa_type=sa.String(RULE_LEN))
    key: str = Field(sa_type=sa.String(255), unique=True)
    state: OutboxState = Field(default=OutboxState.PENDING, sa_type=StrEnumType(OutboxState, 16))
    due_at: datetime = Field(sa_type=UtcDateTime)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    recipient: str = Field(sa_type=sa.String(ADDRESS_LEN))
    subject: str | None = Field(default=None, sa_type=sa.Text)
    body_text: str | None = Field(default=None, sa_type=sa.Text)
    message_id: str | None = Field(default=None, sa_type=sa.String(OUR_MESSAGE_ID_LEN), unique=True)
    # The exact bytes sent, fixed (with the Message-ID) before the first attempt.
    raw: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    owner: str | None = Field(default=None, sa_type=sa.String(AGENT_LEN))
    smtp_code: int | None = Field(default=None)
    # A draft sent from Amends/Send: where it sat, to remove it once sent and filed.
    source_uid: int | None = Field(default=None, sa_type=sa.BigInteger)
    source_uidvalidity: int | None = Field(default=None, sa_type=sa.BigInteger)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # When the copy was put in the Sent folder (and, for Amends/Send, the draft removed).
    filed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cancelled_reason: str | None = Field(default=None, sa_type=sa.Text)
    locked_by: str | None = Field(default=None, sa_type=sa.String(AGENT_LEN))
    locked_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    updated_at: datetime = Field(
        default_factory=utc_now, sa_type=UtcDateTime, sa_column_kwargs={"onupdate": utc_now}
    )


class SatisfactionAnswer(SQLModel, table=True):
    """The customer's answer to a follow-up; an unhappy one reopens the ticket.

    One answer per inbound message (unique), so re-reading the same mail records it once.
    """

    __tablename__ = "satisfaction_answer"
    __table_args__ = (sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", ondelete="CASCADE", index=True)
    outbox_item_id: int | None = Field(
        default=None, foreign_key="outbox_item.id", ondelete="SET NULL", index=True
    )
    message_id: int | None = Field(
        default=None, foreign_key="message.id", ondelete="SET NULL", unique=True
    )
    rating: int | None = Field(default=None)
    satisfied: bool | None = Field(default=None)
    fix_held: bool | None = Field(default=None)
    excerpt: str | None = Field(default=None, sa_type=sa.Text)
    opt_out: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # An answer that is no rating is read by the classifier: a new failure, or not.
    failure_type: str | None = Field(default=None, sa_type=sa.String(LABEL_LEN))
    reopened: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # When the owner's keyword went onto the answer in the mailbox (reopened tickets only).
    notified_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class Reply(SQLModel, table=True):
    """A message in the Sent folder that answers a ticket: who sent it, when, how edited."""

    __tablename__ = "reply"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", ondelete="CASCADE", index=True)
    message_id: int = Field(foreign_key="message.id", ondelete="CASCADE", unique=True)
    draft_id: int | None = Field(default=None, foreign_key="draft.id", ondelete="SET NULL")
    source: ReplySource = Field(sa_type=StrEnumType(ReplySource, 16))
    sent_by: str | None = Field(default=None, sa_type=sa.String(ADDRESS_LEN))
    agent: str | None = Field(default=None, sa_type=sa.String(AGENT_LEN))
    sent_at: datetime = Field(sa_type=UtcDateTime)
    # Seconds from the complaint to this reply, on the ticket's first response only.
    response_s: float | None = Field(default=None)
    # How much of the draft the agent changed (0: sent as written, 1: nothing of it left).
    diff_ratio: float | None = Field(default=None)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
