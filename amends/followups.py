"""The follow-up stage: replies found in Sent, follow-ups scheduled, sent and answered.

One pass over a mailbox (``followup_pass``), each step repeatable after a crash:
1. **Sent** is synced like the inbox (bookmark and messages in one commit); a message there
   that answers a ticket is stored as outbound mail;
2. every stored reply not yet recorded becomes a ``reply`` row: the ticket is replied, its
   first-response time and sender kept, the draft's edit ratio measured, and a follow-up
   queued ``delay_days`` business days later inside the owner's working hours;
3. queued follow-ups whose reason went away are cancelled (the customer wrote again, the
   ticket was closed or reopened, the address bounced or opted out, or is suppressed);
4. the customer's answer to a sent follow-up is read: satisfied closes the ticket with the
   rating, anything else reopens it with its owner (keyword on the answer, a timeline note);
5. drafts agents moved to ``Amends/Send`` are queued (when the mailbox allows it);
6. the outbox is delivered over SMTP (``outbox.queue``), each copy filed in Sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, exists, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from amends import clock
from amends.assignment import next_shift_start
from amends.classify import NOT_A_COMPLAINT, first_messages
from amends.config import Config
from amends.config.schema import AgentSettings, MailboxSettings
from amends.drafting import (
    own_addresses,
    recipient,
)
from amends.errors import AmendsError
from classifier.registry import load_active
from inbox.connection import IMAPClient, role_folder, session_errors
from inbox.errors import MailboxError, MailboxUnavailable
from inbox.store import MESSAGE_ID_KEY, MessageStore
from inbox.sync import SyncOptions, SyncReport, sync_folder
from inbox.threads import make_message_id
from models.mail import Message, MessageDirection, MessageKind
from models.operations import app_secret
from models.outbox import (
    Draft,
    DraftState,
    OutboxItem,
    OutboxKind,
    OutboxState,
    Reply,
    ReplySource,
    SatisfactionAnswer,
)
from models.tickets import Customer, EventLog, Ticket, TicketStatus
from outbox.answers import read_answer
from outbox.sent import edit_ratio

log = logging.getLogger(__name__)

FOLLOWUP_PURPOSE = "followup"
DEFAULT_SENT_FOLDER = "Sent"
REOPENED_KEYWORD = "amends-reopened"
BATCH = 200
EXCERPT_MAX = 300

# Why a queued follow-up is cancelled; the first may be re-armed when the agent answers again.
CUSTOMER_WROTE = "the customer wrote again before it was due"
TICKET_CLOSED = "the ticket was closed"
TICKET_REOPENED = "the ticket was reopened"
BOUNCED = "the address bounced"
OPTED_OUT = "the customer asked us to stop writing"
SUPPRESSED = "the address is on the suppression list"

# Ticket states a reply moves to "replied"; later ones keep their state.
_ANSWERABLE = {
    TicketStatus.NEW,
    TicketStatus.UNSURE,
    TicketStatus.ASSIGNED,
    TicketStatus.DRAFTED,
    TicketStatus.REOPENED,
    TicketStatus.REPLIED,
    TicketStatus.FOLLOWUP_SCHEDULED,
}
_WAITING = (OutboxState.PENDING, OutboxState.FAILED)


class FollowupError(AmendsError, ValueError):
    """A follow-up or outbox row cannot be changed as asked (unknown id, wrong state)."""


@dataclass
class FollowupReport:
    mailbox: str
    sent_sync: SyncReport | None = None
    replies: int = 0
    scheduled: int = 0
    not_scheduled: dict[str, int] = field(default_factory=dict)
    cancelled: dict[str, int] = field(default_factory=dict)
    answers: int = 0
    satisfied: int = 0
    reopened: int = 0
    opted_out: int = 0
    notified: int = 0
    queued_from_send_folder: int = 0
    filed: int = 0
    # What stopped the pass for this mailbox (the others went on).
    error: str | None = None

    def __str__(self) -> str:
        parts = [f"{self.replies} reply(ies) found", f"{self.scheduled} follow-up(s) scheduled"]
        for label, counts in (("not scheduled", self.not_scheduled), ("cancelled", self.cancelled)):
            parts += [f"{n} {label} ({why})" for why, n in sorted(counts.items())]
        if self.answers:
            parts.append(
                f"{self.answers} answer(s): {self.satisfied} satisfied, {self.reopened} reopened"
                + (f", {self.opted_out} opted out" if self.opted_out else "")
            )
        if self.queued_from_send_folder:
            parts.append(f"{self.queued_from_send_folder} draft(s) queued from the send folder")
        if self.filed:
            parts.append(f"{self.filed} copy(ies) filed in Sent")
        if self.error:
            parts.append(f"stopped: {self.error}")
        return f"{self.mailbox}: " + ", ".join(parts)


def _count(counts: dict[str, int], reason: str) -> None:
    counts[reason] = counts.get(reason, 0) + 1


@dataclass
class MailboxPass:
    """One pass of the follow-up stage over one mailbox: what every step works with."""

    engine: Engine
    config: Config
    mailbox: MailboxSettings
    client: IMAPClient
    report: FollowupReport
    now: Callable[[], datetime] = clock.now

    def unpack(self) -> tuple[Engine, Config, MailboxSettings, FollowupReport, datetime]:
        """The database, configuration, mailbox, report and the time for this step."""
        return self.engine, self.config, self.mailbox, self.report, self.now()


# --- 1. the Sent folder ------------------------------------------------------------------------


def sent_folder(client: IMAPClient, mailbox: MailboxSettings) -> str:
    """The configured Sent folder, else the one marked ``\\Sent``, else "Sent" (created)."""
    return role_folder(client, mailbox.folders.sent, "\\Sent", DEFAULT_SENT_FOLDER)


def sync_sent(step: MailboxPass) -> SyncReport:
    """Store the replies in the Sent folder that answer tickets (exactly once, as the inbox)."""
    client, engine, config, mailbox = step.client, step.engine, step.config, step.mailbox
    folder = sent_folder(client, mailbox)
    options = SyncOptions(
        batch_size=mailbox.batch_size,
        max_message_bytes=int(mailbox.max_message_mb * 1024 * 1024),
        own_addresses=sorted(own_addresses(config)),
        parse_workers=0,
        direction=MessageDirection.OUTBOUND,
    )
    return sync_folder(client, MessageStore(engine, mailbox.name), folder, options)


# --- 2. replies and scheduling -----------------------------------------------------------------


def _sent_at(message: Message) -> datetime:
    return message.date_header or message.internal_date or message.received_at


def _agent_for(config: Config, address: str | None, owner: str | None) -> str | None:
    """The agent who sent a reply: the one whose own address it came from, else the owner."""
    if address:
        for agent in config.agents:
            if agent.email.lower() == address.lower():
                name: str = agent.name
                return name
    return owner


# A reply already recorded from another copy of the same mail: the copy in Sent, and the one a
# mailing list (or a group that is the support address) posts back to the inbox with headers
# of its own, are one reply, not two.
_RECORDED = aliased(Message)
_recorded_copy = exists().where(
    col(Reply.message_id) == col(_RECORDED.id),
    col(_RECORDED.ticket_id) == col(Message.ticket_id),
    col(_RECORDED.message_id) == col(Message.message_id),
)


def record_replies(step: MailboxPass) -> None:
    """Turn each stored reply into a ``reply`` row, the ticket replied and a follow-up queued."""
    engine, config, mailbox, report, now = step.unpack()
    while True:
        with Session(engine) as session:
            messages = list(
                session.exec(
                    select(Message)
                    .where(
                        Message.mailbox == mailbox.name,
                        # Found in Sent, or a copy of our reply that reached the inbox.
                        or_(
                            col(Message.direction) == MessageDirection.OUTBOUND,
                            col(Message.kind) == MessageKind.OWN,
                        ),
                        col(Message.ticket_id).is_not(None),
                        ~exists().where(col(Reply.message_id) == col(Message.id)),
                        ~_recorded_copy,
                    )
                    .order_by(col(Message.id))
                    .limit(BATCH)
                )
            )
            if not messages:
                return
            seen: set[tuple[int | None, str]] = set()
            for message in messages:
                copy = (message.ticket_id, message.message_id or "")
                if message.message_id and copy in seen:
                    continue  # a second copy in this batch: the query leaves it out once committed
                seen.add(copy)
                _record_reply(session, config, mailbox, message, report, now)
            session.commit()


def _record_reply(
    session: Session,
    config: Config,
    mailbox: MailboxSettings,
    message: Message,
    report: FollowupReport,
    now: datetime,
) -> None:
    ticket = session.get(Ticket, message.ticket_id, with_for_update=True)
    assert ticket is not None and ticket.id is not None
    sent_at = _sent_at(message)
    ours = session.exec(
        select(OutboxItem).where(OutboxItem.message_id == message.message_id)
    ).first()
    draft = session.exec(select(Draft).where(Draft.message_id == message.message_id)).first()
    if ours is not None:
        source = ReplySource.FOLLOWUP if ours.kind is OutboxKind.FOLLOWUP else ReplySource.TOOL
    elif draft is not None:
        source = ReplySource.DRAFT
    else:
        source = ReplySource.AGENT
        draft = session.exec(
            select(Draft)
            .where(
                Draft.ticket_id == ticket.id,
                col(Draft.state).in_([DraftState.APPENDED, DraftState.RENDERED]),
            )
            .order_by(col(Draft.revision).desc(), col(Draft.id).desc())
        ).first()
    if source is ReplySource.TOOL and draft is None:
        draft = session.exec(
            select(Draft)
            .where(Draft.ticket_id == ticket.id, Draft.state == DraftState.APPENDED)
            .order_by(col(Draft.revision).desc())
        ).first()
    reply = Reply(
        ticket_id=ticket.id,
        message_id=message.id or 0,
        source=source,
        sent_by=message.from_address,
        agent=_agent_for(config, message.from_address, ticket.owner),
        sent_at=sent_at,
    )
    if source is ReplySource.FOLLOWUP:
        session.add(reply)
        return
    if draft is not None and draft.id is not None:
        reply.draft_id = draft.id
        reply.diff_ratio = edit_ratio(draft.body_text, message.body_text or "")
        draft.state = DraftState.SENT_DETECTED
        draft.sent_detected_at = now
        draft.sent_diff_ratio = reply.diff_ratio
        session.add(draft)
    if ticket.first_response_at is None or sent_at < ticket.first_response_at:
        if ticket.first_response_at is None:
            reply.response_s = max(0.0, (sent_at - ticket.received_at).total_seconds())
        ticket.first_response_at = sent_at
    session.add(reply)
    report.replies += 1
    edited = "" if reply.diff_ratio is None else f", {reply.diff_ratio:.0%} of the draft changed"
    session.add(
        EventLog.about(
            ticket,
            "reply_sent",
            f"reply sent by {reply.agent or message.from_address}{edited}",
            {"message_id": message.message_id, "source": source.value},
        )
    )
    if ticket.status in _ANSWERABLE:
        ticket.status = TicketStatus.REPLIED
        _schedule(session, config, mailbox, ticket, sent_at, report, now)
    session.add(ticket)


def suppressed(config: Config, address: str) -> bool:
    """Whether ``address`` is on the configured suppression list (or file)."""
    address = address.lower()
    domain = "@" + address.rpartition("@")[2]
    entries = {e.strip().lower() for e in config.followups.suppress}
    path = config.followups.suppression_file
    if path is not None:
        entries |= _suppression_file(path)
    return address in entries or domain in entries


def _suppression_file(path: Path) -> set[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AmendsError(
            f"cannot read followups.suppression_file {path}: {exc}",
            hint="create the file (one address or @domain per line) or remove the setting",
        ) from exc
    lines = (line.partition("#")[0].strip().lower() for line in text.splitlines())
    return {line for line in lines if line}


def why_not_follow_up(session: Session, config: Config, ticket: Ticket) -> str | None:
    """None when the ticket's customer may get a follow-up now, else why not."""
    customer = session.get(Customer, ticket.customer_id)
    assert customer is not None
    if customer.bounced:
        return BOUNCED
    if customer.opted_out:
        return OPTED_OUT
    if suppressed(config, customer.address):
        return SUPPRESSED
    if ticket.status in {TicketStatus.CLOSED, TicketStatus.SATISFIED}:
        return TICKET_CLOSED
    if ticket.status is TicketStatus.REOPENED:
        return TICKET_REOPENED
    message = first_messages(session, [ticket.id or 0]).get(ticket.id or 0)
    if message is None:
        return "the ticket has no customer message to follow up"
    to = recipient(config, customer, message)
    return None if to.address is not None else to.skip_reason


