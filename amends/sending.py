"""What the worker sends itself: follow-ups, drafts agents moved to ``Amends/Send``.

``outbox.queue`` keeps the rows and the SMTP attempts; this module gives it the application's
side: composing a follow-up from its ticket (in the customer's language, from the owner,
threaded into the conversation), checking and filing copies in the mailbox's Sent folder,
removing a sent draft from the send folder, and recording outcomes on the ticket.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, getaddresses, make_msgid
from typing import TypeVar

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from amends import clock
from amends.classify import first_messages
from amends.config import Config
from amends.config.schema import MailboxSettings
from amends.drafting import CYRILLIC_AT, imap_session, recipient
from amends.endpoints import imap_endpoint, smtp_endpoint
from amends.errors import AmendsError
from amends.followups import (
    FollowupError,
    FollowupReport,
    MailboxPass,
    cancel,
    cancel_stale,
    customer_wrote,
    notify_owners,
    read_answers,
    record_replies,
    sent_folder,
    sync_sent,
    why_not_follow_up,
)
from inbox.connection import IMAPClient, connect, ensure_folder, logout, session_errors
from inbox.fetch import examine, fetch_batch, new_uids
from inbox.store import MESSAGE_ID_KEY
from inbox.threads import parse_our_message_id, strip_reply_prefixes, subject_token
from models.columns import ADDRESS_LEN
from models.mail import Message
from models.operations import app_secret
from models.outbox import OutboxItem, OutboxKind, OutboxState, Reply, ReplySource
from models.tickets import Customer, EventLog, Ticket, TicketStatus
from outbox.compose import (
    DraftHeaders,
    build_followup,
    clean_header_text,
    mailbox_address,
    reply_subject,
)
from outbox.drafts_folder import append_once, find_by_message_id, open_folder
from outbox.facts import extract_facts
from outbox.lint import lint, summary
from outbox.queue import Delivery, DeliveryReport, Prepared, QueuePolicy
from outbox.render import FollowupFacts, Templates, cyrillic_share

log = logging.getLogger(__name__)

T = TypeVar("T")

# Headers of a draft that must not go out with it: ours, and the envelope's Bcc.
_DRAFT_ONLY = ("Bcc", "X-Amends-Lint", "X-Amends-Note", "X-Amends-Owner", "X-Amends-Ticket")
# SMTP replies that mean the address itself does not exist (RFC 3463 5.1.x).
_NO_SUCH_ADDRESS = ("5.1.1", "5.1.2", "5.1.3", "5.1.10")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def policy(config: Config) -> QueuePolicy:
    return QueuePolicy(**config.outbox.model_dump())


def _mailbox(config: Config, name: str | None) -> MailboxSettings:
    found = next((m for m in config.mailboxes if m.name == name), None)
    if found is None:
        known = ", ".join(m.name for m in config.mailboxes) or "none"
        raise FollowupError(
            f"mailbox {name!r} is not in the configuration (mailboxes: {known})",
            hint="use a configured mailbox name; a queued row of a removed mailbox can be "
            "cancelled with `amends followups cancel`",
        )
    return found


# --- composing a follow-up ---------------------------------------------------------------------


def compose_followup(
    session: Session, config: Config, templates: Templates, item: OutboxItem, now: datetime
) -> Prepared:
    """The follow-up's bytes (composed on the first attempt), or why it must not go out."""
    ticket = session.get(Ticket, item.ticket_id) if item.ticket_id else None
    if ticket is None:
        return Prepared(cancel="the ticket no longer exists")
    reason = customer_wrote(session, ticket) or why_not_follow_up(session, config, ticket)
    if reason is not None:
        cancel(session, item, ticket, reason)
        return Prepared(cancel=reason)
    mailbox = _mailbox(config, item.mailbox)
    if item.raw is not None:
        return Prepared(item.raw, mailbox.address, (item.recipient,))
    customer = session.get(Customer, ticket.customer_id)
    message = first_messages(session, [ticket.id or 0]).get(ticket.id or 0)
    assert customer is not None and message is not None  # why_not_follow_up checked both
    to = recipient(config, customer, message)
    assert to.address is not None
    agent = config.agent(ticket.owner)
    signature = agent.signature if agent else (mailbox.display_name or mailbox.name)
    company = mailbox.display_name or mailbox.name
    text = message.new_text or message.body_text or ""
    facts = extract_facts(text)
    rendered = templates.render_followup(
        FollowupFacts(
            failure_type=ticket.failure_type or "generic",
            language=ticket.language or config.drafts.default_language,
            agent=signature,
            company=company,
            # The name of a customer whose old cases were purged is read again from this mail.
            customer_name=clean_header_text(customer.display_name or message.from_name or "", 60),
            order=facts.orders[0] if facts.orders else None,
            severe=ticket.severity.value == "severe",
            repeat=ticket.repeat_failure,
            ticket=ticket.id,
            subject=ticket.subject or "",
            # The gesture the draft offered (as configured; the agent may have changed it).
            gesture=config.gesture_for(
                ticket.failure_type or "",
                strong=ticket.severity.value == "severe" or ticket.repeat_failure,
            ).partition(":")[0],
        ),
        default_language=config.drafts.default_language,
        html=config.drafts.html,
        cyrillic=cyrillic_share(text) >= CYRILLIC_AT,
    )
    findings = lint(rendered.reply)
    if findings:
        log.warning("ticket %s: the follow-up has lint findings: %s", ticket.id, summary(findings))
    reply = _last_reply(session, ticket)
    parent = reply.message_id if reply is not None else message.message_id
    references = [*(message.references or "").split(), message.message_id or ""]
    headers = DraftHeaders(
        sender=Address(display_name=f"{signature}, {company}", addr_spec=mailbox.address),
        recipient=to.address,
        subject=reply_subject(
            strip_reply_prefixes(ticket.subject or ""), subject_token(ticket.id or 0)
        ),
        message_id=item.message_id or "",
        date=now,
        ticket_id=ticket.id or 0,
        in_reply_to=parent,
        references=tuple(r for r in references if r),
        language=rendered.language,
    )
    item.raw = build_followup(headers, rendered.text, rendered.html)
    item.subject, item.body_text = headers.subject, rendered.text
    item.recipient = to.address.addr_spec
    item.owner = ticket.owner
    session.add(item)
    return Prepared(item.raw, mailbox.address, (item.recipient,))


