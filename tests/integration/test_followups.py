"""Follow-ups on the Dovecot and SMTP fixtures, with the clock in the test's hand.

The cycle: a complaint is drafted, the agent "sends" it by putting a reply in Sent, the worker
finds it, queues a follow-up, sends it when due, and reads the customer's answer.
"""

from __future__ import annotations

import email
import email.policy
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from amends.config import Config, load_config
from amends.drafting import write_drafts
from amends.followups import (
    CUSTOMER_WROTE,
    OPTED_OUT,
    SUPPRESSED,
    TICKET_CLOSED,
    set_status_by_hand,
)
from amends.mailboxes import build_watcher
from amends.sending import deliver, followup_pass
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
from models.tickets import Customer, Ticket, TicketStatus
from outbox.lint import lint, reply_text
from tests.fixtures.imap import ImapAccount, free_port
from tests.fixtures.smtp import SmtpServer
from tests.integration.test_drafts import (  # noqa: F401 (fixtures)
    ConfigMaker,
    flags_of,
    labelled,
    mail,
    make_config,
)


def _a_wednesday_weeks_ago() -> datetime:
    # The story is set in the past: Dovecot keeps the arrival time we give a message only when
    # it is not in the future, and the stages take their clock from the test.
    today = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    return today - timedelta(days=(today.weekday() - 2) % 7 + 21)


# The complaint arrives on a Tuesday, the agent's reply goes out on Wednesday morning, and the
# follow-up is due three business days later, on Monday.
REPLIED_AT = _a_wednesday_weeks_ago()
COMPLAINED_AT = REPLIED_AT - timedelta(days=1)
DUE = REPLIED_AT + timedelta(days=5)
CUSTOMER = "jane@example.net"


def smtp_toml(port: int, extra: str = "") -> str:
    return (
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout_s = 5\n\n'
        f"[outbox]\nretry_base_s = 60\nper_minute = 1000\n{extra}"
    )


@pytest.fixture
def sending(make_config: ConfigMaker, smtp_server: SmtpServer) -> Config:  # noqa: F811
    return make_config(smtp_toml(smtp_server.port))


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def complaint(number: int = 1, sender: str = CUSTOMER) -> bytes:
    return mail(
        sender,
        f"Broken blender, order 44{number:02d}",
        f"Hello, the blender from order 44{number:02d} arrived with a cracked jug and does not "
        "start. I want one that works.",
        f"c{number}@example.net",
        name="Jane Doe",
    )


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def drafted(
    engine: Engine,
    config: Config,
    account: ImapAccount,
    raws: list[bytes] | None = None,
    failure_type: str = "damaged_or_defective",
) -> None:
    """Complaints that arrived on COMPLAINED_AT, labelled, assigned and drafted."""
    for raw in raws or [complaint()]:
        account.append("INBOX", raw, msg_time=COMPLAINED_AT)
    labelled(engine, config, account, [], failure_type)
    write_drafts(engine, config, config.mailboxes[0])


def agent_sends(
    account: ImapAccount,
    *,
    index: int = 0,
    when: datetime = REPLIED_AT,
    keep_id: bool = False,
    extra: str = "",
) -> str:
    """What a mail client does with a reviewed draft: a copy in Sent, under a new Message-ID
    (or the draft's own), without the draft's internal notes. Returns its Message-ID."""
    draft = parsed(sorted(account.fetch_all("Drafts"))[index])
    for header in ("X-Amends-Lint", "X-Amends-Note", "X-Amends-Owner", "X-Amends-Ticket"):
        del draft[header]
    message_id = draft["Message-ID"].strip("<>")
    if not keep_id:
        message_id = f"sent-{index}-{when:%Y%m%d%H%M%S}@client.example.com"
        del draft["Message-ID"]
        draft["Message-ID"] = f"<{message_id}>"
    del draft["Date"]
    draft["Date"] = email.utils.format_datetime(when)
    if extra:
        body = draft.get_body(("plain",))
        assert body is not None
        body.set_content(extra + "\n\n" + body.get_content())
    account.append("Sent", bytes(draft), flags=["\\Seen"])
    return message_id


