"""The durable outbox: mail the worker sends itself, delivered exactly once where SMTP allows.

A row goes ``pending`` → ``sending`` → ``sent``; a refused attempt makes it ``failed`` with the
SMTP code and text and a retry time (exponential backoff), and after ``max_attempts`` (or at once
for a permanent 5xx refusal) it is ``dead`` and shown as an alert. The bytes and the Message-ID
are fixed before the first attempt, so every retry sends the same message.

Claims are a compare-and-set on the row (``state`` and the lease in ``locked_until``), taken with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL so several workers drain one outbox without waiting on
each other, and none sends a row another holds. A worker that dies while sending leaves its row
``sending``: when the lease runs out, the next worker first asks the Sent folder whether the
Message-ID is there (the copy is filed right after the server accepts the message) and only
sends again when it is not.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, func, or_, update
from sqlmodel import Session, col, select

from models.outbox import OutboxItem, OutboxState
from outbox.errors import DeliveryError, SmtpAuthError
from outbox.smtp import SmtpEndpoint, SmtpSession

log = logging.getLogger(__name__)

__all__ = [
    "Delivery",
    "DeliveryReport",
    "QueuePolicy",
    "due_filter",
    "has_due",
    "retry_delay",
]

ERROR_MAX = 1000
CLAIM_BATCH = 50


@dataclass(frozen=True)
class QueuePolicy:
    max_attempts: int = 8
    retry_base_s: float = 60.0
    retry_max_s: float = 6 * 3600.0
    per_recipient_per_day: int = 3
    per_minute: int = 60
    lease_s: float = 600.0


def retry_delay(policy: QueuePolicy, attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: base, 2 x base, 4 x base, ... capped."""
    seconds = policy.retry_base_s * 2 ** max(0, min(attempts - 1, 30))
    return timedelta(seconds=min(seconds, policy.retry_max_s))


def due_filter(now: datetime) -> ColumnElement[bool]:
    """Rows a worker may take now: due and waiting, or sending under a lease that ran out."""
    return or_(
        (col(OutboxItem.state).in_([OutboxState.PENDING, OutboxState.FAILED]))
        & (col(OutboxItem.due_at) <= now),
        (col(OutboxItem.state) == OutboxState.SENDING)
        & (col(OutboxItem.locked_until).is_(None) | (col(OutboxItem.locked_until) < now)),
    )


def has_due(engine: Engine, now: datetime, mailbox: str | None = None) -> bool:
    """Whether any row (of ``mailbox``) could be taken now: a cheap check before a pass
    opens connections or fetches an OAuth token."""
    query = select(OutboxItem.id).where(due_filter(now)).limit(1)
    if mailbox is not None:
        query = query.where(OutboxItem.mailbox == mailbox)
    with Session(engine) as session:
        return session.exec(query).first() is not None