def _last_reply(session: Session, ticket: Ticket) -> Message | None:
    return session.exec(
        select(Message)
        .join(Reply, col(Reply.message_id) == col(Message.id))
        .where(Reply.ticket_id == ticket.id, Reply.source != ReplySource.FOLLOWUP)
        .order_by(col(Reply.sent_at).desc())
    ).first()


def _prepare(
    config: Config, templates: Templates
) -> Callable[[Session, OutboxItem, datetime], Prepared]:
    def prepare(session: Session, item: OutboxItem, now: datetime) -> Prepared:
        try:
            mailbox = _mailbox(config, item.mailbox)
        except FollowupError as exc:
            # A mailbox taken out of the configuration: its rows must not block the others.
            return Prepared(cancel=exc.message)
        if item.kind is OutboxKind.FOLLOWUP:
            return compose_followup(session, config, templates, item, now)
        if item.raw is None:
            return Prepared(cancel="nothing to send")
        return Prepared(item.raw, mailbox.address, tuple(item.recipient.split(", ")))

    return prepare


def record_outcome(session: Session, item: OutboxItem, now: datetime) -> None:
    """Mirror an outbox row's new state on its ticket (same transaction as the row)."""
    ticket = session.get(Ticket, item.ticket_id) if item.ticket_id else None
    if ticket is None:
        return
    what = "follow-up" if item.kind is OutboxKind.FOLLOWUP else "draft from the send folder"
    if item.state is OutboxState.SENT:
        # Replied too: a row retried by hand after it had given up.
        waiting = {TicketStatus.FOLLOWUP_SCHEDULED, TicketStatus.REPLIED}
        if item.kind is OutboxKind.FOLLOWUP and ticket.status in waiting:
            ticket.status, ticket.followup_at = TicketStatus.FOLLOWUP_SENT, item.sent_at
            session.add(ticket)
        session.add(
            EventLog.about(
                ticket,
                f"{item.kind.value}_sent",
                f"{what} sent to {item.recipient}",
                {"message_id": item.message_id, "attempts": item.attempts},
            )
        )
    elif item.state in {OutboxState.FAILED, OutboxState.DEAD}:
        final = item.state is OutboxState.DEAD
        detail = (
            f"{what} to {item.recipient} gave up after {item.attempts} attempt(s)"
            if final
            else f"{what} to {item.recipient}: attempt {item.attempts} failed, "
            f"retrying at {item.due_at.isoformat(timespec='minutes')}"
        )
        session.add(
            EventLog.about(
                ticket,
                f"{item.kind.value}_{item.state.value}",
                f"{detail}: {item.last_error}",
                {"smtp_code": item.smtp_code},
            )
        )
        if final and any(code in (item.last_error or "") for code in _NO_SUCH_ADDRESS):
            customer = session.get(Customer, ticket.customer_id)
            if customer is not None and not customer.bounced:
                customer.bounced, customer.bounced_at = True, now
                session.add(customer)
        if final and ticket.status is TicketStatus.FOLLOWUP_SCHEDULED:
            ticket.status, ticket.followup_at = TicketStatus.REPLIED, None
            session.add(ticket)