def customer_answers(
    account: ImapAccount, text_: str, in_reply_to: str, when: datetime, number: int = 1
) -> None:
    account.append(
        "INBOX",
        mail(
            CUSTOMER,
            "Re: Broken blender",
            text_,
            f"answer-{number}@example.net",
            name="Jane Doe",
            headers={"In-Reply-To": f"<{in_reply_to}>", "References": f"<{in_reply_to}>"},
        ),
        msg_time=when,
    )


def sync_inbox(engine: Engine, config: Config) -> None:
    build_watcher(config, config.mailboxes[0], engine).run_once()


def followups(engine: Engine) -> list[OutboxItem]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(OutboxItem)
                .where(OutboxItem.kind == OutboxKind.FOLLOWUP)
                .order_by(col(OutboxItem.id))
            )
        )


def ticket_of(engine: Engine, address: str = CUSTOMER) -> Ticket:
    with Session(engine) as session:
        return session.exec(select(Ticket).join(Customer).where(Customer.address == address)).one()


def ready_to_send(engine: Engine, number: int, **fields: object) -> OutboxItem:
    """An outbox row put straight into the database: a finished message to customer<number>,
    due at DUE, with ``fields`` set on top."""
    message = EmailMessage()
    message["From"] = "support@example.com"
    message["To"] = f"customer{number}@example.net"
    message["Subject"] = f"Message {number}"
    message["Message-ID"] = f"<m{number}@example.com>"
    message.set_content("Hello")
    item = OutboxItem(
        kind=OutboxKind.DRAFT_SEND,
        mailbox="support",
        rule=f"test-{number}",
        key=f"test-{number}",
        due_at=DUE,
        recipient=f"customer{number}@example.net",
        message_id=f"m{number}@example.com",
        raw=bytes(message),
    )
    for name, value in fields.items():
        setattr(item, name, value)
    with Session(engine, expire_on_commit=False) as session:
        session.add(item)
        session.commit()
    return item


