"""The weekly report by mail: queued once per recipient and week through the outbox, sent by
the worker's pass to the SMTP fixture with the HTML report attached, never filed in Sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from amends.config import Config
from amends.reports.weekly import due_week, queue_weekly_report
from amends.sending import deliver
from amends.worker import Worker
from models.operations import AgentSchedule
from models.outbox import OutboxItem, OutboxKind, OutboxState
from tests.fixtures.history import HistorySpec, seed_history
from tests.fixtures.imap import ImapAccount
from tests.fixtures.smtp import SmtpServer
from tests.integration.test_drafts import ConfigMaker, make_config, model  # noqa: F401
from tests.integration.test_followups import smtp_toml

LEADS = ["lead@example.com", "ops@example.com"]
WEEKLY = f"""
[reports]
timezone = "Europe/Belgrade"

[reports.weekly]
to = {LEADS!r}
from_address = "reports@example.com"
day = "mon"
at = "08:00"
""".replace("'", '"')


@pytest.fixture
def weekly(make_config: ConfigMaker, smtp_server: SmtpServer) -> Config:  # noqa: F811
    return make_config(smtp_toml(smtp_server.port) + WEEKLY)


def report_mails(smtp: SmtpServer) -> list[EmailMessage]:
    return [m.message for m in smtp.messages if "weekly report" in str(m.message["Subject"])]


def attachment(message: EmailMessage) -> tuple[str, str]:
    (part,) = list(message.iter_attachments())
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return part.get_filename() or "", payload.decode("utf-8")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_week_before_is_reported_once_to_each_recipient(
    engine: Engine, weekly: Config, smtp_server: SmtpServer
) -> None:
    spec = HistorySpec.planted(days=35, start=datetime(2026, 10, 18, 22, 0, tzinfo=UTC))
    seeded = seed_history(engine, spec)
    assert seeded.spike is not None
    # Monday 9:00 Belgrade after the history: the week of its last seven days is due.
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    week = due_week(weekly, now)
    assert week is not None and week.until == datetime(
        2026, 11, 23, tzinfo=ZoneInfo("Europe/Belgrade")
    )
    mailbox = weekly.mailboxes[0]
    assert queue_weekly_report(engine, weekly, mailbox, now) == 2
    # Again, and from another worker's pass an hour later: nothing more.
    assert queue_weekly_report(engine, weekly, mailbox, now + timedelta(hours=1)) == 0

    report = deliver(engine, weekly, lambda: now + timedelta(minutes=1))
    assert report.sent == 2
    mails = report_mails(smtp_server)
    assert sorted(str(m["To"]) for m in mails) == sorted(LEADS)
    mail = mails[0]
    assert str(mail["From"]) == "reports@example.com"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert "2026-11-16" in str(mail["Subject"])
    body = mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "What stands out" in text and "complaints" in text
    name, html = attachment(mail)
    assert name == "amends-report-2026-11-16.html"
    assert "<html" in html and "data:image/png;base64," in html
    assert "2026-11-16 – 2026-11-22" in html
    with Session(engine) as session:
        rows = session.exec(select(OutboxItem).where(OutboxItem.kind == OutboxKind.REPORT)).all()
    assert {r.state for r in rows} == {OutboxState.SENT}
    assert all(r.filed_at is not None for r in rows)
    # A week later the next report is due; the one before is not sent again.
    assert queue_weekly_report(engine, weekly, mailbox, now + timedelta(days=7)) == 2
    deliver(engine, weekly, lambda: now + timedelta(days=7, minutes=1))
    assert len(report_mails(smtp_server)) == 4


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_worker_mails_it_without_filing_it_in_sent(
    engine: Engine,
    weekly: Config,
    smtp_server: SmtpServer,
    imap_account: ImapAccount,
    model: None,  # noqa: F811
) -> None:
    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # Tuesday: last week's report is due
    result = Worker(engine, weekly, once=True, now=lambda: now).run()
    assert result.ok, result.errors
    mails = report_mails(smtp_server)
    assert sorted(str(m["To"]) for m in mails) == sorted(LEADS)
    _name, html = attachment(mails[0])
    assert "No complaints" in html or "no complaints" in html
    # The team's Sent folder holds no copy of it.
    sent = imap_account.fetch_all("Sent") if _has_folder(imap_account, "Sent") else []
    assert not any(b"weekly report" in raw for raw in sent)
    # The worker recorded the agents' hours for the reports' shift history.
    with Session(engine) as session:
        recorded = {r.agent: r.working_hours for r in session.exec(select(AgentSchedule))}
    assert recorded == {a.name: [str(s) for s in a.working_hours] for a in weekly.agents}
    assert recorded and all(recorded.values())
    # The next pass (same week) sends nothing more.
    Worker(engine, weekly, once=True, now=lambda: now + timedelta(minutes=5)).run()
    assert len(report_mails(smtp_server)) == 2


def _has_folder(account: ImapAccount, name: str) -> bool:
    with account.client() as client:
        return any(folder[2] == name for folder in client.list_folders())
