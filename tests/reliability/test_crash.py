"""Crash consistency (issue 10, part 1): ``amends run`` killed with SIGKILL at random moments
over a mailbox of 2,000 messages, restarted each time, loses nothing and doubles nothing.

The worker runs as a subprocess, as in ``tests/e2e/test_worker.py``. A round appends 2,000
messages and kills the worker again and again while it syncs, classifies and drafts them; once
it has finished, every message must be stored once and every complaint drafted once. Then the
agents' replies go into Sent, and the worker is killed again and again while it finds them and
sends the follow-ups days later (``AMENDS_NOW``); every follow-up must go out once. Each life
is killed after a delay drawn from a seeded ``random.Random``: most a moment after the worker
took the mailbox (so that they land in the work, whatever the start-up costs on a busy
machine), some during the start-up. 20 kills make a round; ``AMENDS_SOAK_KILLS=200``
(``make soak``) plays ten rounds on the growing mailbox. The seed and every kill are printed;
``AMENDS_CRASH_SEED`` replays the same delays.

SMTP cannot be exactly-once: a worker killed after the server took a follow-up and before the
copy reached Sent cannot know that it went out, and sends it again (``outbox.queue``). Such
doubles are not excused wholesale: after every kill the test looks at the rows in flight, and
only a row whose message the server received in that life and whose copy is not in Sent may
go out once more.
"""

from __future__ import annotations

import email
import email.policy
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from functools import partial

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from amends.config import Config, load_config
from models.mail import Message, MessageDirection, QuarantineEntry
from models.outbox import (
    Draft,
    DraftState,
    OutboxItem,
    OutboxKind,
    OutboxState,
    Reply,
    ReplySource,
)
from models.tickets import Customer, Ticket
from outbox.queue import has_due
from tests.e2e.test_worker import (  # noqa: F401 (fixtures)
    Daemon,
    Rig,
    count,
    daemon,
    db_url,
    environment,
    eventually,
    rig,
    worker_config,
)
from tests.fixtures.imap import ImapAccount
from tests.integration.test_drafts import mail, make_config, model  # noqa: F401 (fixtures)
from tests.integration.test_followups import complaint

KILLS = int(os.environ.get("AMENDS_SOAK_KILLS", "20"))
SEED = int(os.environ.get("AMENDS_CRASH_SEED") or random.SystemRandom().randrange(10**6))
KILLS_PER_ROUND = 20
# A life ends this long after the worker took the mailbox, or (one in ten) this long after
# the process started.
WORKING_S = (0.0, 3.0)
STARTING_S = (0.1, 1.5)
STARTING_SHARE = 0.1

# A round's mail: complaints from distinct customers, some customers writing a second time
# into their thread, machine mail that must get nothing, one message nobody can answer.
COMPLAINTS = 1800
SECOND_MESSAGES = 100
BOUNCES = 50
AUTO_REPLIES = 49
NO_SENDER = 1
MESSAGES = COMPLAINTS + SECOND_MESSAGES + BOUNCES + AUTO_REPLIES + NO_SENDER
# Later than any follow-up falls due (three business days after the reply). Each life after
# a crash runs one step later, so that a dead worker's claim (lease) on a row has run out.
DAYS_LATER = timedelta(days=7)
STEP = timedelta(minutes=15)
# /proc/net/tcp states of a connection the server has not closed yet.
OPEN = {"01", "03", "08"}  # ESTABLISHED, SYN_RECV, CLOSE_WAIT
TOOK_THE_MAILBOX = "working this mailbox"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# UIDs per FETCH: Dovecot refuses a command line of 10,000.
FETCH_CHUNK = 1000