def test_the_whole_cycle(
    sending: Config, engine: Engine, imap_account: ImapAccount, smtp_server: SmtpServer
) -> None:
    drafted(engine, sending, imap_account)
    reply_id = agent_sends(imap_account, extra="I have also added a spare jug.")

    result = followup_pass(engine, sending, now=at(REPLIED_AT + timedelta(hours=1)))
    report = result.mailboxes[0]
    assert (report.replies, report.scheduled) == (1, 1)
    ticket = ticket_of(engine)
    assert ticket.status is TicketStatus.FOLLOWUP_SCHEDULED
    assert ticket.first_response_at == REPLIED_AT
    assert ticket.followup_at == DUE, "three business days later, in working hours"
    with Session(engine) as session:
        reply = session.exec(select(Reply)).one()
        draft = session.exec(select(Draft)).one()
    assert reply.source is ReplySource.AGENT and reply.agent == ticket.owner
    assert reply.response_s == (REPLIED_AT - ticket.received_at).total_seconds()
    assert reply.diff_ratio is not None and 0 < reply.diff_ratio < 0.3, "lightly edited"
    assert draft.state is DraftState.SENT_DETECTED and draft.sent_diff_ratio == reply.diff_ratio

    # Not due yet: nothing goes out.
    followup_pass(engine, sending, now=at(DUE - timedelta(hours=1)))
    assert smtp_server.messages == []

    followup_pass(engine, sending, now=at(DUE + timedelta(minutes=5)))
    assert len(smtp_server.messages) == 1
    sent = smtp_server.messages[0]
    message = sent.message
    assert sent.rcpt_tos == (CUSTOMER,) and sent.mail_from == "support@example.com"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["In-Reply-To"] == f"<{reply_id}>", "threaded under the agent's reply"
    assert "<c1@example.net>" in message["References"]
    assert (
        message["Subject"].startswith("Re: Broken blender")
        and f"[#{ticket.id}]" in message["Subject"]
    )
    assert "X-Amends-Lint" not in message and "X-Amends-Note" not in message
    body = message.get_body(("plain",))
    assert body is not None
    text_ = body.get_content()
    assert "4401" in text_, "names the order the customer wrote about"
    assert lint(reply_text(text_)) == []
    assert not any(p in text_.lower() for p in ("anything else", "is there anything"))
    [item] = followups(engine)
    assert item.state is OutboxState.SENT and item.attempts == 1 and item.filed_at is not None
    sent_copies = [parsed(r) for r in imap_account.fetch_all("Sent")]
    assert [m["Message-ID"] for m in sent_copies].count(f"<{item.message_id}>") == 1
    assert ticket_of(engine).status is TicketStatus.FOLLOWUP_SENT

    # The customer answers "2": the ticket is reopened for its owner.
    assert item.message_id is not None
    customer_answers(
        imap_account, "2\n\nThe new one also leaks.", item.message_id, DUE + timedelta(hours=3)
    )
    sync_inbox(engine, sending)
    result = followup_pass(engine, sending, now=at(DUE + timedelta(days=1)))
    assert (result.mailboxes[0].answers, result.mailboxes[0].reopened) == (1, 1)
    reopened = ticket_of(engine)
    assert reopened.status is TicketStatus.REOPENED
    assert reopened.owner == ticket.owner and reopened.repeat_failure
    assert reopened.rating == 2 and reopened.reopen_count == 1
    with Session(engine) as session:
        answer = session.exec(select(SatisfactionAnswer)).one()
    assert (answer.rating, answer.satisfied, answer.reopened) == (2, False, True)
    flags = flags_of(imap_account, "INBOX")["<answer-1@example.net>"]
    assert {"amends-reopened", f"amends-owner-{ticket.owner}"} <= flags

    # Passes again change nothing: no second follow-up, answer or reply.
    followup_pass(engine, sending, now=at(DUE + timedelta(days=10)))
    assert len(smtp_server.messages) == 1
    with Session(engine) as session:
        assert len(session.exec(select(SatisfactionAnswer)).all()) == 1
        assert (
            len(session.exec(select(Reply).where(Reply.source != ReplySource.FOLLOWUP)).all()) == 1
        )


def test_a_satisfied_answer_closes_the_ticket_with_its_rating(
    sending: Config, engine: Engine, imap_account: ImapAccount, smtp_server: SmtpServer
) -> None:
    drafted(engine, sending, imap_account)
    agent_sends(imap_account, keep_id=True)
    followup_pass(engine, sending, now=at(REPLIED_AT))
    with Session(engine) as session:
        assert session.exec(select(Reply)).one().source is ReplySource.DRAFT
        assert session.exec(select(Reply)).one().diff_ratio == 0.0, "sent as written"
    followup_pass(engine, sending, now=at(DUE))
    [item] = followups(engine)
    assert item.message_id is not None
    customer_answers(
        imap_account,
        "Yes, it works now. I'd give you 5/5, thank you!",
        item.message_id,
        DUE + timedelta(hours=1),
    )
    sync_inbox(engine, sending)
    followup_pass(engine, sending, now=at(DUE + timedelta(hours=2)))
    ticket = ticket_of(engine)
    assert ticket.status is TicketStatus.SATISFIED and ticket.rating == 5
    assert ticket.closed_at == DUE + timedelta(hours=2) and not ticket.repeat_failure


def test_an_opt_out_answer_closes_and_stops_all_follow_ups(
    sending: Config, engine: Engine, imap_account: ImapAccount, smtp_server: SmtpServer
) -> None:
    drafted(engine, sending, imap_account)
    agent_sends(imap_account)
    followup_pass(engine, sending, now=at(REPLIED_AT))
    followup_pass(engine, sending, now=at(DUE))
    [item] = followups(engine)
    assert item.message_id is not None
    customer_answers(imap_account, "STOP", item.message_id, DUE + timedelta(minutes=30))
    sync_inbox(engine, sending)
    followup_pass(engine, sending, now=at(DUE + timedelta(hours=1)))
    ticket = ticket_of(engine)
    assert ticket.status is TicketStatus.CLOSED
    with Session(engine) as session:
        customer = session.exec(select(Customer).where(Customer.address == CUSTOMER)).one()
        assert customer.opted_out


