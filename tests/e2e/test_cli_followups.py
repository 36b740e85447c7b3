"""``amends followups|outbox``, the outbox in ``amends status``, and ``tickets close|reopen`` as an operator runs them.

The state is prepared in-process like the integration tests (a complaint drafted, the agent's
reply in Sent); the commands run as a separate process on the same SQLite database, Dovecot
account and SMTP fixture, with the clock given by ``AMENDS_NOW``. Every command costs seconds
to start, so each test runs only the commands it is about.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from amends.config import Config
from amends.sending import deliver, followup_pass
from models.outbox import OutboxState
from models.tickets import Ticket, TicketStatus
from tests.e2e.conftest import Amends
from tests.fixtures.imap import ImapAccount
from tests.fixtures.smtp import SmtpServer
from tests.integration.test_drafts import make_config  # noqa: F401 (fixture of sending)
from tests.integration.test_followups import (
    CUSTOMER,
    DUE,
    REPLIED_AT,
    agent_sends,
    at,
    complaint,
    drafted,
    followups,
    ready_to_send,
    scheduled,
    sending,  # noqa: F401 (fixture)
    ticket_of,
)

Result = subprocess.CompletedProcess[str]


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """SQLite, like the other e2e tests (the integration tests cover both databases)."""
    return sqlite_url


@dataclass
class Cli:
    """What a test drives: the ``amends`` command, its configuration and what it talks to."""

    amends: Amends
    config: Config
    engine: Engine
    account: ImapAccount
    smtp: SmtpServer

    def run(self, now: datetime, *args: str) -> Result:
        """``amends ARGS`` with the test's configuration, as if it were ``now``."""
        assert self.config.source is not None
        env = {"AMENDS_CONFIG": str(self.config.source), "AMENDS_NOW": now.isoformat()}
        return self.amends(*args, env=env)


@pytest.fixture
def cli(
    amends: Amends,
    sending: Config,  # noqa: F811
    engine: Engine,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
) -> Cli:
    return Cli(amends, sending, engine, imap_account, smtp_server)


def ok(result: Result) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def failed(result: Result, message: str) -> None:
    """Exit 1 with ``message`` on stderr, without a traceback."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr, result.stderr


def rows(stdout: str) -> list[list[str]]:
    """The tab-separated rows a list command prints when its output is not a terminal."""
    return [line.split("\t") for line in stdout.splitlines() if "\t" in line]


def outbox_of(status: str) -> list[str]:
    """The outbox columns (due, waiting, retrying, dead) of ``amends status``'s one row."""
    [row] = rows(status)
    return row[7:11]