@dataclass(frozen=True)
class RoundMail:
    """The mail of round ``index``: customers ``first`` to ``first + COMPLAINTS - 1``."""

    index: int

    @property
    def first(self) -> int:
        return self.index * COMPLAINTS

    @property
    def numbers(self) -> range:
        return range(self.first, self.first + COMPLAINTS)

    @property
    def replied(self) -> list[int]:
        """The complaints the agents answer: one in three (half keep the draft's Message-ID)."""
        return [n for n in self.numbers if n % 3 == 1]

    def content(self) -> list[bytes]:
        """2,000 messages in arrival order, each second message after its complaint."""
        raws: list[bytes] = []
        again = iter(range(SECOND_MESSAGES))
        machines = iter(range(BOUNCES + AUTO_REPLIES))
        for number in self.numbers:
            raws.append(complaint(number, sender=address(number)))
            if number % 18 == 17 and (second := next(again, None)) is not None:
                raws.append(self.second_message(number - 10, second))
            if number % 18 == 9 and (machine := next(machines, None)) is not None:
                raws.append(self.machine_mail(machine))
        no_sender = mail("x@example.net", "Broken", "It broke.", self.no_sender_id)
        raws.append(no_sender.replace(b"From: x@example.net", b"From: Customer Service"))
        assert len(raws) == MESSAGES
        return raws

    @property
    def no_sender_id(self) -> str:
        return f"nobody{self.index}@example.net"

    def second_message(self, number: int, second: int) -> bytes:
        return mail(
            address(number),
            f"Re: Broken blender, order 44{number:02d}",
            "Any news? I still have no blender that works.",
            f"again{self.index}-{second}@example.net",
            name="Jane Doe",
            headers={"In-Reply-To": f"<{complaint_id(number)}>"},
        )

    def machine_mail(self, number: int) -> bytes:
        if number < BOUNCES:
            return mail(
                "mailer-daemon@example.org",
                "Undelivered Mail Returned to Sender",
                f"Your message to gone{number}@example.org could not be delivered.",
                f"bounce{self.index}-{number}@example.org",
                headers={"Auto-Submitted": "auto-replied"},
            )
        return mail(
            f"away{number}@example.org",
            "Out of office",
            "I am out of the office until Monday.",
            f"away{self.index}-{number}@example.org",
            headers={"Auto-Submitted": "auto-replied"},
        )


def address(number: int) -> str:
    return f"customer{number}@example.net"


def complaint_id(number: int) -> str:
    """The Message-ID of complaint ``number`` (as ``complaint()`` writes it)."""
    return f"c{number}@example.net"


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def header_fields(account: ImapAccount, folder: str, *names: str) -> dict[int, EmailMessage]:
    """The named header fields of every message in ``folder``, by UID."""
    fields = f"BODY.PEEK[HEADER.FIELDS ({' '.join(names).upper()})]"
    fetched = {}
    with account.client() as client:
        client.select_folder(folder, readonly=True)
        uids = client.search("ALL")
        for first in range(0, len(uids), FETCH_CHUNK):
            fetched.update(client.fetch(uids[first : first + FETCH_CHUNK], [fields]))
    return {
        uid: parse(next(v for k, v in item.items() if k.startswith(b"BODY[")))
        for uid, item in fetched.items()
    }


def ids(messages: Iterable[EmailMessage], header: str = "Message-ID") -> Counter[str]:
    """How often each id appears in ``header`` of ``messages`` (without the brackets)."""
    return Counter(str(m[header]).strip().strip("<>") for m in messages if m[header])


def agents_reply(account: ImapAccount, mail_round: RoundMail, when: datetime) -> None:
    """What the agents' mail clients put in Sent: a reply to each complaint the round's
    agents answer, from its draft without our internal headers, half under a new id."""
    replied = {complaint_id(n): n for n in mail_round.replied}
    drafts = {
        uid: replied[answered]
        for uid, message in header_fields(account, "Drafts", "In-Reply-To").items()
        if (answered := str(message["In-Reply-To"]).strip("<>")) in replied
    }
    uids = sorted(drafts)
    replies = []
    with account.client() as client:
        client.select_folder("Drafts", readonly=True)
        for first in range(0, len(uids), FETCH_CHUNK):
            chunk = uids[first : first + FETCH_CHUNK]
            for uid, item in client.fetch(chunk, ["BODY.PEEK[]"]).items():
                replies.append(agent_reply(parse(item[b"BODY[]"]), drafts[uid], when))
    assert len(replies) == len(mail_round.replied)
    account.append_many("Sent", replies)


def agent_reply(draft: EmailMessage, number: int, when: datetime) -> bytes:
    """The copy in Sent of the draft to complaint ``number`` as sent at ``when``: without
    our internal headers, and for odd numbers under the mail client's own Message-ID."""
    for header in ("X-Amends-Lint", "X-Amends-Note", "X-Amends-Owner", "X-Amends-Ticket"):
        del draft[header]
    if number % 2:
        del draft["Message-ID"]
        draft["Message-ID"] = f"<reply{number}@client.example.com>"
    del draft["Date"]
    draft["Date"] = format_datetime(when)
    return bytes(draft)


