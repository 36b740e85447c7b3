"""How each mailbox is doing: heartbeats written by the worker, the health ``amends status``
prints, and the alerts admins are mailed once per problem."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid

from sqlalchemy import Engine, exists, func
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from amends.config import Config
from amends.config.schema import MailboxSettings
from amends.endpoints import smtp_endpoint
from amends.errors import AmendsError
from amends.logs import redact
from inbox.errors import MailboxAuthError, MailboxError
from models.classification import active_model
from models.errors import StorageError
from models.mail import QuarantineEntry
from models.operations import Alert, AlertKind, WorkerHeartbeat
from models.outbox import Draft, DraftState, OutboxItem, OutboxState
from models.tickets import Ticket, TicketStatus
from outbox.errors import DeliveryError, SmtpAuthError
from outbox.smtp import send_raw

log = logging.getLogger(__name__)

AUTH, CONNECTION, DATABASE, INTERNAL = "auth", "connection", "database", "internal"
# SMTP replies to AUTH that mean the credentials (or their absence) are the problem (RFC 4954).
SMTP_AUTH_CODES = (530, 534, 535)


def error_kind(exc: BaseException) -> str:
    """What sort of failure ``exc`` is, for the heartbeat and alerts."""
    if isinstance(exc, MailboxAuthError | SmtpAuthError):
        return AUTH
    if isinstance(exc, MailboxError | DeliveryError):
        return CONNECTION
    if isinstance(exc, StorageError | DBAPIError):
        return DATABASE
    return INTERNAL


def describe(exc: BaseException) -> str:
    """One line for logs and the heartbeat, with credentials masked."""
    text = exc.message if isinstance(exc, AmendsError) else f"{type(exc).__name__}: {exc}"
    return redact(text)[:2000]


# --- heartbeats ---------------------------------------------------------------------------------


def beat(
    engine: Engine,
    mailbox: str,
    worker: str,
    now: datetime,
    *,
    started: bool = False,
    synced: bool = False,
    pass_s: float | None = None,
    error: BaseException | str | None = None,
    kind: str | None = None,
    stopped: bool = False,
) -> None:
    """Record that ``worker`` works ``mailbox`` and how its last pass went.

    A pass without ``error`` clears the last one; ``stopped`` says the worker let go on purpose.
    Only the worker holding the mailbox writes its row, so there is no race to lose.
    """
    with Session(engine) as session:
        row = session.exec(
            select(WorkerHeartbeat).where(WorkerHeartbeat.mailbox == mailbox).with_for_update()
        ).first() or WorkerHeartbeat(mailbox=mailbox, worker_id=worker, started_at=now)
        if started or row.worker_id != worker:
            row.worker_id, row.started_at, row.stopped_at = worker, now, None
        row.last_beat_at = now
        if synced:
            row.last_sync_at = now
        if pass_s is not None:
            row.last_pass_at, row.last_pass_s = now, pass_s
        if error is not None:
            text = describe(error) if isinstance(error, BaseException) else error
            row.last_error, row.last_error_at = text, now
            row.last_error_kind = kind or (
                error_kind(error) if isinstance(error, BaseException) else INTERNAL
            )
        elif pass_s is not None:
            row.last_error = row.last_error_kind = None
        if stopped:
            row.stopped_at = now
        session.add(row)
        session.commit()


# --- health -------------------------------------------------------------------------------------


@dataclass
class MailboxHealth:
    mailbox: str
    worker: str | None = None
    last_beat_at: datetime | None = None
    last_sync_at: datetime | None = None
    sync_age_s: float | None = None
    stopped_at: datetime | None = None
    last_error: str | None = None
    last_error_kind: str | None = None
    # Tickets waiting for a stage: unclassified, without their draft, drafts not yet appended.
    backlog: int = 0
    quarantined: int = 0
    unsure: int = 0
    outbox: dict[str, int] = field(
        default_factory=lambda: {"due": 0, "waiting": 0, "failed": 0, "dead": 0}
    )
    # Outbox rows waiting because the SMTP server refused the login (530, 534, 535).
    smtp_refused: int = 0
    problems: dict[AlertKind, str] = field(default_factory=dict)

    @property
    def healthy(self) -> bool:
        return not self.problems


@dataclass
class Health:
    model: str | None
    mailboxes: list[MailboxHealth]
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems and all(m.healthy for m in self.mailboxes)


def check_health(
    engine: Engine, config: Config, now: datetime, *, mailbox: str | None = None
) -> Health:
    """The health of every configured mailbox (or one): what ``amends status`` prints."""
    names = [m.name for m in config.mailboxes if mailbox is None or m.name == mailbox]
    limit = config.alerts.alert_after_s
    with Session(engine) as session:
        # Read here rather than through classifier.registry, which imports scikit-learn:
        # `amends status` starts in a fraction of the time.
        model = active_model(session)
        result = Health(model.version if model else None, [MailboxHealth(n) for n in names])
        if model is None:
            result.problems.append(
                "no active model: `amends run` trains the default one at its start, or "
                "activate one with `amends model activate VERSION`"
            )
        beats = {
            b.mailbox: b
            for b in session.exec(
                select(WorkerHeartbeat).where(col(WorkerHeartbeat.mailbox).in_(names))
            )
        }
        backlog = _counts(session, names, _backlog_queries())
        quarantined = _counts(
            session,
            names,
            [
                select(QuarantineEntry.mailbox, func.count())
                .where(col(QuarantineEntry.resolved).is_(False))
                .group_by(col(QuarantineEntry.mailbox))
            ],
        )
        unsure = _counts(
            session,
            names,
            [
                select(Ticket.mailbox, func.count())
                .where(Ticket.status == TicketStatus.UNSURE)
                .group_by(col(Ticket.mailbox))
            ],
        )
        outbox = _outbox(session, names, now)
        smtp_refused = _counts(
            session,
            names,
            [
                select(OutboxItem.mailbox, func.count())
                .where(
                    OutboxItem.state == OutboxState.FAILED,
                    col(OutboxItem.smtp_code).in_(SMTP_AUTH_CODES),
                )
                .group_by(col(OutboxItem.mailbox))
            ],
        )
    for health in result.mailboxes:
        name = health.mailbox
        health.backlog, health.quarantined, health.unsure = (
            backlog.get(name, 0),
            quarantined.get(name, 0),
            unsure.get(name, 0),
        )
        health.outbox.update(outbox.get(name, {}))
        health.smtp_refused = smtp_refused.get(name, 0)
        beat_row = beats.get(name)
        if beat_row is not None:
            health.worker = beat_row.worker_id
            health.last_beat_at = beat_row.last_beat_at
            health.last_sync_at = beat_row.last_sync_at
            health.stopped_at = beat_row.stopped_at
            health.last_error = beat_row.last_error
            health.last_error_kind = beat_row.last_error_kind
            if beat_row.last_sync_at is not None:
                health.sync_age_s = max(0.0, (now - beat_row.last_sync_at).total_seconds())
        _find_problems(health, limit, beat_row, now)
    return result


def _find_problems(
    health: MailboxHealth, limit: float, beat_row: WorkerHeartbeat | None, now: datetime
) -> None:
    if beat_row is None:
        health.problems[AlertKind.STALE] = "never synced: is `amends run` running?"
    elif health.sync_age_s is None:
        running_s = (now - beat_row.started_at).total_seconds()
        if running_s > limit:
            health.problems[AlertKind.STALE] = (
                f"no sync since the worker started {age_text(running_s)} ago"
                + (f": {health.last_error}" if health.last_error else "")
            )
    elif health.sync_age_s > limit:
        cause = f": {health.last_error}" if health.last_error else ""
        if health.stopped_at is not None and not cause:
            cause = ": its worker stopped and no other took over"
        health.problems[AlertKind.STALE] = (
            f"last synced {age_text(health.sync_age_s)} ago "
            f"(unhealthy after {age_text(limit)}){cause}"
        )
    refusals = []
    if health.last_error_kind == AUTH:
        refusals.append(f"{health.last_error}")
    if health.smtp_refused and not (health.last_error or "").startswith("SMTP login"):
        # Lasts until the rows go out, not only while a pass happens to try one.
        refusals.append(f"the SMTP server refused the login for {health.smtp_refused} message(s)")
    if refusals:
        health.problems[AlertKind.AUTH] = (
            f"login refused: {'; '.join(refusals)} (renew the password or OAuth token, then "
            "the worker logs in again by itself)"
        )
    if health.outbox["dead"]:
        health.problems[AlertKind.DEAD] = (
            f"{health.outbox['dead']} outbox message(s) dead: see `amends outbox list --state "
            "dead`, fix the cause, then `amends outbox retry --dead`"
        )


def age_text(seconds: float) -> str:
    """A duration as people read it: 45 s, 12 min, 3.5 h, 2.0 days."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _backlog_queries() -> list[object]:
    has_draft = exists().where(col(Draft.ticket_id) == col(Ticket.id))
    return [
        select(Ticket.mailbox, func.count())
        .where(Ticket.status == TicketStatus.NEW)
        .group_by(col(Ticket.mailbox)),
        select(Ticket.mailbox, func.count())
        .where(Ticket.status == TicketStatus.ASSIGNED, col(Ticket.failure_type).is_not(None))
        .where(~has_draft)
        .group_by(col(Ticket.mailbox)),
        select(Ticket.mailbox, func.count())
        .join(Draft, col(Draft.ticket_id) == col(Ticket.id))
        .where(Draft.state == DraftState.RENDERED)
        .group_by(col(Ticket.mailbox)),
    ]