# --- cancellations ------------------------------------------------------------------------------


def scheduled(engine: Engine, config: Config, account: ImapAccount) -> OutboxItem:
    drafted(engine, config, account)
    agent_sends(account)
    followup_pass(engine, config, now=at(REPLIED_AT))
    [item] = followups(engine)
    assert item.state is OutboxState.PENDING
    return item


def test_the_customer_writing_again_cancels_and_the_next_reply_schedules_again(
    sending: Config, engine: Engine, imap_account: ImapAccount, smtp_server: SmtpServer
) -> None:
    scheduled(engine, sending, imap_account)
    customer_answers(
        imap_account,
        "The courier has not come yet, when will it be?",
        "c1@example.net",
        REPLIED_AT + timedelta(hours=5),
    )
    sync_inbox(engine, sending)
    report = followup_pass(engine, sending, now=at(REPLIED_AT + timedelta(days=1))).mailboxes[0]
    assert report.cancelled == {CUSTOMER_WROTE: 1}
    [item] = followups(engine)
    assert item.state is OutboxState.CANCELLED and item.cancelled_reason == CUSTOMER_WROTE
    assert ticket_of(engine).status is TicketStatus.REOPENED, "the conversation is open again"
    followup_pass(engine, sending, now=at(DUE + timedelta(days=1)))
    assert smtp_server.messages == []

    # The agent answers that message: the same follow-up is armed again, from the new reply.
    later = REPLIED_AT + timedelta(days=2)  # Friday
    agent_sends(imap_account, when=later)
    followup_pass(engine, sending, now=at(later))
    [item] = followups(engine)
    assert item.state is OutboxState.PENDING
    assert item.due_at == later + timedelta(days=5), "Friday + 3 business days: Wednesday"
    followup_pass(engine, sending, now=at(item.due_at))
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize("how", ["closed", "reopened", "bounced", "opted_out", "suppressed"])
def test_every_cancellation_path(
    how: str,
    make_config: ConfigMaker,  # noqa: F811
    smtp_server: SmtpServer,
    engine: Engine,
    imap_account: ImapAccount,
) -> None:
    extra = '\n[followups]\nsuppress = ["@example.net"]\n' if how == "suppressed" else ""
    config_ = make_config(smtp_toml(smtp_server.port) + extra)
    if how == "suppressed":
        # Suppressed from the start: never scheduled at all.
        drafted(engine, config_, imap_account)
        agent_sends(imap_account)
        report = followup_pass(engine, config_, now=at(REPLIED_AT)).mailboxes[0]
        assert report.not_scheduled == {SUPPRESSED: 1} and followups(engine) == []
        return
    item = scheduled(engine, config_, imap_account)
    ticket = ticket_of(engine)
    assert ticket.id is not None
    expected = {
        "closed": TICKET_CLOSED,
        "reopened": "the ticket was reopened",
        "bounced": "the address bounced",
        "opted_out": OPTED_OUT,
    }[how]
    if how in {"closed", "reopened"}:
        assert set_status_by_hand(engine, ticket.id, reopen=how == "reopened")
    else:
        with Session(engine) as session:
            customer = session.get(Customer, ticket.customer_id)
            assert customer is not None
            setattr(customer, how, True)
            session.add(customer)
            session.commit()
        report = followup_pass(engine, config_, now=at(DUE - timedelta(days=1))).mailboxes[0]
        assert report.cancelled == {expected: 1}
    followup_pass(engine, config_, now=at(DUE + timedelta(days=1)))
    [item] = followups(engine)
    assert (item.state, item.cancelled_reason) == (OutboxState.CANCELLED, expected)
    assert smtp_server.messages == []


