"""Tables for what the inbox stage reads: per-folder sync state, stored messages, quarantine."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.columns import (
    ADDRESS_LEN,
    FOLDER_LEN,
    LANGUAGE_LEN,
    MAILBOX_LEN,
    MESSAGE_ID_LEN,
    SHA256_LEN,
    StrEnumType,
    UtcDateTime,
    json_type,
    utc_now,
)


class MessageDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class MessageKind(StrEnum):
    """What sent the message; only ``customer`` mail gets drafts and follow-ups."""

    CUSTOMER = "customer"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    LIST = "list"
    FEEDBACK = "feedback"  # abuse/feedback reports (ARF, RFC 5965)
    OWN = "own"


class MailboxSync(SQLModel, table=True):
    """The bookmark of one IMAP folder: UIDs below ``last_uid`` under ``uidvalidity`` are stored."""

    __tablename__ = "mailbox_sync"
    __table_args__ = (sa.UniqueConstraint("mailbox", "folder"),)

    id: int | None = Field(default=None, primary_key=True)
    mailbox: str = Field(sa_type=sa.String(MAILBOX_LEN))
    folder: str = Field(sa_type=sa.String(FOLDER_LEN))
    # UIDVALIDITY, UIDs and MODSEQs are unsigned 32/63-bit: too big for a PostgreSQL integer.
    uidvalidity: int | None = Field(default=None, sa_type=sa.BigInteger)
    last_uid: int = Field(default=0, sa_type=sa.BigInteger)
    highest_modseq: int | None = Field(default=None, sa_type=sa.BigInteger)
    last_sync_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    updated_at: datetime = Field(
        default_factory=utc_now, sa_type=UtcDateTime, sa_column_kwargs={"onupdate": utc_now}
    )


class Message(SQLModel, table=True):
    """One mail as fetched (inbound) or found in Sent / sent by us (outbound), stored once.

    ``folder``/``uidvalidity``/``uid`` are NULL for mail we sent over SMTP and never fetched.
    ``message_id_hash`` is the SHA-256 of the normalised Message-ID (of "" when absent), so the
    content-based uniqueness also covers messages without a Message-ID.
    """

    __tablename__ = "message"
    __table_args__ = (
        sa.UniqueConstraint("mailbox", "folder", "uidvalidity", "uid"),
        sa.UniqueConstraint("mailbox", "message_id_hash", "content_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Erasing a ticket (or its customer) erases the mail that belongs to it.
    ticket_id: int | None = Field(
        default=None, foreign_key="ticket.id", ondelete="CASCADE", index=True
    )
    mailbox: str = Field(sa_type=sa.String(MAILBOX_LEN))
    direction: MessageDirection = Field(sa_type=StrEnumType(MessageDirection, 16))
    kind: MessageKind = Field(sa_type=StrEnumType(MessageKind, 16))
    message_id: str | None = Field(default=None, sa_type=sa.String(MESSAGE_ID_LEN), index=True)
    message_id_hash: str = Field(sa_type=sa.String(SHA256_LEN))
    in_reply_to: str | None = Field(default=None, sa_type=sa.Text)
    references: str | None = Field(default=None, sa_type=sa.Text)
    folder: str | None = Field(default=None, sa_type=sa.String(FOLDER_LEN))
    uidvalidity: int | None = Field(default=None, sa_type=sa.BigInteger)
    uid: int | None = Field(default=None, sa_type=sa.BigInteger)
    from_address: str | None = Field(default=None, sa_type=sa.String(ADDRESS_LEN))
    from_name: str | None = Field(default=None, sa_type=sa.Text)
    to_addresses: str | None = Field(default=None, sa_type=sa.Text)
    cc_addresses: str | None = Field(default=None, sa_type=sa.Text)
    subject: str | None = Field(default=None, sa_type=sa.Text)
    date_header: datetime | None = Field(default=None, sa_type=UtcDateTime)
    internal_date: datetime | None = Field(default=None, sa_type=UtcDateTime)
    headers: str | None = Field(default=None, sa_type=sa.Text)
    body_text: str | None = Field(default=None, sa_type=sa.Text)
    new_text: str | None = Field(default=None, sa_type=sa.Text)
    language: str | None = Field(default=None, sa_type=sa.String(LANGUAGE_LEN))
    attachments: list[dict[str, Any]] | None = Field(default=None, sa_type=json_type())
    size: int = Field(default=0)
    # True when the message was above the size limit: only headers and structure were fetched.
    truncated: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    content_hash: str = Field(sa_type=sa.String(SHA256_LEN))
    thread_reason: str | None = Field(default=None, sa_type=sa.Text)
    received_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    # When the text (subject, names, headers, bodies, attachment names) was removed by
    # `amends purge` or [retention]; addresses, hashes and thread ids stay.
    purged_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class QuarantineEntry(SQLModel, table=True):
    """A message that failed processing; it stays on the server and is retried or shown."""

    __tablename__ = "quarantine_entry"
    __table_args__ = (sa.UniqueConstraint("mailbox", "folder", "uidvalidity", "uid"),)

    id: int | None = Field(default=None, primary_key=True)
    mailbox: str = Field(sa_type=sa.String(MAILBOX_LEN))
    folder: str = Field(sa_type=sa.String(FOLDER_LEN))
    uidvalidity: int = Field(sa_type=sa.BigInteger)
    uid: int = Field(sa_type=sa.BigInteger)
    reason: str = Field(sa_type=sa.Text)
    error_class: str = Field(sa_type=sa.String(200))
    attempts: int = Field(default=1)
    first_seen_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    last_seen_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    resolved: bool = Field(default=False)
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