def _rule(ticket: Ticket) -> str:
    return "followup" if ticket.reopen_count == 0 else f"followup-{ticket.reopen_count + 1}"


def followup_due(config: Config, ticket: Ticket, replied_at: datetime) -> datetime:
    """``delay_days`` business days after the reply, moved into the owner's working hours.

    Business days are Monday to Friday in the owner's time zone. Without working hours for the
    owner, those of the owner's team (or every agent) are used; with none at all, the time of day
    of the reply is kept.
    """
    days = config.followups.delay_for(ticket.failure_type)
    owner = config.agent(ticket.owner)
    zone = ZoneInfo(owner.timezone if owner else "UTC")
    local = replied_at.astimezone(zone)
    day: date = local.date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            counted += 1
    due = datetime.combine(day, local.time(), tzinfo=zone).astimezone(UTC)
    shifts = _shift_holders(config, owner)
    if not shifts or any(agent.on_shift(due) for agent in shifts):
        return due
    starts = [s for s in (next_shift_start(agent, due) for agent in shifts) if s is not None]
    return min(starts) if starts else due


def _shift_holders(config: Config, owner: AgentSettings | None) -> list[AgentSettings]:
    if owner is not None and owner.working_hours:
        return [owner]
    teams = set(owner.teams) if owner else set()
    team = [a for a in config.agents if a.working_hours and teams & set(a.teams)]
    return team or [a for a in config.agents if a.working_hours]