# --- the Sent folder and the send folder -------------------------------------------------------


class ImapPool:
    """One IMAP connection per mailbox for a delivery pass, opened when first needed."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.clients: dict[str, IMAPClient] = {}
        self.lock = threading.Lock()

    def run(self, name: str | None, work: Callable[[IMAPClient, MailboxSettings], T]) -> T:
        """``work`` with the mailbox's connection (one caller at a time)."""
        mailbox = _mailbox(self.config, name)
        with self.lock:
            client = self.clients.get(mailbox.name)
            if client is None:
                client = self.clients[mailbox.name] = connect(imap_endpoint(self.config, mailbox))
            try:
                return work(client, mailbox)
            except Exception:
                # The session state is unknown after an error: never reuse the connection.
                self.clients.pop(mailbox.name, None)
                logout(client)
                raise

    def close(self) -> None:
        for client in self.clients.values():
            logout(client)
        self.clients.clear()


# Mail to the team itself (reports), not to customers: no copy in the mailbox's Sent folder.
UNFILED = {OutboxKind.REPORT, OutboxKind.ADMIN_ALERT}


def in_sent(client: IMAPClient, mailbox: MailboxSettings, item: OutboxItem) -> bool:
    """Whether the mailbox's Sent folder holds the row's Message-ID."""
    if item.kind in UNFILED:
        return False
    folder = sent_folder(client, mailbox)
    with session_errors(client, f"looking for {item.message_id} in {folder!r}"):
        open_folder(client, folder)
        return find_by_message_id(client, item.message_id or "") is not None


def file_copy(
    client: IMAPClient, mailbox: MailboxSettings, item: OutboxItem, now: datetime
) -> None:
    """Put the sent message in Sent (once), then take a sent draft out of the send folder."""
    if item.kind in UNFILED:
        return
    assert item.raw is not None and item.message_id is not None
    folder = sent_folder(client, mailbox)
    with session_errors(client, f"filing a sent copy in {folder!r}"):
        append_once(client, folder, item.raw, item.message_id, now)
    if item.kind is OutboxKind.DRAFT_SEND and item.source_uid is not None:
        _remove_from_send_folder(client, mailbox, item)