def _counts(session: Session, names: list[str], queries: list[object]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for query in queries:
        for name, n in session.exec(query):  # type: ignore[call-overload]
            if name in names:
                totals[name] = totals.get(name, 0) + n
    return totals


def _outbox(session: Session, names: list[str], now: datetime) -> dict[str, dict[str, int]]:
    waiting = [OutboxState.PENDING, OutboxState.FAILED, OutboxState.DEAD]
    counts: dict[str, dict[str, int]] = {}
    rows = session.exec(
        select(OutboxItem.mailbox, OutboxItem.state, OutboxItem.due_at, func.count())
        .where(col(OutboxItem.state).in_(waiting), col(OutboxItem.mailbox).in_(names))
        .group_by(col(OutboxItem.mailbox), col(OutboxItem.state), col(OutboxItem.due_at))
    )
    for name, state, due_at, n in rows:
        entry = counts.setdefault(name or "-", {"due": 0, "waiting": 0, "failed": 0, "dead": 0})
        if state is OutboxState.DEAD:
            entry["dead"] += n
            continue
        if state is OutboxState.FAILED:
            entry["failed"] += n
        entry["due" if due_at <= now else "waiting"] += n
    return counts


# --- alerts -------------------------------------------------------------------------------------


_TITLES = {
    AlertKind.STALE: "mailbox has stopped syncing",
    AlertKind.AUTH: "login refused",
    AlertKind.DEAD: "outbox messages given up",
}


def update_alerts(
    engine: Engine, config: Config, mailbox: MailboxSettings, health: MailboxHealth, now: datetime
) -> list[Alert]:
    """Open an alert for each new problem of ``mailbox``, resolve those that ended, and mail
    the admins about every open one not told yet. Returns the alerts mailed now."""
    owed: list[Alert] = []
    with Session(engine) as session:
        rows = {
            a.kind: a
            for a in session.exec(
                select(Alert).where(Alert.mailbox == mailbox.name).with_for_update()
            )
        }
        for kind in AlertKind:
            row, problem = rows.get(kind), health.problems.get(kind)
            if problem is not None and (row is None or row.resolved_at is not None):
                row = row or Alert(mailbox=mailbox.name, kind=kind, detail=problem)
                row.detail, row.opened_at, row.resolved_at = problem, now, None
                row.notified_at, row.attempts, row.last_error = None, 0, None
                log.error("%s: alert: %s", mailbox.name, problem)
                session.add(row)
            elif problem is None and row is not None and row.resolved_at is None:
                row.resolved_at = now
                log.info("%s: resolved: %s", mailbox.name, _TITLES[kind])
                session.add(row)
            if row is not None and row.resolved_at is None and row.notified_at is None:
                owed.append(row)
        session.commit()
        for row in owed:
            session.refresh(row)
        session.expunge_all()
    if not config.alerts.to or not owed:
        return []
    sent = []
    for row in owed:
        try:
            _mail(config, mailbox, row, now)
        except AmendsError as exc:
            row.attempts += 1
            row.last_error = describe(exc)
            log.warning(
                "%s: could not mail the alert (next pass tries again): %s", mailbox.name, exc
            )
        else:
            row.notified_at = now
            sent.append(row)
        with Session(engine) as session:
            session.merge(row)
            session.commit()
    return sent


def _mail(config: Config, mailbox: MailboxSettings, alert: Alert, now: datetime) -> None:
    endpoint = smtp_endpoint(config)
    assert endpoint is not None  # the configuration check requires [smtp] with alerts.to
    sender = config.alerts.from_address or mailbox.address
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = sender
    message["To"] = ", ".join(config.alerts.to)
    message["Subject"] = f"[amends] {mailbox.name}: {_TITLES[alert.kind]}"
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid("amends-alert", sender.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(
        f"Mailbox {mailbox.name} ({mailbox.address}), since {now:%Y-%m-%d %H:%M} UTC:\n\n"
        f"{alert.detail}\n\n"
        "`amends status` shows every mailbox's state. This is the only mail about this problem;\n"
        "if it is resolved and comes back, you will get another.\n"
    )
    asyncio.run(send_raw(endpoint, message.as_bytes(), sender=sender, recipients=config.alerts.to))


def due_soon(engine: Engine, mailbox: str, now: datetime, horizon: timedelta) -> float | None:
    """Seconds until the next outbox row of ``mailbox`` is due, if one is due within
    ``horizon`` (0 when one is due already)."""
    with Session(engine) as session:
        due = session.exec(
            select(func.min(OutboxItem.due_at)).where(
                OutboxItem.mailbox == mailbox,
                col(OutboxItem.state).in_([OutboxState.PENDING, OutboxState.FAILED]),
            )
        ).first()
    if due is None or due - now > horizon:
        return None
    return max(0.0, (due - now).total_seconds())