def _schedule(
    session: Session,
    config: Config,
    mailbox: MailboxSettings,
    ticket: Ticket,
    replied_at: datetime,
    report: FollowupReport,
    now: datetime,
) -> None:
    """Queue (or move, or re-arm) the ticket's follow-up after a reply at ``replied_at``."""
    reason: str | None = None
    if not config.followups.enabled:
        reason = "follow-ups are switched off"
    elif ticket.failure_type in {None, NOT_A_COMPLAINT}:
        reason = "not a complaint"
    elif ticket.reopen_count + 1 > config.followups.max_per_ticket:
        reason = f"already had {config.followups.max_per_ticket} follow-up(s)"
    else:
        reason = why_not_follow_up(session, config, ticket)
    if reason is not None:
        _count(report.not_scheduled, reason)
        session.add(EventLog.about(ticket, "followup_not_scheduled", f"no follow-up: {reason}"))
        return
    assert ticket.id is not None
    rule = _rule(ticket)
    due = max(followup_due(config, ticket, replied_at), now)
    item = session.exec(
        select(OutboxItem).where(
            OutboxItem.ticket_id == ticket.id,
            OutboxItem.kind == OutboxKind.FOLLOWUP,
            OutboxItem.rule == rule,
        )
    ).first()
    customer = session.get(Customer, ticket.customer_id)
    assert customer is not None
    if item is None:
        key = app_secret(session, MESSAGE_ID_KEY)
        domain = mailbox.address.rpartition("@")[2].lower()
        item = OutboxItem(
            kind=OutboxKind.FOLLOWUP,
            mailbox=mailbox.name,
            ticket_id=ticket.id,
            rule=rule,
            key=f"followup:{ticket.id}:{rule}",
            due_at=due,
            recipient=customer.address,
            owner=ticket.owner,
            message_id=make_message_id(
                ticket.id, key=key, domain=domain, purpose=FOLLOWUP_PURPOSE, unique=rule
            ),
        )
        what = "scheduled"
    elif item.state in _WAITING and item.attempts == 0:
        item.due_at, item.owner = due, ticket.owner
        what = "moved"
    elif (
        item.state is OutboxState.CANCELLED
        and item.cancelled_reason == CUSTOMER_WROTE
        and item.attempts == 0
    ):
        item.state, item.due_at, item.cancelled_reason = OutboxState.PENDING, due, None
        what = "scheduled again"
    else:
        return  # this rule's follow-up went out (or is going): never a second one
    session.add(item)
    ticket.status = TicketStatus.FOLLOWUP_SCHEDULED
    ticket.followup_at = due
    report.scheduled += 1
    session.add(
        EventLog.about(
            ticket,
            "followup_scheduled",
            f"follow-up {what} for {due.isoformat(timespec='minutes')}",
            {"rule": rule, "due_at": due.isoformat()},
        )
    )