def _remove_from_send_folder(
    client: IMAPClient, mailbox: MailboxSettings, item: OutboxItem
) -> None:
    folder = mailbox.folders.send
    with session_errors(client, f"removing a sent draft from {folder!r}"):
        selected = client.select_folder(folder)
        if int(selected.get(b"UIDVALIDITY", 0)) != item.source_uidvalidity:
            return  # the folder was recreated: the draft is not there under this UID
        client.add_flags([item.source_uid], [b"\\Deleted"])
        # UID EXPUNGE (RFC 4315) removes only this message, never another one marked deleted.
        client.uid_expunge([item.source_uid])
        client.close_folder()


def collect_send_folder(step: MailboxPass) -> None:
    """Queue every draft an agent moved into ``folders.send`` (once per UID)."""
    engine, _config, mailbox, report, now = step.unpack()
    client = step.client
    if not mailbox.send_from_tool:
        return
    folder = mailbox.folders.send
    ensure_folder(client, folder)
    state = examine(client, folder)
    uids = new_uids(client, 0)
    if not uids:
        return
    with Session(engine) as session:
        known = set(
            session.exec(
                select(OutboxItem.source_uid).where(
                    OutboxItem.mailbox == mailbox.name,
                    OutboxItem.kind == OutboxKind.DRAFT_SEND,
                    OutboxItem.source_uidvalidity == state.uidvalidity,
                )
            )
        )
        key = app_secret(session, MESSAGE_ID_KEY)
        for fetched in fetch_batch(client, [uid for uid in uids if uid not in known]):
            item = draft_to_send(
                session, key, mailbox, state.uidvalidity, fetched.uid, fetched.raw, now
            )
            session.add(item)
            if item.ticket_id is not None:
                ticket = session.get(Ticket, item.ticket_id)
                if ticket is not None:
                    session.add(
                        EventLog.about(ticket, "draft_send_queued", f"queued from {folder}")
                    )
            report.queued_from_send_folder += 1
        session.commit()


def draft_to_send(
    session: Session,
    key: bytes,
    mailbox: MailboxSettings,
    uidvalidity: int,
    uid: int,
    raw: bytes,
    now: datetime,
) -> OutboxItem:
    """An outbox row for a draft in the send folder, its bytes fixed as they will be sent.

    From becomes the mailbox address (keeping the agent's display name), the Date is now, the
    Message-ID is kept (or made) so the copy in Sent is recognised, and Bcc and our internal
    headers are dropped. A draft without recipients is recorded as dead with the reason.
    """
    message = message_from_bytes(raw, policy=SMTP_POLICY)
    assert isinstance(message, EmailMessage)
    values = [str(v) for h in ("To", "Cc", "Bcc") for v in message.get_all(h, [])]
    addresses = list(dict.fromkeys(a for _, a in getaddresses(values) if "@" in a))
    message_id = (message.get("Message-ID") or "").strip().strip("<>")
    if "@" not in message_id or any(c.isspace() for c in message_id):
        message_id = make_msgid(domain=mailbox.address.rpartition("@")[2]).strip("<>")
    ticket_id = _ticket_of(session, message, key)
    ticket = session.get(Ticket, ticket_id) if ticket_id else None
    name = ""
    if message["From"] is not None and message["From"].addresses:
        name = message["From"].addresses[0].display_name
    for header in ("From", "Sender", "Date", "Message-ID", *_DRAFT_ONLY):
        del message[header]
    message["From"] = mailbox_address(mailbox.address, name or mailbox.display_name)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{message_id}>"
    item = OutboxItem(
        kind=OutboxKind.DRAFT_SEND,
        mailbox=mailbox.name,
        ticket_id=ticket.id if ticket else None,
        rule=f"send:{uidvalidity}:{uid}",
        key=f"send:{mailbox.name}:{uidvalidity}:{uid}",
        due_at=now,
        recipient=", ".join(addresses)[:ADDRESS_LEN] or "(nobody)",
        subject=clean_header_text(str(message.get("Subject", "")), 300),
        message_id=message_id,
        raw=message.as_bytes(),
        owner=ticket.owner if ticket else None,
        source_uid=uid,
        source_uidvalidity=uidvalidity,
    )
    if not addresses:
        item.state = OutboxState.DEAD
        item.last_error = "the draft has no recipient (To, Cc or Bcc): add one and move it again"
    return item