def differences(found: Counter[str], expected: Counter[str], crashes: Crashes) -> str:
    """What is doubled, missing or unexpected (a few of each), and the crash schedule."""
    doubled = sorted(k for k, n in found.items() if n > expected[k] > 0)
    missing = sorted((expected - found).keys())
    unexpected = sorted(k for k in found if not expected[k])
    return (
        f"doubled {len(doubled)} {doubled[:10]}, missing {len(missing)} {missing[:10]}, "
        f"unexpected {len(unexpected)} {unexpected[:10]}\n{crashes}"
    )


def server_closed_all(port: int) -> bool:
    """Whether the server on loopback ``port`` has closed every connection to it: only then
    has it done all it will with what a killed client sent."""
    with open("/proc/net/tcp") as table:
        rows = [line.split() for line in table.readlines()[1:]]
    return not any(row[1].endswith(f":{port:04X}") and row[3] in OPEN for row in rows)


# --- where a kill landed ---------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """How far the work had come (the database of a dead worker), or how far it must."""

    stored: int
    drafted: int
    replies: int
    followups: int

    @classmethod
    def of(cls, engine: Engine) -> Progress:
        return cls(
            stored=count(engine, Message, Message.direction == MessageDirection.INBOUND),
            drafted=count(
                engine,
                Draft,
                col(Draft.state).in_([DraftState.APPENDED, DraftState.SENT_DETECTED]),
            ),
            replies=count(engine, Reply, Reply.source != ReplySource.FOLLOWUP),
            followups=count(
                engine,
                OutboxItem,
                OutboxItem.kind == OutboxKind.FOLLOWUP,
                OutboxItem.state == OutboxState.SENT,
            ),
        )

    @classmethod
    def goal(cls, rounds: int) -> Progress:
        """Where ``rounds`` rounds end."""
        return cls(
            stored=rounds * (MESSAGES - NO_SENDER),
            drafted=rounds * COMPLAINTS,
            replies=sum(len(RoundMail(r).replied) for r in range(rounds)),
            followups=sum(len(RoundMail(r).replied) for r in range(rounds)),
        )

    def stage(self, goal: Progress) -> str:
        """The first stage not done yet: the one a kill interrupted."""
        if self.stored < goal.stored:
            return "sync and store"
        if self.drafted < goal.drafted:
            return "drafts"
        if self.replies < goal.replies:
            return "replies in Sent"
        return "follow-up sending" if self.followups < goal.followups else "idle"


@dataclass(frozen=True)
class Kill:
    after_s: float
    since: str  # "start" of the process, or "work" (the worker took the mailbox)
    stage: str

    def __str__(self) -> str:
        return f"{self.after_s:.2f} s after {self.since}: {self.stage}"


