"""Parsing in worker processes: the same results as in-process, and nothing lost when one dies;
worker processes shared between syncs, replaced when one dies."""

from __future__ import annotations

import multiprocessing
import os
import signal
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from inbox.fetch import FetchedMessage
from inbox.parallel import LOST, Preparer, WorkerProcesses
from inbox.store import Prepared
from models.mail import Message, QuarantineEntry
from tests.fixtures.imap import ImapAccount
from tests.integration.test_sync import count, mail, sync


def fetched(raws: list[bytes]) -> list[FetchedMessage]:
    when = datetime(2026, 11, 2, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    return [
        FetchedMessage(uid=i + 1, size=len(raw), internal_date=when, flags=(), raw=raw)
        for i, raw in enumerate(raws)
    ]


def comparable(prepared: list[Prepared]) -> list[tuple[object, ...]]:
    return [(p.fetched.uid, p.parsed, p.kind, p.error_class) for p in prepared]


def test_workers_prepare_what_the_process_itself_would(corpus_messages: list[Path]) -> None:
    batch = fetched([path.read_bytes() for path in corpus_messages[:120]])
    with Preparer(0) as here, Preparer(2, own_addresses={"support@example.com"}) as workers:
        local = here.submit(batch).result()
        remote = workers.submit(batch).result()
        assert workers.workers == 2, "no worker died"
    here_too = Preparer(0, own_addresses={"support@example.com"}).prepare_here(batch)
    assert comparable(remote) == comparable(here_too)
    assert [p.fetched.uid for p in local] == [f.uid for f in batch]
    assert all(p.fetched.raw == b"" for p in remote), "raw bytes stay in the worker"


def test_killed_workers_lose_nothing() -> None:
    raws = [mail(f"c{i}@example.net", f"order {i}") for i in range(200)]
    with Preparer(2) as preparer:
        first = preparer.submit(fetched(raws[:100])).result()
        assert len(first) == 100
        workers = [p for p in multiprocessing.active_children() if p.pid]
        assert workers, "the pool's processes are running"
        for process in workers:
            os.kill(process.pid, signal.SIGKILL)  # type: ignore[arg-type]
            process.join(10)
        second = preparer.submit(fetched(raws[100:])).result()
        assert preparer.workers == 0, "the rest of the sync parses in-process"
        third = preparer.submit(fetched(raws[:3])).result()
    assert [p.fetched.uid for p in second] == list(range(1, 101))
    assert all(p.parsed is not None and p.error is None for p in second)
    assert len(third) == 3


def test_sync_with_parse_workers_stores_and_threads_everything_once(
    imap_account: ImapAccount, engine: Engine
) -> None:
    raws = [mail(f"c{i}@example.net", f"order {i}", message_id=f"<m{i}@x>") for i in range(40)]
    # Replies whose originals were stored by earlier batches.
    raws += [
        mail(f"c{i}@example.net", f"Re: order {i}", message_id=f"<r{i}@x>", in_reply_to=f"<m{i}@x>")
        for i in range(0, 40, 4)
    ]
    imap_account.append_many("INBOX", raws)

    _, report = sync(imap_account, engine, batch_size=7, parse_workers=2, parallel_from=1)

    outcome = report.outcome  # type: ignore[attr-defined]
    assert (outcome.stored, outcome.threaded, outcome.tickets_created) == (50, 10, 40)
    assert count(engine, QuarantineEntry) == 0
    with Session(engine) as session:
        rows = session.exec(
            select(Message.uid, Message.ticket_id, Message.internal_date).order_by(col(Message.uid))
        ).all()
    assert [uid for uid, _, _ in rows] == list(range(1, 51))
    tickets = {uid: ticket for uid, ticket, _ in rows}
    assert all(tickets[41 + n] == tickets[1 + 4 * n] for n in range(10))
    assert all(when is not None and when.tzinfo is not None for _, _, when in rows)
    assert rows[0][2] is not None and rows[0][2].utcoffset() == UTC.utcoffset(None)


def _pid_of_a_worker(processes: WorkerProcesses) -> int | None:
    """A worker's process id, or None when the work could not be done there (reported)."""
    executor = processes.executor()
    assert executor is not None
    try:
        return executor.submit(os.getpid).result(timeout=60)
    except LOST:
        processes.broken(executor)
        return None


def test_shared_workers_are_replaced_while_restarts_last() -> None:
    with WorkerProcesses(1, "testing", restarts=1) as processes:
        first = _pid_of_a_worker(processes)
        assert first is not None and first != os.getpid()
        stale = processes.executor()
        os.kill(first, signal.SIGKILL)
        while (again := _pid_of_a_worker(processes)) is None:
            pass  # the death is noticed by the pool's own thread, a moment later
        assert again != first and processes.workers == 1, "a new worker took over"
        processes.broken(stale)  # late news of the old pool: the new one stays
        assert _pid_of_a_worker(processes) == again
        os.kill(again, signal.SIGKILL)
        while _pid_of_a_worker(processes) is not None:
            pass
        assert processes.workers == 0 and processes.executor() is None, "no restarts left"


def test_a_sync_uses_shared_workers_and_leaves_them_running(
    imap_account: ImapAccount, engine: Engine
) -> None:
    imap_account.append_many("INBOX", [mail(f"c{i}@example.net", f"order {i}") for i in range(30)])
    with WorkerProcesses(2, "testing") as processes:
        before = processes.executor()
        _, report = sync(imap_account, engine, batch_size=7, parallel_from=1, processes=processes)
        assert report.outcome.stored == 30  # type: ignore[attr-defined]
        assert processes.executor() is before, "the sync did not stop them"
        children = {p.pid for p in multiprocessing.active_children()}
        assert children, "they are running"
        # parse_workers = 0 (a mailbox's setting) still parses in-process.
        imap_account.append_many("INBOX", [mail("d@example.net", "one more")])
        _, report = sync(imap_account, engine, parse_workers=0, processes=processes)
        assert report.outcome.stored == 1  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError):
        before.submit(os.getpid)  # closed with the context
    assert processes.executor() is None, "closed: no new workers"