def _ticket_of(session: Session, message: EmailMessage, key: bytes) -> int | None:
    """The ticket a draft answers: our signed id in its reply headers, else a stored id."""
    ids = [
        part.strip().strip("<>")
        for name in ("In-Reply-To", "References")
        for part in str(message.get(name) or "").split()
    ]
    for candidate in reversed(ids):
        ours = parse_our_message_id(candidate, key=key)
        if ours is not None:
            return ours.ticket_id
    if not ids:
        return None
    return session.exec(
        select(Message.ticket_id)
        .where(col(Message.message_id).in_(ids), col(Message.ticket_id).is_not(None))
        .limit(1)
    ).first()


def file_pending(step: MailboxPass) -> None:
    """File the copies that could not be filed right after sending (retried every pass)."""
    engine, _config, mailbox, report, now = step.unpack()
    client = step.client
    with Session(engine) as session:
        items = list(
            session.exec(
                select(OutboxItem).where(
                    OutboxItem.mailbox == mailbox.name,
                    OutboxItem.state == OutboxState.SENT,
                    col(OutboxItem.filed_at).is_(None),
                    col(OutboxItem.raw).is_not(None),
                )
            )
        )
        for item in items:
            file_copy(client, mailbox, item, now)
            item.filed_at = now
            session.add(item)
            session.commit()
            report.filed += 1


# --- delivery and the whole pass ---------------------------------------------------------------