def minute(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


def test_run_schedules_and_send_now_sends_exactly_once(cli: Cli) -> None:
    drafted(cli.engine, cli.config, cli.account)
    reply_id = agent_sends(cli.account)

    out = ok(cli.run(REPLIED_AT, "followups", "run"))
    assert "support: 1 reply(ies) found, 1 follow-up(s) scheduled" in out
    assert "outbox: 0 sent" in out
    ticket = ticket_of(cli.engine)
    [listed] = rows(ok(cli.run(REPLIED_AT, "followups", "list")))
    item_id = listed[0]
    assert listed[1:] == [
        str(ticket.id),
        "followup",
        "pending",
        minute(DUE),
        "0",
        ticket.owner,
        CUSTOMER,
        "",
    ]
    status = cli.run(REPLIED_AT, "status").stdout
    assert outbox_of(status) == ["0", "1", "0", "0"], "waiting: not due yet"
    assert "dead" not in status

    sent_at = REPLIED_AT + timedelta(hours=2)
    assert ok(cli.run(sent_at, "followups", "send-now", item_id)) == ("outbox: 1 sent\n")
    [received] = cli.smtp.messages
    assert received.rcpt_tos == (CUSTOMER,)
    assert received.message["In-Reply-To"] == f"<{reply_id}>"
    assert f"[#{ticket.id}]" in received.message["Subject"]
    [sent] = rows(ok(cli.run(sent_at, "followups", "list", "--state", "sent")))
    assert (sent[0], sent[3], sent[4], sent[5], sent[8]) == (
        item_id,
        "sent",
        minute(sent_at),
        "1",
        "",
    )
    assert ticket_of(cli.engine).status is TicketStatus.FOLLOWUP_SENT

    # The pass at the original due time finds its copy in Sent and sends nothing more.
    followup_pass(cli.engine, cli.config, now=at(DUE + timedelta(hours=1)))
    assert len(cli.smtp.messages) == 1


@pytest.mark.smtp_behaviour("refuse")
def test_a_refused_follow_up_is_dead_alerts_and_is_retried_by_hand(cli: Cli) -> None:
    item = scheduled(cli.engine, cli.config, cli.account)

    delivered = cli.run(DUE, "outbox", "deliver")
    assert ok(delivered) == "outbox: 0 sent, 1 dead\n"
    assert f"outbox {item.id}:" in delivered.stderr and "550" in delivered.stderr
    assert cli.smtp.messages == []
    alert = cli.run(DUE, "status")
    assert alert.returncode == 1, alert.stderr
    assert outbox_of(alert.stdout) == ["0", "0", "0", "1"]
    assert "UNHEALTHY support: 1 outbox message(s) dead" in alert.stdout
    [dead] = rows(ok(cli.run(DUE, "outbox", "list", "--state", "dead")))
    assert dead[:4] == [str(item.id), str(item.ticket_id), "followup", "dead"]
    assert (dead[5], dead[7]) == ("1", CUSTOMER)
    assert "550" in dead[8] and "refused" in dead[8]

    # The cause is fixed: the dead row gets a fresh start and goes out once.
    cli.smtp.handler.behaviour = "accept"
    later = DUE + timedelta(hours=1)
    assert ok(cli.run(later, "outbox", "retry", "--dead")) == (
        "1 row(s) will be sent on the next pass\n"
    )
    assert ok(cli.run(later, "outbox", "deliver")) == "outbox: 1 sent\n"
    assert len(cli.smtp.messages) == 1
    [row] = followups(cli.engine)
    assert (row.state, row.attempts, row.last_error, row.sent_at) == (
        OutboxState.SENT,
        1,
        None,
        later,
    )
    status = cli.run(later, "status").stdout
    assert "dead" not in status
    assert outbox_of(status) == ["0", "0", "0", "0"]


def test_cancel_close_and_reopen_stop_queued_follow_ups(cli: Cli) -> None:
    drafted(cli.engine, cli.config, cli.account, [complaint(1), complaint(2), complaint(3)])
    for index in range(3):
        agent_sends(cli.account, index=index)
    followup_pass(cli.engine, cli.config, now=at(REPLIED_AT))
    by_hand, closed, reopened = followups(cli.engine)
    assert {i.state for i in (by_hand, closed, reopened)} == {OutboxState.PENDING}

    cancel = ("followups", "cancel", str(by_hand.id))
    out = ok(cli.run(REPLIED_AT, *cancel, "--reason", "customer called"))
    assert (
        out == f"follow-up {by_hand.id} (ticket {by_hand.ticket_id}) cancelled: customer called\n"
    )
    again = cli.run(REPLIED_AT, *cancel)
    failed(again, f"outbox row {by_hand.id} is cancelled: only ")
    assert re.search(
        r"only (pending or failed|failed or pending) rows can be cancelled", again.stderr
    )
    failed(
        cli.run(REPLIED_AT, "followups", "cancel", "999"),
        "there is no outbox row 999",
    )
    out = ok(cli.run(REPLIED_AT, "tickets", "close", str(closed.ticket_id)))
    assert out == f"ticket {closed.ticket_id} closed (follow-up cancelled)\n"
    out = ok(cli.run(REPLIED_AT, "tickets", "reopen", str(reopened.ticket_id)))
    assert out == f"ticket {reopened.ticket_id} reopened (follow-up cancelled)\n"

    listed = rows(ok(cli.run(REPLIED_AT, "followups", "list")))
    assert sorted((r[0], r[3], r[8]) for r in listed) == sorted(
        [
            (str(by_hand.id), "cancelled", "customer called"),
            (str(closed.id), "cancelled", "the ticket was closed"),
            (str(reopened.id), "cancelled", "the ticket was reopened"),
        ]
    )
    with Session(cli.engine) as session:
        tickets = [session.get(Ticket, i.ticket_id) for i in (by_hand, closed, reopened)]
    assert {t.id: t.status for t in tickets if t is not None} == {
        by_hand.ticket_id: TicketStatus.REPLIED,
        closed.ticket_id: TicketStatus.CLOSED,
        reopened.ticket_id: TicketStatus.REOPENED,
    }
    # When they would have been due, none goes out.
    assert deliver(cli.engine, cli.config, at(DUE + timedelta(hours=1))).sent == 0
    assert cli.smtp.messages == []


def test_usage_errors_exit_2_and_a_bad_clock_exits_1(cli: Cli) -> None:
    for args in [("outbox", "retry"), ("outbox", "retry", "1", "--dead")]:
        result = cli.run(REPLIED_AT, *args)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "Usage: amends outbox retry" in result.stderr
        assert "give row ids or --dead, not both" in result.stderr
    assert cli.config.source is not None
    env = {"AMENDS_CONFIG": str(cli.config.source), "AMENDS_NOW": "monday"}
    failed(cli.amends("status", env=env), "AMENDS_NOW='monday' is not an ISO 8601 time")


# --- regressions: bugs these tests found once ----------------------------------------------------


@pytest.mark.smtp_behaviour("refuse")
def test_a_follow_up_sent_after_a_retry_by_hand_waits_for_the_answer(cli: Cli) -> None:
    scheduled(cli.engine, cli.config, cli.account)
    assert deliver(cli.engine, cli.config, at(DUE)).dead == 1
    cli.smtp.handler.behaviour = "accept"
    later = DUE + timedelta(hours=1)
    ok(cli.run(later, "outbox", "retry", "--dead"))
    assert deliver(cli.engine, cli.config, at(later)).sent == 1
    assert ticket_of(cli.engine).status is TicketStatus.FOLLOWUP_SENT


def test_run_for_an_unknown_mailbox_is_refused_and_sends_nothing(cli: Cli) -> None:
    ready_to_send(cli.engine, 1, due_at=REPLIED_AT)
    result = cli.run(REPLIED_AT, "followups", "run", "--mailbox", "nosuch")
    assert cli.smtp.messages == [], "a mailbox that does not exist has nothing to send"
    assert result.returncode != 0 and "nosuch" in result.stderr


def test_piped_lists_print_an_smtp_error_as_the_server_gave_it(cli: Cli) -> None:
    error = "550 5.1.1 [mx.example.net] no such user"
    item = ready_to_send(
        cli.engine, 1, state=OutboxState.DEAD, attempts=1, smtp_code=550, last_error=error
    )
    [dead] = rows(ok(cli.run(DUE, "outbox", "list", "--state", "dead")))
    assert dead[0] == str(item.id) and dead[8] == error