@dataclass
class Crashes:
    """Lives of ``amends run`` killed at random, and what the kills caught in flight."""

    rig: Rig
    config: Config
    seed: int
    rng: random.Random = field(init=False)
    kills: list[Kill] = field(default_factory=list)
    delivered: Counter[str] = field(default_factory=Counter)  # Message-IDs put in INBOX
    # The clock of the follow-up lives (AMENDS_NOW): only ever forward.
    now: datetime = EPOCH
    # Follow-ups the SMTP server had taken but Sent had no copy of when a kill came: each
    # such catch allows one more sending.
    in_flight: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def __str__(self) -> str:
        lines = [f"seed {self.seed} (AMENDS_CRASH_SEED={self.seed} replays the schedule)"]
        lines += [f"  kill {n}: {kill}" for n, kill in enumerate(self.kills, 1)]
        stages = Counter(kill.stage for kill in self.kills)
        lines.append("kills per stage: " + ", ".join(f"{s} {n}" for s, n in stages.items()))
        lines.append(f"follow-ups caught sent but not filed: {sum(self.in_flight.values())}")
        return "\n".join(lines)

    def inbox(self, mail_round: RoundMail, lives: int) -> int:
        """The round's mail arrives; the worker is killed while it works it (at most
        ``lives`` times, fewer when it is done sooner), then finishes. Returns the kills."""
        engine = self.rig.engine
        raws = mail_round.content()
        self.rig.account.append_many("INBOX", raws)
        self.delivered += ids(map(parse, raws))
        goal = Progress.goal(mail_round.index + 1)
        inbox_done = Progress(goal.stored, goal.drafted, 0, 0)
        kills = 0
        while kills < lives and Progress.of(engine).stage(inbox_done) != "idle":
            self.life(inbox_done)
            kills += 1
        run_once(self.config)
        return kills

    def followups(self, mail_round: RoundMail, lives: int) -> None:
        """The agents reply; days later the worker is killed ``lives`` times while it finds the
        replies and sends the follow-ups, then finishes."""
        replied_at = datetime.now(UTC).replace(microsecond=0)
        agents_reply(self.rig.account, mail_round, replied_at)
        self.now = max(self.now, replied_at + DAYS_LATER)
        goal = Progress.goal(mail_round.index + 1)
        for _ in range(lives):
            self.now += STEP
            self.life(goal, AMENDS_NOW=self.now.isoformat())
        for _ in range(3):  # one pass sends up to 1,000
            self.now += STEP
            run_once(self.config, AMENDS_NOW=self.now.isoformat())
            if not has_due(self.rig.engine, self.now):
                break

    def life(self, goal: Progress, **env: str) -> None:
        """One run of the daemon, killed at a random moment."""
        starting = self.rng.random() < STARTING_SHARE
        delay = self.rng.uniform(*(STARTING_S if starting else WORKING_S))
        received = ids(m.message for m in self.rig.smtp.messages)
        with daemon(self.config, **env) as worker:
            if not starting:
                eventually(lambda: took_the_mailbox(worker), "the worker at work")
            try:
                code = worker.process.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                worker.kill()
            else:
                raise AssertionError(f"amends run exited by itself ({code})")
            working = TOOK_THE_MAILBOX in worker.log.read_text()
        for port in (self.rig.smtp.port, self.rig.account.port):
            eventually(partial(server_closed_all, port), f"the server on port {port} done")
        stage = Progress.of(self.rig.engine).stage(goal) if working else "starting"
        self.kills.append(Kill(delay, "start" if starting else "work", stage))
        print(f"kill {len(self.kills)}: {self.kills[-1]}")
        self.note_in_flight(received)

    def note_in_flight(self, before: Counter[str]) -> None:
        """Count the rows the dead worker was sending whose message the server received in
        this life but whose copy is not in Sent: the next worker cannot tell they went out."""
        with Session(self.rig.engine) as session:
            sending = session.exec(
                select(OutboxItem.message_id).where(OutboxItem.state == OutboxState.SENDING)
            ).all()
        if not sending:
            return
        received = ids(m.message for m in self.rig.smtp.messages) - before
        filed = ids(header_fields(self.rig.account, "Sent", "Message-ID").values())
        for message_id in sending:
            if message_id and received[message_id] and not filed[message_id]:
                self.in_flight[message_id] += 1


def took_the_mailbox(worker: Daemon) -> bool:
    """Whether the worker began its work (after loading the model and the templates)."""
    if not worker.running():
        raise AssertionError(f"amends run exited by itself:\n{worker.log.read_text()}")
    return TOOK_THE_MAILBOX in worker.log.read_text()


def crash_config(setup: Rig) -> Config:
    """The e2e tests' worker, with the backlog in slices of 200 and batches of 50 (many
    commits to be killed between); without worker processes, which take seconds to start
    here and would leave most lives ending in the start-up; and without a send rate limit,
    since the clock of a life stands still and a minute's quota would never refill."""
    config = worker_config(setup.make, setup.smtp)
    assert config.source is not None
    text = (
        config.source.read_text()
        .replace("poll_interval_s = 1", "poll_interval_s = 1\nbatch_size = 50")
        .replace("[worker]", "[worker]\npass_messages = 200\nprocesses = 0")
        .replace("per_minute = 1000", "per_minute = 100000")
    )
    config.source.write_text(text)
    return load_config(config.source)


