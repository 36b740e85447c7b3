"""``amends run`` as an operator runs it: a separate process against Dovecot, the SMTP fixture
and the database, stopped with signals, killed, and watched with ``amends status``.

The story's dates are in the past (see ``tests.integration.test_followups``), so with the real
clock a follow-up scheduled from an agent's reply is due at once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from amends.config import Config, load_config
from models.mail import Message
from models.operations import Alert, WorkerHeartbeat
from models.outbox import Draft, OutboxItem, OutboxState
from models.tickets import Ticket, TicketStatus
from tests.e2e.conftest import Amends
from tests.fixtures.imap import DovecotServer, ImapAccount, free_port
from tests.fixtures.smtp import SmtpServer
from tests.integration.test_drafts import ConfigMaker, make_config, model  # noqa: F401
from tests.integration.test_followups import (
    COMPLAINED_AT,
    CUSTOMER,
    DUE,
    agent_sends,
    complaint,
    customer_answers,
    smtp_toml,
    ticket_of,
)

ROOT = Path(__file__).resolve().parents[2]
WORKER = "[worker]\ngrace_s = 20\ntakeover_check_s = 0.5\n"


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


@dataclass
class Rig:
    """What a test drives: the configuration maker, the database, the mailbox, the SMTP
    fixture and the ``amends`` command (a model is active)."""

    make: ConfigMaker
    engine: Engine
    account: ImapAccount
    smtp: SmtpServer
    amends: Amends


@pytest.fixture
def rig(
    make_config: ConfigMaker,  # noqa: F811
    engine: Engine,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    amends: Amends,
    model: None,  # noqa: F811
) -> Rig:
    return Rig(make_config, engine, imap_account, smtp_server, amends)


def worker_config(make: ConfigMaker, smtp: SmtpServer, extra: str = "") -> Config:
    """The test mailbox polling its Sent folder every second, with SMTP and ``extra``."""
    config = make(smtp_toml(smtp.port, WORKER + extra))
    assert config.source is not None
    text = config.source.read_text().replace(
        'display_name = "Example Shop"', 'display_name = "Example Shop"\npoll_interval_s = 1'
    )
    config.source.write_text(text)
    return load_config(config.source)


def environment(config: Config, **extra: str) -> dict[str, str]:
    """The worker's environment: this one without Amends' own settings (but with the test
    database's password, AMENDS_TEST_DB_PASSWORD), pointed at ``config``, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AMENDS_") or k.startswith("AMENDS_TEST_")
    }
    env["AMENDS_CONFIG"] = str(config.source)
    env.update(extra)
    return env


@dataclass
class Daemon:
    """A running ``amends run``; its log goes to a file (a pipe nobody reads could fill up and
    stall it)."""

    process: subprocess.Popen[str]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, str]:
        """Send ``signum`` and wait for the exit: its code and everything it logged."""
        self.process.send_signal(signum)
        return self.process.wait(timeout=60), self.log.read_text()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@contextmanager
def daemon(config: Config, *args: str, **env: str) -> Iterator[Daemon]:
    """``amends run`` in the background; killed at the end if the test left it running, and
    its log printed (pytest shows it when the test failed)."""
    assert config.source is not None
    log = config.source.parent / f"worker-{time.monotonic_ns()}.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "amends", *args, "run"],
            cwd=config.source.parent,
            env=environment(config, **env),
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )
    running = Daemon(process, log)
    try:
        yield running
    finally:
        if running.running():
            running.kill()
        print(f"--- amends run (pid {process.pid}) ---\n{log.read_text()}")


def eventually(check: Callable[[], object], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s:.0f} s: {what}")
        time.sleep(0.2)


def count(engine: Engine, table: type, *where: object) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(table).where(*where)).one())


def drafts_in(account: ImapAccount) -> int:
    with account.client() as client:
        return int(client.select_folder("Drafts", readonly=True)[b"EXISTS"])


# --- the whole flow -------------------------------------------------------------------------