# --- 3. cancellations --------------------------------------------------------------------------


def cancel_stale(step: MailboxPass) -> None:
    """Cancel queued follow-ups whose reason went away."""
    engine, config, mailbox, report, _now = step.unpack()
    with Session(engine) as session:
        items = list(
            session.exec(
                select(OutboxItem)
                .where(
                    OutboxItem.mailbox == mailbox.name,
                    OutboxItem.kind == OutboxKind.FOLLOWUP,
                    col(OutboxItem.state).in_(_WAITING),
                )
                .with_for_update(skip_locked=True)
            )
        )
        for item in items:
            ticket = session.get(Ticket, item.ticket_id)
            if ticket is None:
                continue
            reason = customer_wrote(session, ticket) or why_not_follow_up(session, config, ticket)
            if reason is not None:
                cancel(session, item, ticket, reason)
                _count(report.cancelled, reason)
        session.commit()


def customer_wrote(session: Session, ticket: Ticket) -> str | None:
    """CUSTOMER_WROTE when the customer wrote after our last reply on the ticket."""
    last_reply: datetime | None = session.exec(
        select(func.max(col(Reply.sent_at))).where(
            Reply.ticket_id == ticket.id, Reply.source != ReplySource.FOLLOWUP
        )
    ).one()
    if last_reply is None:
        return None
    newer = session.exec(
        select(Message.id).where(
            Message.ticket_id == ticket.id,
            Message.direction == MessageDirection.INBOUND,
            Message.kind == MessageKind.CUSTOMER,
            col(Message.received_at) > last_reply,
        )
    ).first()
    return CUSTOMER_WROTE if newer is not None else None