def deliver(
    engine: Engine,
    config: Config,
    now: Callable[[], datetime] = clock.now,
    *,
    only: set[int] | None = None,
    mailbox: str | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> DeliveryReport:
    """Send every due outbox row over SMTP (or just ``only``, or one mailbox's), filing copies
    in Sent; ``stop()`` is asked between messages."""
    endpoint = smtp_endpoint(config)
    if endpoint is None:
        raise AmendsError(
            "there is no [smtp] section in the configuration: follow-ups stay queued",
            hint="add [smtp] (see config.example.toml) so the worker can send them",
        )
    pool = ImapPool(config)
    templates = Templates(config.drafts.templates_dir)

    async def check(item: OutboxItem) -> bool:
        if item.kind in UNFILED:  # no IMAP connection for them
            return False
        return await asyncio.to_thread(
            pool.run, item.mailbox, lambda client, mailbox: in_sent(client, mailbox, item)
        )

    async def file(item: OutboxItem) -> None:
        if item.kind in UNFILED:
            return
        when = now()
        await asyncio.to_thread(
            pool.run,
            item.mailbox,
            lambda client, mailbox: file_copy(client, mailbox, item, when),
        )

    delivery = Delivery(
        engine,
        endpoint,
        policy(config),
        worker=worker_name(),
        prepare=_prepare(config, templates),
        in_sent=check,
        file_copy=file,
        on_outcome=record_outcome,
    )
    try:
        report = asyncio.run(delivery.run(now, only=only, mailbox=mailbox, stop=stop))
    finally:
        pool.close()
    if report.sent or report.retried or report.dead or report.recovered:
        log.debug("outbox: %s", report)
    return report


@dataclass
class PassReport:
    mailboxes: list[FollowupReport] = field(default_factory=list)
    delivery: DeliveryReport | None = None


def followup_steps(step: MailboxPass) -> None:
    """The follow-up stage of one mailbox on its connection: replies found in Sent, follow-ups
    scheduled or cancelled, answers read, owners told, drafts from the send folder queued and
    sent messages filed."""
    step.report.sent_sync = sync_sent(step)
    for work in (
        record_replies,
        cancel_stale,
        read_answers,
        notify_owners,
        collect_send_folder,
        file_pending,
    ):
        work(step)


def followup_pass(
    engine: Engine,
    config: Config,
    mailbox_name: str | None = None,
    now: Callable[[], datetime] = clock.now,
) -> PassReport:
    """One pass over the follow-up stage of every mailbox (or one), then the outbox."""
    result = PassReport()
    if mailbox_name is not None:
        _mailbox(config, mailbox_name)  # an unknown name is an error, not an empty pass
    for mailbox in config.mailboxes:
        if mailbox_name is not None and mailbox.name != mailbox_name:
            continue
        report = FollowupReport(mailbox.name)
        try:
            with imap_session(config, mailbox) as client:
                followup_steps(MailboxPass(engine, config, mailbox, client, report, now))
        except AmendsError as exc:
            # One mailbox's trouble (server down, login refused) must not hold up the others;
            # everything it did is committed and the next pass goes on from there.
            report.error = exc.message
            log.error("%s: follow-up pass stopped: %s", mailbox.name, exc.message)
        else:
            log.info("%s", report)
        result.mailboxes.append(report)
    if config.smtp is not None:
        result.delivery = deliver(engine, config, now, mailbox=mailbox_name)
    return result


# --- by hand (the CLI) -------------------------------------------------------------------------


_WAITING = {OutboxState.PENDING, OutboxState.FAILED}
_GIVEN_UP = {OutboxState.FAILED, OutboxState.DEAD}


def _rows(
    session: Session, item_ids: list[int], allowed: set[OutboxState], what: str
) -> list[OutboxItem]:
    """The rows, locked; raises FollowupError naming the first unknown one or one in the wrong
    state (``what``: what may be done to rows in the ``allowed`` states)."""
    items = []
    for item_id in item_ids:
        item = session.get(OutboxItem, item_id, with_for_update=True)
        if item is None:
            raise FollowupError(f"there is no outbox row {item_id}")
        if item.state not in allowed:
            states = " or ".join(sorted(s.value for s in allowed))
            raise FollowupError(
                f"outbox row {item_id} is {item.state.value}: only {states} rows {what}"
            )
        items.append(item)
    return items


def cancel_by_hand(engine: Engine, item_ids: list[int], reason: str) -> list[OutboxItem]:
    with Session(engine, expire_on_commit=False) as session:
        items = _rows(session, item_ids, _WAITING, "can be cancelled")
        for item in items:
            ticket = session.get(Ticket, item.ticket_id) if item.ticket_id else None
            cancel(session, item, ticket, reason)
        session.commit()
        return items


def retry_by_hand(engine: Engine, item_ids: list[int] | None, now: datetime) -> list[OutboxItem]:
    """Give failed or dead rows a fresh set of attempts, due now (``None``: every dead row)."""
    with Session(engine, expire_on_commit=False) as session:
        if item_ids is None:
            dead = select(OutboxItem).where(OutboxItem.state == OutboxState.DEAD)
            items = list(session.exec(dead))
        else:
            items = _rows(session, item_ids, _GIVEN_UP, "are retried")
        for item in items:
            item.state, item.due_at, item.attempts = OutboxState.PENDING, now, 0
            session.add(item)
            ticket = session.get(Ticket, item.ticket_id) if item.ticket_id else None
            if item.kind is OutboxKind.FOLLOWUP and ticket is not None:
                if ticket.status is TicketStatus.REPLIED:
                    ticket.status, ticket.followup_at = TicketStatus.FOLLOWUP_SCHEDULED, now
                    session.add(ticket)
                session.add(EventLog.about(ticket, "followup_retry", "retried by hand"))
        session.commit()
        return items


def make_due(engine: Engine, item_ids: list[int], now: datetime) -> None:
    """Make waiting rows due now (``followups send-now``)."""
    with Session(engine) as session:
        for item in _rows(session, item_ids, _WAITING, "can be sent now"):
            item.due_at = now
            session.add(item)
        session.commit()