def test_not_a_complaint_gets_no_follow_up(
    sending: Config, engine: Engine, imap_account: ImapAccount
) -> None:
    drafted(engine, sending, imap_account, failure_type="not_a_complaint")
    reply = parsed(mail("support@example.com", "Re: question", "Here you go.", "r1@example.com"))
    reply.replace_header("To", CUSTOMER)
    reply["In-Reply-To"] = "<c1@example.net>"
    imap_account.append("Sent", bytes(reply))
    report = followup_pass(engine, sending, now=at(REPLIED_AT)).mailboxes[0]
    assert report.replies == 1 and report.not_scheduled == {"not a complaint": 1}
    assert followups(engine) == []


def test_a_reply_copied_to_the_support_address_counts_once(
    sending: Config, engine: Engine, imap_account: ImapAccount
) -> None:
    drafted(engine, sending, imap_account)
    agent_sends(imap_account)
    # The agent put the support address in Cc: the same reply also arrives in the inbox.
    [copy] = imap_account.fetch_all("Sent")
    imap_account.append("INBOX", copy, msg_time=REPLIED_AT)
    sync_inbox(engine, sending)
    report = followup_pass(engine, sending, now=at(REPLIED_AT)).mailboxes[0]
    assert (report.replies, report.scheduled) == (1, 1)
    assert report.sent_sync is not None and report.sent_sync.outcome.duplicates == 1
    with Session(engine) as session:
        assert len(session.exec(select(Reply)).all()) == 1
    assert ticket_of(engine).status is TicketStatus.FOLLOWUP_SCHEDULED


def test_unrelated_sent_mail_is_not_stored(
    sending: Config, engine: Engine, imap_account: ImapAccount
) -> None:
    drafted(engine, sending, imap_account)
    imap_account.append("Sent", mail("support@example.com", "Lunch?", "Noon?", "l1@example.com"))
    report = followup_pass(engine, sending, now=at(REPLIED_AT)).mailboxes[0]
    assert report.sent_sync is not None and report.sent_sync.outcome.unrelated == 1
    assert report.replies == 0


# --- SMTP behaviour -----------------------------------------------------------------------------


@pytest.mark.smtp_behaviour("tempfail")
def test_a_4xx_refusal_is_retried_with_backoff_and_sent_once(
    sending: Config, engine: Engine, imap_account: ImapAccount, smtp_server: SmtpServer
) -> None:
    scheduled(engine, sending, imap_account)
    followup_pass(engine, sending, now=at(DUE))
    [item] = followups(engine)
    assert (item.state, item.attempts, item.smtp_code) == (OutboxState.FAILED, 1, 451)
    assert item.due_at == DUE + timedelta(seconds=60) and "451" in (item.last_error or "")
    smtp_server.handler.behaviour = "accept"
    deliver(engine, sending, at(DUE + timedelta(seconds=30)))
    assert smtp_server.messages == [], "not before the backoff is over"
    deliver(engine, sending, at(DUE + timedelta(seconds=61)))
    deliver(engine, sending, at(DUE + timedelta(hours=1)))
    assert len(smtp_server.messages) == 1
    [item] = followups(engine)
    assert (item.state, item.attempts, item.last_error) == (OutboxState.SENT, 2, None)


@pytest.mark.smtp_behaviour("refuse")
def test_a_5xx_refusal_is_dead_at_once(
    sending: Config, engine: Engine, imap_account: ImapAccount, smtp_server: SmtpServer
) -> None:
    scheduled(engine, sending, imap_account)
    for hours in range(5):
        deliver(engine, sending, at(DUE + timedelta(hours=hours)))
    [item] = followups(engine)
    assert (item.state, item.attempts, item.smtp_code) == (OutboxState.DEAD, 1, 550)
    assert ticket_of(engine).status is TicketStatus.REPLIED