def cancel(session: Session, item: OutboxItem, ticket: Ticket | None, reason: str) -> None:
    """Cancel one waiting row (in the caller's transaction) and say so on the timeline."""
    item.state = OutboxState.CANCELLED
    item.cancelled_reason = reason
    item.locked_by = item.locked_until = None
    session.add(item)
    if ticket is None:
        return
    if ticket.status is TicketStatus.FOLLOWUP_SCHEDULED:
        # The customer writing again opens the conversation; otherwise the reply stands.
        wrote = reason == CUSTOMER_WROTE
        ticket.status = TicketStatus.REOPENED if wrote else TicketStatus.REPLIED
        ticket.followup_at = None
        session.add(ticket)
    session.add(EventLog.about(ticket, "followup_cancelled", f"follow-up cancelled: {reason}"))


# --- 4. answers --------------------------------------------------------------------------------


# When the ticket's latest follow-up went out: answers are read against that one.
_LAST_SENT = select(func.max(col(OutboxItem.sent_at))).where(
    col(OutboxItem.ticket_id) == col(Ticket.id),
    col(OutboxItem.kind) == OutboxKind.FOLLOWUP,
    col(OutboxItem.state) == OutboxState.SENT,
)
_last_followup_sent = _LAST_SENT.correlate(Ticket).scalar_subquery()


