"""The inbox stage under real faults and real mail: a restarted server, a killed sync process,
and every message of the shared corpora."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, func, select

from inbox.backoff import Backoff
from inbox.store import MessageStore
from inbox.sync import SyncOptions
from inbox.watch import MailboxWatcher, WatchSettings
from models.engine import make_engine
from models.mail import Message, MessageKind, QuarantineEntry
from tests.fixtures.imap import DovecotServer, ImapAccount


def customer_mail(i: int, size: int = 2000) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"c{i}@example.net"
    msg["To"] = "support@example.com"
    msg["Subject"] = f"Order {i} is late"
    msg["Message-ID"] = f"<fault-{i}@example.net>"
    msg.set_content(f"Order {i} has not arrived. " + "x" * size)
    return bytes(msg)


def stored_ids(engine: Engine) -> list[str | None]:
    with Session(engine) as session:
        return list(session.exec(select(Message.message_id)).all())


def wait_for(predicate, timeout_s: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_dovecot_crashed_and_restarted_mid_sync(engine: Engine) -> None:
    server = DovecotServer()
    server.start()
    try:
        account = server.add_user()
        account.append_many("INBOX", [customer_mail(i) for i in range(2000)])
        stop = threading.Event()
        watcher = MailboxWatcher(
            lambda refresh: account.endpoint(timeout_s=5.0),
            MessageStore(engine, "support"),
            WatchSettings(folders=["INBOX"], poll_interval_s=0.2, sync=SyncOptions(batch_size=20)),
            stop=stop,
            backoff=Backoff(initial_s=0.2, max_s=1.0),
        )
        runner = threading.Thread(target=watcher.run)
        runner.start()
        try:
            assert wait_for(lambda: len(stored_ids(engine)) >= 40)
            server.crash()
            outage_count = len(stored_ids(engine))
            assert wait_for(lambda: watcher.last_error is not None, 10), "outage reported"
            server.start()
            assert wait_for(lambda: len(stored_ids(engine)) >= 2000, timeout_s=90)
        finally:
            stop.set()
            runner.join(15)
        assert outage_count < 2000, "the server went away mid-sync"
        ids = stored_ids(engine)
        assert len(ids) == 2000 and len(set(ids)) == 2000
    finally:
        server.stop()


def test_sync_process_killed_mid_batch_loses_and_doubles_nothing(
    tmp_path: Path, imap_account: ImapAccount
) -> None:
    imap_account.append_many("INBOX", [customer_mail(i, 2000) for i in range(1200)])
    database = tmp_path / "amends.db"
    config = tmp_path / "amends.toml"
    config.write_text(
        imap_account.config_toml(database_url=f"sqlite:///{database}", mailbox="batch_size = 50")
    )
    env = {**os.environ, "TEST_IMAP_PASSWORD": imap_account.password}
    command = [sys.executable, "-m", "amends", "--config", str(config), "sync", "--once"]
    engine = make_engine(f"sqlite:///{database}")
    rng = random.Random(20261123)

    def stored() -> int:
        with Session(engine) as session:
            try:
                return session.exec(select(func.count()).select_from(Message)).one()
            except OperationalError:  # the first process has not created the tables yet
                return 0

    killed_at: list[int] = []
    try:
        # Kill on progress, not on a timer, so every kill lands mid-sync however fast the
        # machine is: wait until some more messages are committed, then SIGKILL at once.
        while len(killed_at) < 5:
            target = stored() + rng.randint(20, 150)
            process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
            deadline = time.monotonic() + 60
            while process.poll() is None and stored() < target and time.monotonic() < deadline:
                time.sleep(0.02)
            if process.poll() is not None:
                break  # it finished before reaching the target
            process.send_signal(signal.SIGKILL)
            process.wait()
            killed_at.append(stored())
        finished = subprocess.run(command, env=env, capture_output=True, timeout=100)
        assert finished.returncode == 0, finished.stderr.decode()

        assert len(killed_at) >= 3, f"expected several kills mid-sync, got {killed_at}"
        assert all(0 < count < 1200 for count in killed_at), killed_at
        with Session(engine) as session:
            total = session.exec(select(func.count()).select_from(Message)).one()
            distinct = session.exec(select(func.count(func.distinct(Message.uid)))).one()
            quarantined = session.exec(select(func.count()).select_from(QuarantineEntry)).one()
        assert (total, distinct, quarantined) == (1200, 1200, 0)
    finally:
        engine.dispose()


def test_every_corpus_message_is_stored_or_quarantined(
    imap_account: ImapAccount, engine: Engine, corpus_messages: list[Path]
) -> None:
    raws = [(path, path.read_bytes()) for path in corpus_messages]
    appendable = [(path, raw) for path, raw in raws if raw.strip()]  # Dovecot refuses empty mail
    imap_account.append_many("INBOX", [raw for _, raw in appendable])
    watcher = MailboxWatcher(
        lambda refresh: imap_account.endpoint(),
        MessageStore(engine, "support"),
        WatchSettings(folders=["INBOX"], sync=SyncOptions(batch_size=100)),
    )
    (report,) = watcher.run_once()
    outcome = report.outcome
    assert report.found == len(appendable)
    assert outcome.stored + outcome.duplicates + outcome.quarantined == len(appendable)
    with Session(engine) as session:
        rows = session.exec(select(Message.uid, Message.kind)).all()
        quarantined = session.exec(select(QuarantineEntry)).all()
    assert all(entry.reason for entry in quarantined), "every quarantine entry says why"
    kinds = dict(rows)
    with imap_account.client() as client:
        client.select_folder("INBOX", readonly=True)
        uids = sorted(client.search("ALL"))
    by_name = {path.name: uid for (path, _), uid in zip(appendable, uids, strict=True)}
    bounces = [n for n in by_name if n.startswith(("lhost-", "bounce-"))]
    auto_replies = [n for n in by_name if n.startswith("rfc3834-")]
    stored_bounces = [n for n in bounces if by_name[n] in kinds]
    assert stored_bounces, "the corpora hold bounces"
    # One delivery-report file is really a complaint (an Amazon SES complaint notification):
    # machine mail either way, and never answered.
    machine = {MessageKind.BOUNCE, MessageKind.FEEDBACK}
    wrong = [(n, kinds[by_name[n]]) for n in stored_bounces if kinds[by_name[n]] not in machine]
    assert wrong == []
    as_bounce = sum(kinds[by_name[n]] is MessageKind.BOUNCE for n in stored_bounces)
    assert as_bounce >= 0.99 * len(stored_bounces)
    stored_auto = [n for n in auto_replies if by_name[n] in kinds]
    assert stored_auto and all(kinds[by_name[n]] is MessageKind.AUTO_REPLY for n in stored_auto)
