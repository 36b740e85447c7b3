"""Heartbeats, the health ``amends status`` reports and the alerts admins are mailed, on both
databases and the SMTP fixture, with the clock in the test's hands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from amends.config import Config
from amends.health import MailboxHealth, beat, check_health, update_alerts
from inbox.errors import MailboxAuthError, MailboxUnavailable
from models.operations import Alert, AlertKind, WorkerHeartbeat
from models.outbox import OutboxItem, OutboxState
from models.tickets import Customer, Ticket, TicketStatus
from tests.fixtures.smtp import SmtpServer
from tests.integration.test_drafts import ConfigMaker, make_config, model  # noqa: F401
from tests.integration.test_followups import ready_to_send, smtp_toml

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ADMIN = "admin@example.com"


@pytest.fixture
def alerting(
    make_config: ConfigMaker,  # noqa: F811
    smtp_server: SmtpServer,
    model: None,  # noqa: F811
) -> Config:
    """A mailbox whose admins are mailed alerts, with a model active (status checks it)."""
    alerts = f'\n[alerts]\nto = ["{ADMIN}"]\nalert_after_s = 600\n'
    return make_config(smtp_toml(smtp_server.port) + alerts)


def health_of(engine: Engine, config: Config, now: datetime) -> MailboxHealth:
    return check_health(engine, config, now).mailboxes[0]


def alerts_to_admin(smtp: SmtpServer) -> list[str]:
    return [str(m.message["Subject"]) for m in smtp.messages if m.rcpt_tos == (ADMIN,)]


def test_a_mailbox_is_healthy_while_it_syncs_and_stale_after_the_limit(
    engine: Engine,
    alerting: Config,
) -> None:
    never = health_of(engine, alerting, T0)
    assert set(never.problems) == {AlertKind.STALE} and "never synced" in never.problems["stale"]

    beat(engine, "support", "host:1", T0, started=True)
    beat(engine, "support", "host:1", T0, synced=True, pass_s=0.4)
    fresh = health_of(engine, alerting, T0 + timedelta(minutes=5))
    assert fresh.healthy and fresh.worker == "host:1" and fresh.sync_age_s == 300

    stale = health_of(engine, alerting, T0 + timedelta(minutes=11))
    assert "last synced 11 min ago (unhealthy after 10 min)" in stale.problems[AlertKind.STALE]

    # The reason shows with it: the server has been down since.
    beat(engine, "support", "host:1", T0 + timedelta(minutes=8), error=MailboxUnavailable("down"))
    assert "down" in health_of(engine, alerting, T0 + timedelta(minutes=11)).problems["stale"]


def test_a_worker_that_never_synced_is_stale_only_after_the_limit(
    engine: Engine,
    alerting: Config,
) -> None:
    beat(engine, "support", "host:1", T0, started=True)
    assert health_of(engine, alerting, T0 + timedelta(minutes=9)).healthy
    late = health_of(engine, alerting, T0 + timedelta(minutes=11))
    assert "no sync since the worker started 11 min ago" in late.problems[AlertKind.STALE]


def test_counts_show_backlog_unsure_and_outbox(
    engine: Engine,
    alerting: Config,
) -> None:
    beat(engine, "support", "host:1", T0, synced=True, pass_s=1.0)
    with Session(engine) as session:
        customer = Customer(address="c@example.net")
        session.add(customer)
        session.flush()
        for status in (TicketStatus.NEW, TicketStatus.NEW, TicketStatus.UNSURE):
            session.add(Ticket(mailbox="support", customer_id=customer.id, status=status))
        session.commit()
    ready_to_send(engine, 1, due_at=T0 - timedelta(hours=1))
    ready_to_send(engine, 2, due_at=T0 + timedelta(hours=1))
    ready_to_send(engine, 3, state=OutboxState.FAILED, due_at=T0 + timedelta(hours=1))
    health = health_of(engine, alerting, T0)
    assert (health.backlog, health.unsure, health.quarantined) == (2, 1, 0)
    assert health.outbox == {"due": 1, "waiting": 2, "failed": 1, "dead": 0}
    assert health.healthy


def test_each_problem_is_mailed_once_and_again_only_after_it_was_resolved(
    engine: Engine,
    alerting: Config,
    smtp_server: SmtpServer,
) -> None:
    mailbox = alerting.mailboxes[0]

    def passes(now: datetime) -> list[Alert]:
        return update_alerts(engine, alerting, mailbox, health_of(engine, alerting, now), now)

    beat(engine, "support", "host:1", T0, synced=True, pass_s=1.0)
    refused = MailboxAuthError("IMAP login as support was refused: AUTHENTICATIONFAILED")
    beat(engine, "support", "host:1", T0 + timedelta(minutes=1), error=refused)
    [sent] = passes(T0 + timedelta(minutes=1))
    assert sent.kind is AlertKind.AUTH
    assert passes(T0 + timedelta(minutes=2)) == [], "told already"
    assert alerts_to_admin(smtp_server) == ["[amends] support: login refused"]
    body = smtp_server.messages[0].message.get_content()
    assert "AUTHENTICATIONFAILED" in body and "amends status" in body
    assert smtp_server.messages[0].message["Auto-Submitted"] == "auto-generated"

    # Still failing ten minutes on: the mailbox is stale too, a second problem.
    [stale] = passes(T0 + timedelta(minutes=12))
    assert stale.kind is AlertKind.STALE

    # Resolved by a good pass; when the login fails again later, admins hear of it again.
    beat(engine, "support", "host:1", T0 + timedelta(minutes=13), synced=True, pass_s=1.0)
    assert passes(T0 + timedelta(minutes=13)) == []
    with Session(engine) as session:
        assert all(a.resolved_at is not None for a in session.exec(select(Alert)))
    beat(engine, "support", "host:1", T0 + timedelta(minutes=14), error=refused)
    [again] = passes(T0 + timedelta(minutes=14))
    assert again.kind is AlertKind.AUTH
    assert len(alerts_to_admin(smtp_server)) == 3


def test_dead_outbox_rows_are_one_problem_until_none_is_left(
    engine: Engine,
    alerting: Config,
    smtp_server: SmtpServer,
) -> None:
    mailbox = alerting.mailboxes[0]
    beat(engine, "support", "host:1", T0, synced=True, pass_s=1.0)
    ready_to_send(engine, 1, state=OutboxState.DEAD)
    ready_to_send(engine, 2, state=OutboxState.DEAD)
    health = health_of(engine, alerting, T0)
    assert "2 outbox message(s) dead" in health.problems[AlertKind.DEAD]
    assert [a.kind for a in update_alerts(engine, alerting, mailbox, health, T0)] == [
        AlertKind.DEAD
    ]
    assert alerts_to_admin(smtp_server) == ["[amends] support: outbox messages given up"]


@pytest.mark.smtp_behaviour("tempfail")
def test_an_alert_the_smtp_server_refuses_is_owed_and_tried_again(
    engine: Engine,
    alerting: Config,
    smtp_server: SmtpServer,
) -> None:
    mailbox = alerting.mailboxes[0]
    beat(engine, "support", "host:1", T0, error=MailboxAuthError("refused"))
    assert update_alerts(engine, alerting, mailbox, health_of(engine, alerting, T0), T0) == []
    with Session(engine) as session:
        owed = session.exec(select(Alert)).one()
    assert owed.notified_at is None and owed.attempts == 1 and owed.last_error

    smtp_server.handler.behaviour = "accept"
    later = T0 + timedelta(minutes=1)
    [sent] = update_alerts(engine, alerting, mailbox, health_of(engine, alerting, later), later)
    assert sent.notified_at == later
    assert len(alerts_to_admin(smtp_server)) == 1


def test_a_clean_stop_is_recorded_and_the_next_worker_takes_the_row(
    engine: Engine,
    alerting: Config,
) -> None:
    beat(engine, "support", "host:1", T0, started=True)
    beat(engine, "support", "host:1", T0 + timedelta(seconds=5), stopped=True)
    beat(engine, "support", "host:2", T0 + timedelta(seconds=6), started=True)
    with Session(engine) as session:
        row = session.exec(select(WorkerHeartbeat)).one()
    assert (row.worker_id, row.started_at, row.stopped_at) == (
        "host:2",
        T0 + timedelta(seconds=6),
        None,
    )


def test_an_smtp_login_refusal_lasts_while_messages_wait_for_it(
    engine: Engine,
    alerting: Config,
) -> None:
    beat(engine, "support", "host:1", T0, synced=True, pass_s=1.0)
    ready_to_send(
        engine,
        1,
        state=OutboxState.FAILED,
        smtp_code=535,
        last_error="SMTP login as support on smtp.example.com was refused: 535 bad credentials",
    )
    # A later pass with nothing due tries no login and succeeds: the problem stays.
    beat(engine, "support", "host:1", T0 + timedelta(minutes=1), synced=True, pass_s=1.0)
    health = health_of(engine, alerting, T0 + timedelta(minutes=1))
    assert "the SMTP server refused the login for 1 message(s)" in health.problems["auth"]
    with Session(engine) as session:
        for item in session.exec(select(OutboxItem)):
            item.state = OutboxState.SENT
            session.add(item)
        session.commit()
    assert health_of(engine, alerting, T0 + timedelta(minutes=2)).healthy