def run_once(config: Config, **env: str) -> None:
    """``amends run --once``, unkilled, to the end of the work in hand."""
    assert config.source is not None
    done = subprocess.run(
        [sys.executable, "-m", "amends", "run", "--once"],
        cwd=config.source.parent,
        env=environment(config, **env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# --- the test --------------------------------------------------------------------------------


@pytest.mark.timeout(120 + 20 * KILLS)
def test_random_sigkills_lose_and_double_nothing(rig: Rig) -> None:  # noqa: F811
    crashes = Crashes(rig, crash_config(rig), SEED)
    print(f"seed {SEED}, {KILLS} kills")
    rounds = -(-KILLS // KILLS_PER_ROUND)
    for index in range(rounds):
        started, mail_round = time.monotonic(), RoundMail(index)
        kills = min(KILLS - index * KILLS_PER_ROUND, KILLS_PER_ROUND)
        kills -= crashes.inbox(mail_round, kills // 2)
        assert_each_message_stored_once(crashes, index + 1)
        assert_each_complaint_one_draft(crashes, index + 1)
        crashes.followups(mail_round, kills)
        assert_each_due_followup_sent_once(crashes, index + 1)
        print(f"round {index + 1} of {rounds}: {time.monotonic() - started:.0f} s")
    print(crashes)
    assert len(crashes.kills) == KILLS


def assert_each_message_stored_once(crashes: Crashes, rounds: int) -> None:
    with Session(crashes.rig.engine) as session:
        inbound = select(Message.message_id).where(Message.direction == MessageDirection.INBOUND)
        stored = Counter(str(message_id) for message_id in session.exec(inbound))
        quarantined = session.exec(select(QuarantineEntry).order_by(col(QuarantineEntry.uid)))
        held = [(q.uid, q.error_class, q.resolved) for q in quarantined]
    expected = crashes.delivered.copy()
    for index in range(rounds):
        del expected[RoundMail(index).no_sender_id]
    assert stored == expected, differences(stored, expected, crashes)
    # Only each round's message without a sender, once however often it was read.
    assert held == [((r + 1) * MESSAGES, "NoSender", False) for r in range(rounds)], crashes


def assert_each_complaint_one_draft(crashes: Crashes, rounds: int) -> None:
    complaints = Counter(complaint_id(n) for r in range(rounds) for n in RoundMail(r).numbers)
    on_server = header_fields(crashes.rig.account, "Drafts", "Message-ID", "In-Reply-To").values()
    answered = ids(on_server, "In-Reply-To")
    assert answered == complaints, "Drafts: " + differences(answered, complaints, crashes)
    with Session(crashes.rig.engine) as session:
        drafts = session.exec(
            select(Draft.message_id, Message.message_id, Draft.state).join(
                Message, col(Message.id) == col(Draft.inbound_message_id)
            )
        ).all()
    recorded = Counter(str(inbound) for _, inbound, _ in drafts)
    assert recorded == complaints, "database: " + differences(recorded, complaints, crashes)
    assert Counter(draft for draft, _, _ in drafts) == ids(on_server), "the same drafts"
    assert {state for *_, state in drafts} <= {DraftState.APPENDED, DraftState.SENT_DETECTED}


def assert_each_due_followup_sent_once(crashes: Crashes, rounds: int) -> None:
    replied = [n for r in range(rounds) for n in RoundMail(r).replied]
    with Session(crashes.rig.engine) as session:
        agents = session.exec(
            select(Message.message_id)
            .join(Reply, col(Reply.message_id) == col(Message.id))
            .where(Reply.source != ReplySource.FOLLOWUP)
        ).all()
        rows = session.exec(
            select(Customer.address, OutboxItem)
            .join(Ticket, col(Ticket.id) == col(OutboxItem.ticket_id))
            .join(Customer, col(Customer.id) == col(Ticket.customer_id))
            .where(OutboxItem.kind == OutboxKind.FOLLOWUP)
        ).all()
    assert len(agents) == len(set(agents)) == len(replied), "each agent's reply recorded once"
    followup = {customer: row.message_id for customer, row in rows}
    assert sorted(followup) == sorted(map(address, replied)), "one per replied complaint"
    assert {row.state for _, row in rows} == {OutboxState.SENT}, crashes

    expected = Counter({message_id: 1 for message_id in followup.values() if message_id})
    expected.update(crashes.in_flight)
    received = ids(m.message for m in crashes.rig.smtp.messages)
    assert received == expected, "SMTP: " + differences(received, expected, crashes)
    recipient = {message_id: customer for customer, message_id in followup.items()}
    assert all(
        m.rcpt_tos == (recipient[str(m.message["Message-ID"]).strip("<>")],)
        for m in crashes.rig.smtp.messages
    )
    filed = ids(header_fields(crashes.rig.account, "Sent", "Message-ID").values())
    assert all(filed[message_id] == 1 for message_id in expected), "one copy each in Sent"