def test_the_whole_flow_under_one_daemon(rig: Rig) -> None:
    port = free_port()
    config = worker_config(rig.make, rig.smtp, f"\n[metrics]\nport = {port}\n")
    with daemon(config, "--log-format", "json") as worker:
        # Mail in → a threaded draft in Drafts, woken by IDLE rather than a poll.
        rig.account.append("INBOX", complaint(), msg_time=COMPLAINED_AT)
        eventually(lambda: drafts_in(rig.account) == 1, "the draft in Drafts")
        # Recorded just after the APPEND, in the commit that follows it.
        eventually(lambda: ticket_of(rig.engine).status is TicketStatus.DRAFTED, "drafted")
        assert ticket_of(rig.engine).owner is not None

        # The agent sends it; the follow-up (due in the past) goes out once.
        agent_sends(rig.account)
        eventually(lambda: len(rig.smtp.messages) == 1, "the follow-up sent")
        [followup] = rig.smtp.messages
        assert followup.rcpt_tos == (CUSTOMER,)
        assert followup.message["Auto-Submitted"] == "auto-generated"

        # The customer answers 5: the ticket is closed as satisfied with its rating.
        def followup_row() -> OutboxItem:
            with Session(rig.engine) as session:
                return session.exec(select(OutboxItem)).one()

        # Marked sent in the commit right after the server's reply.
        eventually(lambda: followup_row().state is OutboxState.SENT, "the row marked sent")
        item = followup_row()
        assert item.message_id is not None
        customer_answers(rig.account, "5, it works perfectly now.", item.message_id, DUE)
        eventually(
            lambda: ticket_of(rig.engine).status is TicketStatus.SATISFIED, "the ticket satisfied"
        )
        assert ticket_of(rig.engine).rating == 5

        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
        text = metrics.decode()
        assert 'amends_items_total{mailbox="support",outcome="stored",stage="sync"} 2.0' in text
        assert 'amends_items_total{mailbox="support",outcome="sent",stage="outbox"} 1.0' in text
        assert 'amends_stage_seconds_count{mailbox="support",stage="drafts"}' in text

        code, err = worker.stop()
    assert code == 0, err
    assert len(rig.smtp.messages) == 1 and drafts_in(rig.account) == 1
    # Each stage's line says what its steps took, as numbers a log pipeline can sum.
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    steps = {line["stage"]: line["step_seconds"] for line in lines if "step_seconds" in line}
    assert set(steps["sync"]) == {"fetch", "parse", "store"}
    assert set(steps["drafts"]) == {"render", "append", "keywords"}
    assert all(isinstance(s, float) for s in steps["drafts"].values())
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert lines and len(lines) == len(err.splitlines()), "every log line is one JSON object"
    stages = {line.get("stage") for line in lines if "seconds" in line}
    assert {"sync", "classify", "assign", "drafts", "followups", "outbox"} <= stages
    assert any("finishing the batch in hand" in line["message"] for line in lines)
    with Session(rig.engine) as session:
        heartbeat = session.exec(select(WorkerHeartbeat)).one()
    assert heartbeat.stopped_at is not None and heartbeat.last_sync_at is not None
    assert heartbeat.last_error is None


# --- stopping and crashing mid-batch --------------------------------------------------------


BACKLOG = 120


def backlog_config(make: ConfigMaker, smtp: SmtpServer) -> Config:
    config = worker_config(make, smtp)
    assert config.source is not None
    text = (
        config.source.read_text()
        .replace("poll_interval_s = 1", "poll_interval_s = 1\nbatch_size = 10\nparse_workers = 0")
        .replace("[worker]", "[worker]\npass_messages = 20")
    )
    config.source.write_text(text)
    return load_config(config.source)


def complaints(account: ImapAccount, n: int = BACKLOG) -> None:
    account.append_many(
        "INBOX", [complaint(i, sender=f"customer{i}@example.net") for i in range(n)]
    )


def assert_each_once(engine: Engine, account: ImapAccount, n: int = BACKLOG) -> None:
    """Every message stored once, every complaint one draft, in the database and in Drafts."""
    assert count(engine, Message) == n
    assert count(engine, Ticket) == n
    with Session(engine) as session:
        per_ticket = session.exec(
            select(Draft.ticket_id, func.count()).group_by(col(Draft.ticket_id))
        ).all()
    assert len(per_ticket) == n and all(c == 1 for _, c in per_ticket)
    with account.client() as client:
        client.select_folder("Drafts", readonly=True)
        fetched = client.fetch(client.search(), ["BODY.PEEK[HEADER.FIELDS (X-AMENDS-TICKET)]"])
    tickets = [next(iter(v.values())) for v in fetched.values() if isinstance(v, dict)]
    assert len(tickets) == n and len(set(tickets)) == n, "one draft per complaint in Drafts"