def read_answers(step: MailboxPass) -> None:
    """Record the customers' answers to sent follow-ups; close or reopen their tickets."""
    engine, config, mailbox, report, now = step.unpack()
    with Session(engine) as session:
        pending = list(
            session.exec(
                select(Message, OutboxItem)
                .join(Ticket, col(Ticket.id) == col(Message.ticket_id))
                .join(
                    OutboxItem,
                    (col(OutboxItem.ticket_id) == col(Ticket.id))
                    & (col(OutboxItem.kind) == OutboxKind.FOLLOWUP)
                    & (col(OutboxItem.state) == OutboxState.SENT)
                    & (col(OutboxItem.sent_at) == _last_followup_sent),
                )
                .where(
                    Ticket.mailbox == mailbox.name,
                    Ticket.status == TicketStatus.FOLLOWUP_SENT,
                    Message.direction == MessageDirection.INBOUND,
                    Message.kind == MessageKind.CUSTOMER,
                    # After the follow-up went out, or an answer to it whatever the clocks say.
                    or_(
                        col(Message.received_at) >= col(OutboxItem.sent_at),
                        col(Message.in_reply_to).contains(col(OutboxItem.message_id)),
                        col(Message.references).contains(col(OutboxItem.message_id)),
                    ),
                    ~exists().where(col(SatisfactionAnswer.message_id) == col(Message.id)),
                )
                .order_by(col(Message.received_at), col(Message.id))
            )
        )
        if not pending:
            return
        model = None
        for message, item in pending:
            ticket = session.get(Ticket, message.ticket_id, with_for_update=True)
            assert ticket is not None
            if ticket.status is not TicketStatus.FOLLOWUP_SENT:
                continue  # a second message in the same pass: the first one decided
            text = message.new_text or message.body_text or ""
            answer = read_answer(text, message.language or ticket.language)
            row = SatisfactionAnswer(
                ticket_id=ticket.id or 0,
                outbox_item_id=item.id,
                message_id=message.id,
                rating=answer.rating,
                satisfied=answer.satisfied(config.followups.satisfied_from),
                fix_held=answer.fix_held,
                opt_out=answer.opt_out,
                excerpt=text.strip()[:EXCERPT_MAX] or None,
            )
            report.answers += 1
            if answer.opt_out:
                customer = session.get(Customer, ticket.customer_id)
                assert customer is not None
                customer.opted_out, customer.opted_out_at = True, now
                session.add(customer)
                report.opted_out += 1
            satisfied = row.satisfied
            if satisfied is None and not answer.opt_out:
                if model is None:
                    model = load_active(engine)
                if model is not None:
                    label, probability, _terms = model.model.predict_explained([text])[0]
                    row.failure_type = label
                    log.info("ticket %s: answer read as %s (%.2f)", ticket.id, label, probability)
            if satisfied is True or (answer.opt_out and satisfied is None and not row.failure_type):
                ticket.status = TicketStatus.SATISFIED if satisfied else TicketStatus.CLOSED
                ticket.closed_at = now
                ticket.rating = answer.rating
                report.satisfied += int(bool(satisfied))
                detail = (
                    f"the customer is satisfied ({_rated(answer.rating)}): closed"
                    if satisfied
                    else "the customer asked us to stop writing: closed without a rating"
                )
            else:
                row.reopened = True
                ticket.status = TicketStatus.REOPENED
                ticket.rating = answer.rating
                ticket.reopen_count += 1
                ticket.closed_at = None
                new_failure = row.failure_type not in {None, NOT_A_COMPLAINT}
                if satisfied is False or new_failure:
                    ticket.repeat_failure = True
                report.reopened += 1
                why = (
                    f"not satisfied ({_rated(answer.rating)})"
                    if satisfied is False
                    else f"a new problem ({row.failure_type})"
                    if new_failure
                    else "an answer that is no rating: please read it"
                )
                detail = (
                    f"the customer answered the follow-up with {why}: reopened for {ticket.owner}"
                )
            if answer.evidence:
                detail += f' ("{answer.evidence}")'
            session.add(row)
            session.add(ticket)
            session.add(
                EventLog.about(
                    ticket,
                    "followup_answered",
                    detail,
                    {
                        "rating": answer.rating,
                        "fix_held": answer.fix_held,
                        "opt_out": answer.opt_out,
                    },
                )
            )
        session.commit()