@dataclass
class DeliveryReport:
    sent: int = 0
    recovered: int = 0  # found in Sent after a worker died mid-send: not sent again
    retried: int = 0
    dead: int = 0
    deferred: int = 0  # held back by a rate limit
    cancelled: int = 0
    errors: list[str] = field(default_factory=list)
    # The SMTP server refused the login (an expired password or token): every row waits.
    auth_error: str | None = None

    def __str__(self) -> str:
        parts = [f"{self.sent} sent"]
        for name in ("recovered", "retried", "dead", "deferred", "cancelled"):
            if getattr(self, name):
                parts.append(f"{getattr(self, name)} {name}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Scope:
    """Which due rows a pass may take: these ids only, and/or one mailbox's."""

    only: set[int] | None = None
    mailbox: str | None = None


@dataclass(frozen=True)
class Prepared:
    """What to send for a claimed row, or why it must not be sent at all."""

    raw: bytes | None = None
    sender: str | None = None
    recipients: tuple[str, ...] = ()
    cancel: str | None = None


# Hooks the application gives the queue (the queue knows rows, not tickets or mailboxes):
# compose (or re-check) a row before an attempt; is its Message-ID in the Sent folder; file the
# copy in Sent; and record the outcome on the ticket, in the same transaction as the row.
Prepare = Callable[[Session, OutboxItem, datetime], Prepared]
InSent = Callable[[OutboxItem], Awaitable[bool]]
FileCopy = Callable[[OutboxItem], Awaitable[None]]
Outcome = Callable[[Session, OutboxItem, datetime], None]


class Delivery:
    """One worker's view of the outbox."""

    def __init__(
        self,
        engine: Engine,
        endpoint: SmtpEndpoint,
        policy: QueuePolicy,
        *,
        worker: str,
        prepare: Prepare,
        in_sent: InSent,
        file_copy: FileCopy,
        on_outcome: Outcome,
    ) -> None:
        self.engine = engine
        self.endpoint = endpoint
        self.policy = policy
        self.worker = worker
        self.prepare = prepare
        self.in_sent = in_sent
        self.file_copy = file_copy
        self.on_outcome = on_outcome
        self.smtp = SmtpSession(endpoint)  # one connection per pass (see run)

    async def run(
        self,
        now: Callable[[], datetime],
        *,
        only: set[int] | None = None,
        mailbox: str | None = None,
        limit: int = 1000,
        stop: Callable[[], bool] = lambda: False,
    ) -> DeliveryReport:
        """Send what is due (of ``only`` those rows, of ``mailbox`` that one's), batch after
        batch, until nothing due is left, ``limit`` rows were handled or ``stop()`` is true
        (asked before each message; claimed rows not yet tried are given back)."""
        report = DeliveryReport()
        self.smtp = SmtpSession(self.endpoint)
        try:
            await self._drain(now, Scope(only, mailbox), limit, report, stop)
        finally:
            await self.smtp.close()
        return report

    async def _drain(
        self,
        now: Callable[[], datetime],
        scope: Scope,
        limit: int,
        report: DeliveryReport,
        stop: Callable[[], bool],
    ) -> None:
        handled = 0
        while handled < limit and not stop():
            claimed = await asyncio.to_thread(self.claim, now(), scope)
            if not claimed:
                break
            for index, (item_id, stale) in enumerate(claimed):
                if stop():
                    await asyncio.to_thread(self.release, [i for i, _ in claimed[index:]])
                    return
                handled += 1
                if await self._attempt(item_id, stale, now, report):
                    rest = [i for i, _ in claimed[index + 1 :]]
                    await asyncio.to_thread(self.release, rest)
                    return

    def release(self, item_ids: list[int]) -> None:
        """Give back claimed rows that were not attempted (the pass stopped early)."""
        if not item_ids:
            return
        with Session(self.engine) as session:
            for item_id in item_ids:
                item = session.get(OutboxItem, item_id)
                if item is None or item.state is not OutboxState.SENDING:
                    continue
                item.attempts = max(0, item.attempts - 1)
                item.state = OutboxState.FAILED if item.attempts else OutboxState.PENDING
                item.locked_by = item.locked_until = None
                session.add(item)
            session.commit()

    def claim(self, now: datetime, scope: Scope | None = None) -> list[tuple[int, bool]]:
        """Take up to a batch of due rows for this worker: (row id, was it a stale claim)."""
        lease = now + timedelta(seconds=self.policy.lease_s)
        with Session(self.engine) as session:
            query = (
                select(OutboxItem.id, OutboxItem.state)
                .where(due_filter(now))
                .order_by(col(OutboxItem.due_at), col(OutboxItem.id))
                .limit(CLAIM_BATCH)
                .with_for_update(skip_locked=True)
            )
            if scope is not None and scope.only is not None:
                query = query.where(col(OutboxItem.id).in_(sorted(scope.only)))
            if scope is not None and scope.mailbox is not None:
                query = query.where(col(OutboxItem.mailbox) == scope.mailbox)
            candidates = list(session.exec(query))
            claimed: list[tuple[int, bool]] = []
            for item_id, state in candidates:
                assert item_id is not None
                # Compare-and-set: only a row still in the state we saw becomes ours.
                taken = session.execute(
                    update(OutboxItem)
                    .where(col(OutboxItem.id) == item_id, col(OutboxItem.state) == state)
                    .where(due_filter(now))
                    .values(
                        state=OutboxState.SENDING,
                        locked_by=self.worker,
                        locked_until=lease,
                        attempts=OutboxItem.attempts + 1,
                    )
                )
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append((item_id, state == OutboxState.SENDING))
            session.commit()
        return claimed

    async def _attempt(
        self, item_id: int, stale: bool, now: Callable[[], datetime], report: DeliveryReport
    ) -> bool:
        """One claimed row; True when the whole pass should stop (rate limit, bad login)."""
        if stale:
            held = await asyncio.to_thread(self._load, item_id)
            if held is not None and held.message_id and await self.in_sent(held):
                log.info(
                    "outbox %s: %s is in Sent already: not sent again", item_id, held.message_id
                )
                await asyncio.to_thread(self._finish, item_id, now(), filed=True)
                report.recovered += 1
                return False
        item, prepared, wait = await asyncio.to_thread(self._ready, item_id, now())
        if prepared.cancel is not None:
            report.cancelled += 1
            return False
        if wait is not None:
            report.deferred += 1
            return wait.total_seconds() <= 60  # the global limit stops the pass
        assert prepared.raw is not None and prepared.sender is not None
        try:
            await self.smtp.send(
                prepared.raw,
                sender=prepared.sender,
                recipients=prepared.recipients,
            )
        except DeliveryError as exc:
            dead = await asyncio.to_thread(self._failed, item_id, exc, now())
            report.errors.append(f"outbox {item_id}: {exc.message}")
            if isinstance(exc, SmtpAuthError):
                report.auth_error = exc.message
            if dead:
                report.dead += 1
            else:
                report.retried += 1
            # A refused login or an unreachable server fails every row alike: stop here.
            return isinstance(exc, SmtpAuthError) or exc.code is None
        # Between the server's acceptance and the copy in Sent nothing waits on the database.
        filed = True
        try:
            await self.file_copy(item)
        except Exception as exc:  # filing is retried later; the message is sent either way
            log.warning("outbox %s: sent; filing the copy in Sent failed: %s", item_id, exc)
            filed = False
        await asyncio.to_thread(self._finish, item_id, now(), filed=filed)
        report.sent += 1
        return False

    def _load(self, item_id: int) -> OutboxItem | None:
        with Session(self.engine, expire_on_commit=False) as session:
            return session.get(OutboxItem, item_id)

    def _ready(self, item_id: int, now: datetime) -> tuple[OutboxItem, Prepared, timedelta | None]:
        """In one transaction: compose (or re-check) the row, then apply the send limits.

        Returns the row as it will be sent, what to send, and how long it was deferred (None:
        send it now). A cancelled or deferred row gives back its claim.
        """
        with Session(self.engine, expire_on_commit=False) as session:
            item = session.get(OutboxItem, item_id)
            assert item is not None
            composed = item.raw is None
            prepared = self.prepare(session, item, now)
            wait = None if prepared.cancel is not None else self._limit(session, item, now)
            if prepared.cancel is not None:
                item.state = OutboxState.CANCELLED
                item.cancelled_reason = prepared.cancel
            elif wait is not None:
                item.state = OutboxState.PENDING
                item.due_at = now + wait
                if composed:
                    item.raw = None  # written again when it goes: its Date then, not now
            elif composed:
                item.raw = prepared.raw
            if prepared.cancel is not None or wait is not None:
                item.attempts = max(0, item.attempts - 1)  # nothing was attempted
                item.locked_by = item.locked_until = None
                self.on_outcome(session, item, now)
            session.add(item)
            session.commit()  # nothing written costs no sync
            return item, prepared, wait

    def _limit(self, session: Session, item: OutboxItem, now: datetime) -> timedelta | None:
        """How long the row must wait for the send limits; None when it may go now."""
        recent = select(func.count()).where(col(OutboxItem.state) == OutboxState.SENT)
        minute = session.exec(recent.where(col(OutboxItem.sent_at) > now - timedelta(minutes=1)))
        if minute.one() >= self.policy.per_minute:
            return timedelta(minutes=1)
        sent_at, count = session.exec(
            select(func.min(OutboxItem.sent_at), func.count()).where(
                col(OutboxItem.state) == OutboxState.SENT,
                func.lower(OutboxItem.recipient) == item.recipient.lower(),
                col(OutboxItem.sent_at) > now - timedelta(days=1),
            )
        ).one()
        if count < self.policy.per_recipient_per_day or sent_at is None:
            return None
        wait: timedelta = sent_at + timedelta(days=1) - now
        log.warning(
            "outbox %s: %s already got %d messages in 24 hours: held until %s",
            item.id,
            item.recipient,
            count,
            (now + wait).isoformat(timespec="minutes"),
        )
        return wait

    def _failed(self, item_id: int, error: DeliveryError, now: datetime) -> bool:
        """Record a failed attempt; True when the row is now dead."""
        with Session(self.engine) as session:
            item = session.get(OutboxItem, item_id)
            assert item is not None
            item.smtp_code = error.code
            item.last_error = error.message[:ERROR_MAX]
            item.locked_by = item.locked_until = None
            permanent = error.permanent and not isinstance(error, SmtpAuthError)
            if permanent or item.attempts >= self.policy.max_attempts:
                item.state = OutboxState.DEAD
                why = "refused for good" if permanent else f"failed {item.attempts} times"
                log.error("outbox %s to %s %s: %s", item.id, item.recipient, why, error.message)
            else:
                item.state = OutboxState.FAILED
                item.due_at = now + retry_delay(self.policy, item.attempts)
                log.warning(
                    "outbox %s to %s: attempt %d failed, next at %s: %s",
                    item.id,
                    item.recipient,
                    item.attempts,
                    item.due_at.isoformat(timespec="seconds"),
                    error.message,
                )
            session.add(item)
            self.on_outcome(session, item, now)
            session.commit()
            return item.state == OutboxState.DEAD

    def _finish(self, item_id: int, now: datetime, *, filed: bool) -> None:
        with Session(self.engine) as session:
            item = session.get(OutboxItem, item_id)
            assert item is not None
            item.state = OutboxState.SENT
            item.sent_at = item.sent_at or now
            item.filed_at = now if filed else None
            item.last_error = None
            item.locked_by = item.locked_until = None
            session.add(item)
            self.on_outcome(session, item, now)
            session.commit()