def test_sigterm_mid_batch_finishes_it_and_exits_0(rig: Rig) -> None:
    config = backlog_config(rig.make, rig.smtp)
    complaints(rig.account)
    with daemon(config) as worker:
        eventually(lambda: count(rig.engine, Message) > 0, "the first batch stored")
        code, err = worker.stop()
    assert code == 0, err
    assert "Traceback" not in err
    stored = count(rig.engine, Message)
    assert 0 < stored < BACKLOG, "stopped mid-way (a slower machine would have finished)"
    assert stored % 10 == 0, "whole batches only"

    finish = rig.amends("run", "--once", env=environment(config))
    assert finish.returncode == 0, finish.stderr
    assert "support: done" in finish.stdout
    assert_each_once(rig.engine, rig.account)


def test_sigkill_mid_batch_then_restart_loses_and_doubles_nothing(rig: Rig) -> None:
    config = backlog_config(rig.make, rig.smtp)
    complaints(rig.account)
    with daemon(config) as worker:
        # Slices of 20 flow through every stage: drafts appear while the backlog is synced.
        eventually(lambda: drafts_in(rig.account) > 0, "drafts being appended")
        worker.kill()
    assert count(rig.engine, Message) < BACKLOG, "the first drafts came before the last sync"

    finish = rig.amends("run", "--once", env=environment(config))
    assert finish.returncode == 0, finish.stderr
    assert_each_once(rig.engine, rig.account)


def test_a_second_worker_on_one_sqlite_database_refuses_to_start(rig: Rig) -> None:
    config = worker_config(rig.make, rig.smtp)
    with daemon(config) as first:
        lock = Path(f"{config.database.url.removeprefix('sqlite:///')}.worker-lock")
        eventually(lambda: lock.exists() and lock.read_text().strip(), "the first one started")
        second = rig.amends("run", "--once", env=environment(config))
        assert second.returncode == 1
        assert "another amends worker" in second.stderr and "PostgreSQL" in second.stderr
        assert "Traceback" not in second.stderr
        assert first.running(), "the first one goes on"
        code, err = first.stop()
    assert code == 0, err


# --- amends status -----------------------------------------------------------------------------


