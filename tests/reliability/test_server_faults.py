"""Server faults under ``amends run`` (issue 10, part 2): the IMAP connection cut while drafts
are appended, and PostgreSQL restarted mid-batch. Each time the worker says what happened,
backs off, recovers, and in the end every message is stored once and every complaint has
exactly one draft, in the database and in the Drafts folder.
"""

from __future__ import annotations

import email
import re
from pathlib import Path
from typing import NamedTuple

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from amends.config import Config, load_config
from models.engine import redact_url
from models.mail import Message, QuarantineEntry
from models.outbox import Draft, DraftState
from models.tickets import EventLog
from tests.e2e.test_worker import (
    Rig,
    assert_each_once,
    backlog_config,
    complaints,
    count,
    daemon,
    drafts_in,
    eventually,
    rig,  # noqa: F401 (the fixture)
    worker_config,
)
from tests.fixtures.imap import ImapAccount
from tests.fixtures.postgres_server import PostgresServer, StopMode
from tests.fixtures.proxy import CuttingProxy
from tests.integration.test_drafts import make_config, model  # noqa: F401
from tests.integration.test_followups import complaint


def in_process(config: Config) -> Config:
    """``config`` without the worker's helper processes: the worker starts and stops sooner,
    and the faults here have nothing to do with them."""
    assert config.source is not None
    text = config.source.read_text()
    config.source.write_text(text.replace("[worker]\n", "[worker]\nprocesses = 0\n", 1))
    return load_config(config.source)


def through(config: Config, proxy: CuttingProxy) -> Config:
    """``config`` with its mailbox's IMAP connection going through ``proxy``."""
    assert config.source is not None
    mailbox = config.mailboxes[0].imap
    text = config.source.read_text()
    moved = text.replace(f"port = {mailbox.port}\n", f"port = {proxy.port}\n", 1)
    assert moved != text and mailbox.host == proxy.host
    config.source.write_text(moved)
    return load_config(config.source)


