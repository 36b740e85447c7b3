"""The weekly report by mail ([reports.weekly]): the seven days before the send time, as an
attached HTML file with "what stands out" in the body.

Queued through the outbox like every mail the worker sends, one row per recipient keyed by the
week, so it goes out once however many workers and restarts see it due, and is retried when the
SMTP server is away.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from amends.config import Config
from amends.config.schema import MailboxSettings
from amends.reports.formatting import describe_period, format_duration, format_percent
from amends.reports.model import Report
from models.outbox import OutboxItem, OutboxKind

log = logging.getLogger(__name__)

RULE = "weekly_report"


@dataclass(frozen=True)
class Week:
    since: datetime
    until: datetime
    send_at: datetime

    def key(self, recipient: str) -> str:
        return f"report:weekly:{self.since:%Y-%m-%d}:{recipient.lower()}"


def due_week(config: Config, now: datetime) -> Week | None:
    """The week whose report is due at ``now``: the latest send time (day and time of
    [reports.weekly]) not after now, covering the seven whole days before that day."""
    weekly = config.reports.weekly
    if not weekly.to:
        return None
    zone = ZoneInfo(config.reports.timezone)
    local = now.astimezone(zone)
    hour, minute = (int(part) for part in weekly.at.split(":"))
    back = (local.weekday() - weekly.weekday) % 7
    day = local.date() - timedelta(days=back)
    send_at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    if send_at > local:
        day -= timedelta(days=7)
        send_at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    until = datetime(day.year, day.month, day.day, tzinfo=zone)
    return Week(since=until - timedelta(days=7), until=until, send_at=send_at)


def queue_weekly_report(
    engine: Engine, config: Config, mailbox: MailboxSettings, now: datetime
) -> int:
    """Queue the due week's report for every recipient not queued yet; returns rows queued.

    Cheap when nothing is due (one query): the worker asks on every pass.
    """
    week = due_week(config, now)
    if week is None:
        return 0
    recipients = list(dict.fromkeys(a.lower() for a in config.reports.weekly.to))
    with Session(engine) as session:
        queued = set(
            session.exec(
                select(OutboxItem.key).where(
                    col(OutboxItem.key).in_([week.key(r) for r in recipients])
                )
            )
        )
    missing = [r for r in recipients if week.key(r) not in queued]
    if not missing:
        return 0
    from amends.reports.build import build_report
    from amends.reports.html import render_html

    report = build_report(engine, config, since=week.since, until=week.until, now=now)
    html = render_html(report)
    sender = config.reports.weekly.from_address or mailbox.address
    written = 0
    for recipient in missing:
        raw, message_id, subject = _compose(report, html, sender, recipient, now)
        item = OutboxItem(
            kind=OutboxKind.REPORT,
            mailbox=mailbox.name,
            rule=RULE,
            key=week.key(recipient),
            due_at=now,
            recipient=recipient,
            subject=subject,
            message_id=message_id,
            raw=raw,
        )
        with Session(engine) as session:
            session.add(item)
            try:
                session.commit()
            except IntegrityError:
                # Another worker queued it a moment ago: it goes out once.
                session.rollback()
                continue
        written += 1
    if written:
        log.info(
            "weekly report for %s queued for %d recipient(s)",
            describe_period(report.period),
            written,
        )
    return written


def summary_text(report: Report) -> str:
    """The mail body: the period, the figures that matter and what stands out."""
    lines = [f"Amends weekly report, {describe_period(report.period)}", ""]
    volume = report.volume
    if report.empty:
        lines.append("No complaints this week.")
    else:
        top = ", ".join(f"{t} {volume.totals[t]}" for t in volume.types[:5])
        lines.append(f"{volume.total} complaints: {top}.")
        response = report.response_all
        lines.append(
            f"First response: median {format_duration(response.median_s)}, 90% within "
            f"{format_duration(response.p90_s)}; {response.waiting} still waiting."
        )
        outcomes = report.outcomes_all
        lines.append(
            f"Follow-ups sent {outcomes.followups_sent}, answered {outcomes.answered}, "
            f"satisfied {format_percent(outcomes.satisfied_rate)}."
        )
    lines += ["", "What stands out:"]
    lines += [f"- {f.text}" for f in report.findings] or ["- nothing unusual"]
    lines += ["", "The full report with charts is attached (open it in a web browser)."]
    return "\n".join(lines) + "\n"


def _compose(
    report: Report, html: str, sender: str, recipient: str, now: datetime
) -> tuple[bytes, str, str]:
    message = EmailMessage(policy=SMTP_POLICY)
    stands_out = len(report.findings)
    subject = (
        f"[amends] weekly report {report.period.since:%Y-%m-%d}: "
        f"{report.volume.total} complaints, {stands_out} thing(s) stand out"
    )
    message_id = make_msgid("amends-report", sender.rpartition("@")[2]).strip("<>")
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{message_id}>"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(summary_text(report))
    message.add_attachment(
        html.encode("utf-8"),
        maintype="text",
        subtype="html",
        filename=f"amends-report-{report.period.since:%Y-%m-%d}.html",
    )
    return message.as_bytes(), message_id, subject