def test_status_exit_codes_follow_the_health_of_each_mailbox(rig: Rig) -> None:
    config = worker_config(
        rig.make, rig.smtp, '\n[alerts]\nto = ["admin@example.com"]\nalert_after_s = 600\n'
    )

    def status(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return rig.amends("status", *args, env=environment(config, **env))

    never = status()
    assert never.returncode == 1 and "never synced" in never.stdout

    assert rig.amends("run", "--once", env=environment(config)).returncode == 0
    healthy = status()
    assert healthy.returncode == 0, healthy.stdout
    [row] = [line.split("\t") for line in healthy.stdout.splitlines() if "\t" in line]
    assert row[0] == "support" and row[-1] == "ok"
    assert "model: " in healthy.stdout and "none active" not in healthy.stdout

    # Seen from an hour later, the last sync is too old.
    with Session(rig.engine) as session:
        synced = session.exec(select(WorkerHeartbeat)).one().last_sync_at
    assert synced is not None
    later = (synced + timedelta(hours=1)).isoformat()
    stale = status("--json", AMENDS_NOW=later)
    assert stale.returncode == 1
    report = json.loads(stale.stdout)
    assert report["healthy"] is False
    assert "last synced 60 min ago" in report["mailboxes"][0]["problems"]["stale"]

    # A refused login: the pass fails, status says so, and the admins hear of it (once per
    # problem, however many passes see it: tests/integration/test_health.py).
    failed = rig.amends("run", "--once", env=environment(config, TEST_IMAP_PASSWORD="wrong"))
    assert failed.returncode == 1 and "support:" in failed.stderr
    refused = status()
    assert refused.returncode == 1
    assert "UNHEALTHY support: login refused" in refused.stdout
    alerts = [m for m in rig.smtp.messages if m.rcpt_tos == ("admin@example.com",)]
    assert len(alerts) == 1
    assert "login refused" in alerts[0].message["Subject"]
    assert rig.account.password not in refused.stdout + alerts[0].message.as_string()

    # The login works again: healthy, and the alert is resolved.
    assert rig.amends("run", "--once", env=environment(config)).returncode == 0
    assert status().returncode == 0
    with Session(rig.engine) as session:
        alert = session.exec(select(Alert)).one()
    assert alert.resolved_at is not None and alert.notified_at is not None


def test_status_reports_dead_outbox_rows_and_an_old_schema(rig: Rig) -> None:
    from tests.integration.test_followups import ready_to_send

    config = worker_config(rig.make, rig.smtp)
    assert rig.amends("run", "--once", env=environment(config)).returncode == 0
    ready_to_send(rig.engine, 1, state=OutboxState.DEAD, last_error="550 no such user")
    dead = rig.amends("status", env=environment(config))
    assert dead.returncode == 1
    assert "1 outbox message(s) dead" in dead.stdout
    [row] = [line.split("\t") for line in dead.stdout.splitlines() if "\t" in line]
    assert row[-2:] == ["1", "UNHEALTHY"]

    from models import migrate

    migrate.downgrade(rig.engine, "-1")  # one behind, whatever the newest is
    older = migrate.current_revision(rig.engine)
    behind = rig.amends("status", env=environment(config))
    assert behind.returncode == 1 and "1 migration(s) behind" in behind.stdout
    assert migrate.current_revision(rig.engine) == older, "status changes nothing"


def test_a_failing_mailbox_does_not_hold_up_the_others(
    rig: Rig, dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = dovecot.add_user()
    monkeypatch.setenv("TEST_IMAP_PASSWORD_2", "not the password")
    broken = other.config_toml(
        name="billing", address="billing@example.com", password_env="TEST_IMAP_PASSWORD_2"
    )
    config = worker_config(rig.make, rig.smtp, "\n" + broken)
    rig.account.append("INBOX", complaint(), msg_time=COMPLAINED_AT)

    result = rig.amends("run", "--once", env=environment(config))
    assert result.returncode == 1
    assert "billing: failed" in result.stdout and "support: done" in result.stdout
    assert "billing: IMAP login as" in result.stderr and "was refused" in result.stderr
    assert drafts_in(rig.account) == 1, "the good mailbox was worked all the same"

    # As a daemon it keeps trying the broken one, and a stop asked for is still a clean exit.
    with daemon(config) as worker:
        refused_here = (
            col(WorkerHeartbeat.worker_id).endswith(f":{worker.pid}"),
            WorkerHeartbeat.last_error_kind == "auth",
        )
        eventually(lambda: count(rig.engine, WorkerHeartbeat, *refused_here), "refused again")
        code, err = worker.stop()
    assert code == 0, err


def test_mailboxes_take_turns_when_passes_are_limited(
    rig: Rig, dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`parallel_passes = 1`: three mailboxes' passes run one after the other, never
    interleaved, and each still gets its draft."""
    boxes = ["parallel_passes = 1\n"]
    accounts = [rig.account]
    for number in (2, 3):
        account = dovecot.add_user()
        account.create_folder("Drafts")
        monkeypatch.setenv(f"TEST_IMAP_PASSWORD_{number}", account.password)
        boxes.append(
            account.config_toml(
                name=f"box{number}",
                address=f"box{number}@example.com",
                password_env=f"TEST_IMAP_PASSWORD_{number}",
            )
        )
        accounts.append(account)
    config = worker_config(rig.make, rig.smtp, "\n".join(boxes))
    for account in accounts:
        account.append("INBOX", complaint(), msg_time=COMPLAINED_AT)

    result = rig.amends(
        "--log-format", "json", "--log-level", "debug", "run", "--once", env=environment(config)
    )
    assert result.returncode == 0, result.stderr
    assert [drafts_in(account) for account in accounts] == [1, 1, 1]
    order = [
        line["mailbox"]
        for line in map(json.loads, (t for t in result.stderr.splitlines() if t.startswith("{")))
        if "stage" in line
    ]
    # One block of stage lines per mailbox: a pass ran alone from its first stage to its last.
    blocks = [m for i, m in enumerate(order) if i == 0 or order[i - 1] != m]
    assert sorted(blocks) == ["box2", "box3", "support"], order
