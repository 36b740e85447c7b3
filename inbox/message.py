"""What the inbox stage knows about one fetched message, passed from parsing to storing.

Plain frozen data: the parser fills ``ParsedMessage``, kind detection adds ``KindResult``,
threading decides a ``ThreadDecision``; the store writes all three in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.mail import MessageKind


@dataclass(frozen=True)
class Attachment:
    filename: str | None
    content_type: str
    size: int
    # Set for files found inside a TNEF (winmail.dat) container.
    inside: str | None = None


@dataclass(frozen=True)
class ParsedMessage:
    """A message decoded as far as it can be; parsing never raises, it records ``defects``.

    Message-IDs are kept without angle brackets; addresses are lower-cased ``local@domain``.
    """

    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    from_address: str | None
    from_name: str | None
    reply_to: tuple[str, ...]
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    date: datetime | None
    headers: str
    body_text: str
    new_text: str
    attachments: tuple[Attachment, ...]
    language: str | None
    size: int
    content_hash: str
    defects: tuple[str, ...] = ()
    # True when only the headers and MIME structure were fetched (message above the size limit).
    truncated: bool = False


@dataclass(frozen=True)
class KindResult:
    """Who sent the message: a customer, or a machine we must never answer."""

    kind: MessageKind
    reason: str
    # For bounces: the addresses that failed, the DSN status (e.g. "5.1.1") and the
    # Message-ID of the mail that bounced, when the report includes it.
    failed_recipients: tuple[str, ...] = ()
    status: str | None = None
    original_message_id: str | None = None


@dataclass(frozen=True)
class ThreadDecision:
    """Which ticket a message belongs to (None: a new ticket) and why."""

    ticket_id: int | None
    reason: str
    matched_message_id: int | None = None