def assert_drafts_match_by_message_id(engine: Engine, account: ImapAccount) -> None:
    """Drafts holds each recorded draft's Message-ID exactly once, at the UID recorded."""
    with Session(engine) as session:
        recorded = {d.message_id: d.appended_uid for d in session.exec(select(Draft))}
    with account.client() as client:
        client.select_folder("Drafts", readonly=True)
        fetched = client.fetch(client.search(), ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    on_server: dict[str, list[int]] = {}
    for uid, data in fetched.items():
        header = email.message_from_bytes(data[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"])
        on_server.setdefault(str(header["Message-ID"]).strip("<>"), []).append(uid)
    doubled = {mid: uids for mid, uids in on_server.items() if len(uids) > 1}
    assert not doubled, f"drafts appended twice: {doubled}"
    assert set(on_server) == set(recorded), "Drafts and the database disagree"
    assert {mid: uids[0] for mid, uids in on_server.items()} == recorded


def appended_events(engine: Engine) -> list[str]:
    with Session(engine) as session:
        rows = session.exec(select(EventLog.detail).where(EventLog.kind == "draft_appended"))
        return [detail or "" for detail in rows]


def lines_saying(log: Path, text: str) -> int:
    return sum(text in line for line in log.read_text().splitlines())


@pytest.fixture
def db_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """SQLite; for a test that has a PostgreSQL server of its own, a database there."""
    if "private_postgres" in request.fixturenames:
        server: PostgresServer = request.getfixturevalue("private_postgres")
        return server.create_database("amends")
    return sqlite_url


# --- the connection cut mid-APPEND ------------------------------------------------------------


class Cut(NamedTuple):
    """Where the connection is cut: after this many bytes of the APPEND command (None: all of
    it, then the server's reply is lost), and whether the server has stored the drafts then."""

    client_bytes: int | None
    stored: bool


FIRST = 25  # complaints drafted together, in one MULTIAPPEND; then one more alone


@pytest.mark.parametrize(
    ("multiappend", "append"),
    [
        pytest.param(Cut(30_000, stored=False), Cut(None, stored=True), id="literals-then-reply"),
        pytest.param(Cut(None, stored=True), Cut(400, stored=False), id="reply-then-literal"),
    ],
)
def test_connection_cut_mid_append_loses_and_doubles_no_draft(
    rig: Rig,  # noqa: F811
    imap_proxy: CuttingProxy,
    multiappend: Cut,
    append: Cut,
) -> None:
    """25 drafts go to Drafts in one MULTIAPPEND, then a 26th alone in an APPEND (imaplib's,
    which waits for the server's "+" before the message); the connection is cut in each."""
    config = through(in_process(worker_config(rig.make, rig.smtp)), imap_proxy)
    complaints(rig.account, FIRST)
    recorded = Draft.state == DraftState.APPENDED
    imap_proxy.cut_in_command(b"APPEND", multiappend.client_bytes)
    with daemon(config) as worker:
        eventually(lambda: count(rig.engine, Draft, recorded) == FIRST, "the first drafts")
        imap_proxy.cut_in_command(b"APPEND", append.client_bytes)
        rig.account.append("INBOX", complaint(FIRST, sender=f"customer{FIRST}@example.net"))
        eventually(lambda: count(rig.engine, Draft, recorded) == FIRST + 1, "the last draft")
        code, log = worker.stop()
    assert code == 0, log
    assert "Traceback" not in log
    assert imap_proxy.cuts == 2
    # Each cut said in one line: what failed, where, and that it is tried again.
    said = [line for line in log.splitlines() if "failed while appending" in line]
    assert len(said) == 2, said
    for line, drafts in zip(said, (FIRST, 1), strict=True):
        assert re.search(
            rf"support: IMAP server 127\.0\.0\.1:{imap_proxy.port} failed while appending "
            rf"{drafts} draft\(s\) to 'Drafts': .+; retrying in \d+\.\d s",
            line,
        ), line

    assert_each_once(rig.engine, rig.account, FIRST + 1)
    assert_drafts_match_by_message_id(rig.engine, rig.account)
    # Where the cuts landed: after the server stored the drafts (found by Message-ID when
    # tried again, and recorded without appending them twice), or before (appended then).
    events = appended_events(rig.engine)
    found = [e for e in events if "already in" in e and "not appended again" in e]
    expected = FIRST * multiappend.stored + append.stored
    assert len(events) == FIRST + 1 and len(found) == expected, events


# --- PostgreSQL restarted mid-batch -----------------------------------------------------------

BACKLOG = 240


@pytest.mark.parametrize("stop", ["fast", "immediate"], ids=["restarted", "crashed"])
def test_postgres_restarted_mid_batch_loses_and_doubles_nothing(
    rig: Rig,  # noqa: F811
    private_postgres: PostgresServer,
    stop: StopMode,
) -> None:
    """The worker on a PostgreSQL server of the test's own, stopped (or crashed) while the
    worker works through a backlog, and started again once the worker has found it gone."""
    config = in_process(backlog_config(rig.make, rig.smtp))
    complaints(rig.account, BACKLOG)
    outage = f"cannot connect to {redact_url(config.database.url)}"
    with daemon(config) as worker:
        eventually(lambda: drafts_in(rig.account) > 0, "drafts being appended")
        assert count(rig.engine, Message) < BACKLOG, "the first drafts came before the last sync"
        private_postgres.stop(stop)
        # Down until the worker has said so, and found it down again when it next tried.
        eventually(lambda: lines_saying(worker.log, outage), "the outage reported")
        reported = lines_saying(worker.log, outage)
        eventually(lambda: lines_saying(worker.log, outage) > reported, "tried again")
        private_postgres.start()
        eventually(lambda: drafts_in(rig.account) >= BACKLOG, "every draft appended", 90)
        # The restart dropped the mailbox's lock with the connection that held it: the
        # worker takes it again, or a second worker could work the mailbox at the same time.
        eventually(
            lambda: private_postgres.advisory_locks("amends") == ["ExclusiveLock", "ShareLock"],
            "the mailbox locked again",
        )
        code, log = worker.stop()
    assert code == 0, log
    assert "Traceback" not in log
    assert outage in log and "is PostgreSQL running on" in log, "what and what to do"
    # One line a pass: once a stage finds the database gone, the pass's other stages are
    # skipped, so after the pass it went away in only the first stage (sync) says so.
    database = redact_url(config.database.url)  # "cannot connect to" it, or "lost the connection"
    failed = [
        line.split(": failed after")[0].split()[-1]
        for line in log.splitlines()
        if ": failed after" in line and database in line
    ]
    assert failed and set(failed[1:]) <= {"sync"}, failed
    assert_each_once(rig.engine, rig.account, BACKLOG)
    assert_drafts_match_by_message_id(rig.engine, rig.account)
    assert count(rig.engine, QuarantineEntry) == 0
