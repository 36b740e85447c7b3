"""Mail loops end to end (issue 10, part 4): two auto-responders, a mailing list and a closed
mailbox answer everything we send, straight into the support INBOX, while ``amends run
--once`` works the mailbox day after day (``AMENDS_NOW``).

Four complaints come from behind each looping address (the list's four from four members
whose Reply-To is the list), so that four follow-ups fall due for one recipient on one day:
more than the per-recipient limit lets through. The auto-responders and the list answer the
agents' replies too; the closed mailbox closed after them and bounces only the follow-ups.
"""

from __future__ import annotations

import email
import email.policy
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from amends.config import Config
from amends.followups import BOUNCED
from models.mail import Message, MessageDirection, MessageKind
from models.outbox import (
    Draft,
    OutboxItem,
    OutboxKind,
    OutboxState,
    Reply,
    ReplySource,
    SatisfactionAnswer,
)
from models.tickets import Customer, Ticket, TicketStatus
from tests.e2e.test_worker import drafts_in, environment
from tests.fixtures.imap import ImapAccount
from tests.fixtures.looping import (
    AUTO_REPLIED,
    CLOSED,
    LIST,
    LOOPING,
    OUT_OF_OFFICE,
    Loops,
    looping_smtp,  # noqa: F401 (fixture)
)
from tests.fixtures.smtp import SmtpServer
from tests.integration.test_drafts import ConfigMaker, mail, make_config, model  # noqa: F401
from tests.integration.test_followups import COMPLAINED_AT, DUE, REPLIED_AT, smtp_toml

PER_ADDRESS = 4  # complaints from behind each looping address
CONTROL = "jane@example.net"  # an ordinary customer: her follow-up shows they go out at all
# The days (after the one the follow-ups fall due) of the worker's passes.
DAYS = (0, 1, 7)
DAY = timedelta(days=1)
MACHINE = {MessageKind.AUTO_REPLY, MessageKind.LIST, MessageKind.BOUNCE, MessageKind.OWN}


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


def complaints() -> list[bytes]:
    """Every looping address's complaints, and the control customer's one."""
    raws = []
    number = 0
    for address in LOOPING:
        for n in range(PER_ADDRESS):
            number += 1
            sender, headers = address, {}
            if address == LIST:
                sender, headers = f"dev{n}@example.net", {"Reply-To": f"Team <{LIST}>"}
            raws.append(
                mail(
                    sender,
                    f"Broken blender, order 44{number:02d}",
                    f"Hello, the blender from order 44{number:02d} arrived with a cracked jug and "
                    "does not start. I want one that works.",
                    f"c{number}@example.net",
                    headers=headers,
                )
            )
    raws.append(
        mail(
            CONTROL,
            "Broken blender, order 4499",
            "Hello, the blender from order 4499 arrived with a cracked jug and does not start. "
            "I want one that works.",
            "c99@example.net",
        )
    )
    return raws


def agents_send_every_draft(account: ImapAccount, loops: Loops) -> None:
    """What the agents' mail client does with each reviewed draft: send it (a copy in Sent,
    with a new Message-ID), the auto-responders and the list answering it at once."""
    sent = []
    for index, raw in enumerate(account.fetch_all("Drafts")):
        draft = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(draft, EmailMessage)
        for header in ("X-Amends-Lint", "X-Amends-Note", "X-Amends-Owner", "X-Amends-Ticket"):
            del draft[header]
        draft.replace_header("Message-ID", f"<sent-{index}@client.example.com>")
        draft.replace_header("Date", email.utils.format_datetime(REPLIED_AT))
        sent.append(bytes(draft))
        recipients = tuple(a.addr_spec.lower() for a in draft["To"].addresses)
        if CLOSED not in recipients:
            loops.answer(bytes(draft), recipients)
    account.append_many("Sent", sent)


def run_once(config: Config, tmp_path: Path, now: datetime) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "amends", "run", "--once"],
        cwd=tmp_path,
        env=environment(config, AMENDS_NOW=now.isoformat()),
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    output = done.stdout + done.stderr
    print(f"--- amends run --once at {now.isoformat()} ---\n{output}")
    assert done.returncode == 0, output
    assert "Traceback" not in output
    return output


def sent_to(server: SmtpServer) -> Counter[str]:
    return Counter(rcpt.lower() for m in server.messages for rcpt in m.rcpt_tos)