def test_the_smtp_server_down_for_a_while(
    make_config: ConfigMaker,  # noqa: F811
    engine: Engine,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
) -> None:
    down = make_config(smtp_toml(free_port("127.0.0.1"), "max_attempts = 5\n"))
    scheduled(engine, down, imap_account)
    moment = DUE
    for expected_wait in (60, 120, 240):
        report = deliver(engine, down, at(moment))
        [item] = followups(engine)
        assert report.retried == 1 and item.state is OutboxState.FAILED
        assert item.due_at == moment + timedelta(seconds=expected_wait), "exponential backoff"
        moment = item.due_at
    up = make_config(smtp_toml(smtp_server.port, "max_attempts = 5\n"))
    deliver(engine, up, at(moment))
    deliver(engine, up, at(moment + timedelta(days=1)))
    [item] = followups(engine)
    assert (item.state, item.attempts) == (OutboxState.SENT, 4)
    assert len(smtp_server.messages) == 1


def test_the_per_recipient_limit_holds_mail_back(
    make_config: ConfigMaker,  # noqa: F811
    engine: Engine,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
) -> None:
    config_ = make_config(smtp_toml(smtp_server.port, "per_recipient_per_day = 1\n"))
    drafted(engine, config_, imap_account, [complaint(1), complaint(2)], "delay")
    agent_sends(imap_account, index=0)
    agent_sends(imap_account, index=1)
    followup_pass(engine, config_, now=at(REPLIED_AT))
    report = deliver(engine, config_, at(DUE))
    assert (report.sent, report.deferred) == (1, 1)
    held = next(i for i in followups(engine) if i.state is OutboxState.PENDING)
    assert held.due_at == DUE + timedelta(days=1) and held.attempts == 0
    deliver(engine, config_, at(DUE + timedelta(days=1)))
    assert len(smtp_server.messages) == 2
    # Written when it went, not when it was first held: dated the day it was sent.
    dates = [m.message["Date"].datetime for m in smtp_server.messages]
    assert dates == [DUE, DUE + timedelta(days=1)]


# --- crashes and several workers ----------------------------------------------------------------


def _hold_the_row(db_url: str, item_id: int) -> Callable[[], None]:
    """Lock the outbox row (PostgreSQL) or the database (SQLite) from another connection,
    so the worker blocks on recording the send; returns the release."""
    import sqlalchemy as sa

    other = sa.create_engine(db_url)
    connection = other.connect()
    if other.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.execute(
            text("SELECT id FROM outbox_item WHERE id = :id FOR UPDATE"), {"id": item_id}
        )

    def release() -> None:
        connection.rollback()
        connection.close()
        other.dispose()

    return release