def _rated(rating: int | None) -> str:
    return f"rated {rating}/5" if rating is not None else "no rating"


def notify_owners(step: MailboxPass) -> None:
    """Put ``amends-reopened`` and the owner keyword on answers that reopened a ticket."""
    engine, config, mailbox, report, now = step.unpack()
    client = step.client
    with Session(engine) as session:
        rows = list(
            session.exec(
                select(SatisfactionAnswer, Message, Ticket)
                .join(Message, col(Message.id) == col(SatisfactionAnswer.message_id))
                .join(Ticket, col(Ticket.id) == col(SatisfactionAnswer.ticket_id))
                .where(
                    Ticket.mailbox == mailbox.name,
                    col(SatisfactionAnswer.reopened).is_(True),
                    col(SatisfactionAnswer.notified_at).is_(None),
                )
            )
        )
        if not rows:
            return
        folder = mailbox.folders.inbox
        with session_errors(client, f"selecting {folder!r} to mark reopened tickets"):
            selected = client.select_folder(folder)
        allowed = b"\\*" in [bytes(f) for f in selected.get(b"PERMANENTFLAGS", ())]
        uidvalidity = selected.get(b"UIDVALIDITY")
        for answer, message, ticket in rows:
            same_folder = message.folder == folder and message.uidvalidity == uidvalidity
            if allowed and same_folder and message.uid is not None:
                keywords = [REOPENED_KEYWORD]
                if ticket.owner and config.assignment.owner_keywords:
                    keywords.append(f"{config.assignment.owner_keyword_prefix}{ticket.owner}")
                try:
                    with session_errors(client, "marking a reopened ticket"):
                        client.add_flags([message.uid], keywords)
                except MailboxUnavailable:
                    raise
                except MailboxError as exc:
                    log.warning("%s: ticket %s: %s", mailbox.name, ticket.id, exc.message)
            answer.notified_at = now
            session.add(answer)
            report.notified += 1
        session.commit()


# --- by hand -----------------------------------------------------------------------------------


def set_status_by_hand(engine: Engine, ticket_id: int, *, reopen: bool) -> bool:
    """Close or reopen a ticket for an agent; True when a queued follow-up was cancelled."""
    with Session(engine) as session:
        ticket = session.get(Ticket, ticket_id, with_for_update=True)
        if ticket is None:
            raise FollowupError(f"there is no ticket {ticket_id}")
        items = list(
            session.exec(
                select(OutboxItem).where(
                    OutboxItem.ticket_id == ticket_id,
                    OutboxItem.kind == OutboxKind.FOLLOWUP,
                    col(OutboxItem.state).in_(_WAITING),
                )
            )
        )
        reason = TICKET_REOPENED if reopen else TICKET_CLOSED
        for item in items:
            cancel(session, item, ticket, reason)
        if reopen:
            ticket.status, ticket.closed_at = TicketStatus.REOPENED, None
            ticket.reopen_count += 1
            ticket.repeat_failure = True
        else:
            ticket.status, ticket.closed_at = TicketStatus.CLOSED, clock.now()
        session.add(ticket)
        session.add(EventLog.about(ticket, "status_by_hand", f"{ticket.status.value} by hand"))
        session.commit()
        return bool(items)