def assert_nothing_answers_a_machine(engine: Engine, complaints: int) -> None:
    """Every message that came back is machine mail, and none got a ticket, a draft, a
    follow-up or was read as a customer's answer."""
    with Session(engine) as session:
        inbound = session.exec(
            select(Message).where(Message.direction == MessageDirection.INBOUND)
        ).all()
        customers = [m for m in inbound if m.kind is MessageKind.CUSTOMER]
        assert len(customers) == complaints, [(m.from_address, m.subject) for m in customers]
        echoes = [m for m in inbound if m.kind is not MessageKind.CUSTOMER]
        assert {m.kind for m in echoes} <= MACHINE
        assert session.exec(select(func.count()).select_from(Ticket)).one() == complaints
        drafted = Counter(session.exec(select(Draft.inbound_message_id)).all())
        assert drafted == Counter(m.id for m in customers), "a draft per complaint only"
        rules = session.exec(
            select(OutboxItem.ticket_id, OutboxItem.rule).where(
                OutboxItem.kind == OutboxKind.FOLLOWUP
            )
        ).all()
        assert {rule for _, rule in rules} <= {"followup"}, "no second follow-up for any ticket"
        assert len(rules) == len({ticket for ticket, _ in rules}) <= complaints
        # Each reply counted once: an echo of one is not another (nor is a follow-up's echo).
        replies = session.exec(select(Reply.ticket_id, Reply.source)).all()
        by_agents = Counter(t for t, source in replies if source is not ReplySource.FOLLOWUP)
        assert set(by_agents.values()) == {1} and len(by_agents) == complaints, by_agents
        ours = Counter(t for t, source in replies if source is ReplySource.FOLLOWUP)
        assert set(ours.values()) <= {1}, ours
        assert session.exec(select(func.count()).select_from(SatisfactionAnswer)).one() == 0
        reopened = select(func.count()).where(Ticket.status == TicketStatus.REOPENED)
        assert session.exec(reopened).one() == 0


def assert_within_the_limit(engine: Engine, limit: int) -> None:
    """No recipient got more than ``limit`` messages in any 24 hours."""
    with Session(engine) as session:
        sent = session.exec(
            select(OutboxItem.recipient, OutboxItem.sent_at).where(
                OutboxItem.state == OutboxState.SENT
            )
        ).all()
    for recipient, at in sent:
        assert at is not None
        window = [t for r, t in sent if r == recipient and t is not None and at <= t < at + DAY]
        assert len(window) <= limit, f"{recipient}: {len(window)} in 24 hours from {at}"


@pytest.mark.timeout(300)  # four worker passes on a slow machine
def test_auto_responders_a_list_and_a_closed_mailbox_loop_into_nothing(
    make_config: ConfigMaker,  # noqa: F811
    engine: Engine,
    imap_account: ImapAccount,
    looping_smtp: tuple[SmtpServer, Loops],  # noqa: F811
    model: None,  # noqa: F811
    tmp_path: Path,
) -> None:
    server, loops = looping_smtp
    # One process does everything: no helper processes to start on every pass.
    config = make_config(smtp_toml(server.port, "\n[worker]\nprocesses = 0\n"))
    limit = config.outbox.per_recipient_per_day
    assert limit < PER_ADDRESS, "the limit must bite"
    raws = complaints()
    for raw in raws:
        imap_account.append("INBOX", raw, msg_time=COMPLAINED_AT)

    run_once(config, tmp_path, COMPLAINED_AT + timedelta(hours=1))
    assert drafts_in(imap_account) == len(raws), "every complaint drafted"
    loops.now = REPLIED_AT + timedelta(minutes=5)
    agents_send_every_draft(imap_account, loops)

    per_day: list[Counter[str]] = []
    for day in DAYS:
        before = sent_to(server)
        loops.now = DUE + day * DAY + timedelta(hours=1)
        output = run_once(config, tmp_path, loops.now)
        per_day.append(sent_to(server) - before)
        assert all(n <= limit for n in per_day[-1].values()), (day, per_day[-1])
        assert_nothing_answers_a_machine(engine, len(raws))
        assert drafts_in(imap_account) == len(raws), "no draft for anything that came back"
        if day == 0:
            assert f"already got {limit} messages in 24 hours: held until" in output

    total = sent_to(server)
    print(f"sent per day: {[dict(d) for d in per_day]}")
    assert total[CONTROL] == 1
    # The limit held the fourth follow-up to each address back to the next day...
    for address in (AUTO_REPLIED, OUT_OF_OFFICE, LIST, CLOSED):
        assert per_day[0][address] == limit, (address, per_day[0])
    # ... when it went out, except to the closed mailbox: its bounces had come back meanwhile.
    assert [total[a] for a in (AUTO_REPLIED, OUT_OF_OFFICE, LIST)] == [PER_ADDRESS] * 3
    assert total[CLOSED] == limit
    with Session(engine) as session:
        closed = session.exec(select(Customer).where(Customer.address == CLOSED)).one()
        assert closed.bounced
        held = session.exec(
            select(OutboxItem.cancelled_reason).where(
                col(OutboxItem.recipient) == CLOSED, OutboxItem.state == OutboxState.CANCELLED
            )
        ).all()
        assert held == [BOUNCED]
    # And then nothing more, a week on: the loops died out.
    assert per_day[-1] == Counter()
    assert_within_the_limit(engine, limit)
    # The answers did come back (and were read): two per mail to a responder or the list
    # (the agent's reply and the follow-up), one bounce per follow-up to the closed mailbox.
    assert loops.answered == {
        AUTO_REPLIED: 2 * PER_ADDRESS,
        OUT_OF_OFFICE: 2 * PER_ADDRESS,
        LIST: 2 * PER_ADDRESS,
        CLOSED: limit,
    }
    with Session(engine) as session:
        kinds = Counter(
            session.exec(
                select(Message.kind).where(
                    Message.direction == MessageDirection.INBOUND,
                    Message.kind != MessageKind.CUSTOMER,
                )
            ).all()
        )
    assert kinds[MessageKind.AUTO_REPLY] == 4 * PER_ADDRESS
    assert kinds[MessageKind.BOUNCE] == limit
    assert kinds[MessageKind.LIST] + kinds[MessageKind.OWN] == 2 * PER_ADDRESS