def test_a_worker_killed_after_sending_does_not_send_again(
    sending: Config,
    engine: Engine,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    db_url: str,
    tmp_path: Path,
) -> None:
    item = scheduled(engine, sending, imap_account)
    assert item.id is not None
    released: list[Callable[[], None]] = []
    original = smtp_server.handler.handle_DATA

    async def lock_then_accept(server, session, envelope):  # type: ignore[no-untyped-def]
        # The server takes the message; before the worker hears back, its database is held.
        released.append(_hold_the_row(db_url, item.id))
        return await original(server, session, envelope)

    smtp_server.handler.handle_DATA = lock_then_accept  # type: ignore[method-assign]
    assert sending.source is not None
    env = os.environ | {"AMENDS_CONFIG": str(sending.source), "AMENDS_NOW": DUE.isoformat()}
    worker = subprocess.Popen(
        [sys.executable, "-m", "amends", "outbox", "deliver"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            sent_ids = [parsed(r)["Message-ID"] for r in imap_account.fetch_all("Sent")]
            if f"<{item.message_id}>" in sent_ids:
                break
            assert worker.poll() is None, worker.stdout.read() if worker.stdout else ""
            time.sleep(0.1)
        else:
            worker.kill()
            output = worker.stdout.read().decode() if worker.stdout else ""
            pytest.fail(f"the copy never reached Sent; the worker said:\n{output}")
        time.sleep(0.3)  # the worker is now waiting to record the send
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        for release in released:
            release()
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=30)
        if worker.stdout is not None:
            worker.stdout.close()
    smtp_server.handler.handle_DATA = original  # type: ignore[method-assign]
    [row] = followups(engine)
    assert row.state is OutboxState.SENDING, "killed before it could record the send"
    # Within the lease nobody touches it; after it, the next worker finds the copy in Sent.
    assert deliver(engine, sending, at(DUE + timedelta(seconds=60))).sent == 0
    report = deliver(engine, sending, at(DUE + timedelta(hours=1)))
    assert (report.recovered, report.sent) == (1, 0)
    [row] = followups(engine)
    assert row.state is OutboxState.SENT
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_workers_drain_one_outbox_each_message_once(
    make_config: ConfigMaker,  # noqa: F811
    engine: Engine,
    smtp_server: SmtpServer,
    imap_account: ImapAccount,
) -> None:
    config_ = make_config(smtp_toml(smtp_server.port))
    for n in range(30):
        ready_to_send(engine, n)
    reports = []

    def worker() -> None:
        reports.append(deliver(engine, config_, at(DUE)))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    ids = [m.message["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == 30 and len(set(ids)) == 30, "every message once"
    assert sum(r.sent for r in reports) == 30
    with Session(engine) as session:
        states = set(session.exec(select(OutboxItem.state)))
    assert states == {OutboxState.SENT}


# --- sending from the tool ----------------------------------------------------------------------


def test_a_draft_moved_to_the_send_folder_is_sent_filed_and_removed(
    make_config: ConfigMaker,  # noqa: F811
    engine: Engine,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
) -> None:
    written = make_config(smtp_toml(smtp_server.port))
    assert written.source is not None
    # send_from_tool belongs to the mailbox's own table.
    toml = written.source.read_text().replace(
        'display_name = "Example Shop"', 'display_name = "Example Shop"\nsend_from_tool = true'
    )
    written.source.write_text(toml)
    config_ = load_config(written.source)
    drafted(engine, config_, imap_account)
    draft = parsed(imap_account.fetch_all("Drafts")[0])
    draft["Bcc"] = "boss@example.com"
    imap_account.create_folder("Amends/Send")
    imap_account.append("Amends/Send", bytes(draft), flags=["\\Draft"])

    result = followup_pass(engine, config_, now=at(REPLIED_AT))
    assert result.mailboxes[0].queued_from_send_folder == 1
    assert result.delivery is not None and result.delivery.sent == 1
    [received] = smtp_server.messages
    assert set(received.rcpt_tos) == {"jane@example.net", "boss@example.com"}
    assert "Bcc" not in received.message and "X-Amends-Lint" not in received.message
    assert received.message["From"].addresses[0].addr_spec == "support@example.com"
    assert imap_account.fetch_all("Amends/Send") == [], "removed once sent and filed"
    sent_ids = [parsed(r)["Message-ID"] for r in imap_account.fetch_all("Sent")]
    assert sent_ids == [draft["Message-ID"]]

    # The next pass finds it in Sent like any reply: the ticket is replied, a follow-up queued.
    followup_pass(engine, config_, now=at(REPLIED_AT + timedelta(minutes=1)))
    with Session(engine) as session:
        assert session.exec(select(Reply)).one().source is ReplySource.TOOL
    assert ticket_of(engine).status is TicketStatus.FOLLOWUP_SCHEDULED
    assert len(smtp_server.messages) == 1


def test_a_row_of_a_removed_mailbox_is_cancelled_and_the_rest_go_out(
    sending: Config, engine: Engine, imap_account: ImapAccount, smtp_server: SmtpServer
) -> None:
    item = scheduled(engine, sending, imap_account)
    orphan = ready_to_send(engine, 1, mailbox="closed-down", due_at=DUE - timedelta(minutes=1))
    report = deliver(engine, sending, at(DUE))
    assert (report.sent, report.cancelled) == (1, 1)
    with Session(engine) as session:
        states = {
            row.key: (row.state, row.cancelled_reason) for row in session.exec(select(OutboxItem))
        }
    assert states[item.key][0] is OutboxState.SENT
    state, reason = states[orphan.key]
    assert state is OutboxState.CANCELLED and "closed-down" in (reason or "")
