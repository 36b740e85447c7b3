"""Parse batches on the machine's other cores while the main process fetches and stores.

Parsing is most of the CPU an initial sync spends, and it is pure: raw bytes in, a
``Prepared`` out. Worker processes parse one batch while the main process stores the one before
and fetches the next. Storing, and with it the bookmark, stays in the main process and in UID
order, so the exactly-once guarantees do not change.

Small syncs (the daemon's everyday few new messages) are parsed in-process: starting workers
costs about a second. A worker that dies takes nothing with it: its part of the batch is parsed
in-process and the rest of the sync runs without workers.
"""

from __future__ import annotations

import logging
import logging.handlers
import multiprocessing
import multiprocessing.queues
import os
import threading
import time
from collections.abc import Collection, Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from types import TracebackType
from typing import Self

from inbox.fetch import FetchedMessage
from inbox.store import Prepared, prepare

log = logging.getLogger(__name__)

# Pieces per worker and batch: small enough to spread the work, big enough to amortise IPC.
PIECES_PER_WORKER = 4
# How often a worker checks that the process that started it is still alive.
ORPHAN_CHECK_S = 1.0


def default_workers() -> int:
    """Worker processes for parsing: one per core, none on a single-core machine."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cores if cores and cores > 1 else 0


Piece = tuple[list[FetchedMessage], "Future[list[Prepared]]"]


class PendingBatch:
    """A batch being prepared; ``result()`` waits for it and keeps the messages' order."""

    def __init__(
        self,
        preparer: Preparer,
        pieces: list[Piece],
        executor: ProcessPoolExecutor | None = None,
    ) -> None:
        self._preparer, self._pieces, self._executor = preparer, pieces, executor

    def result(self) -> list[Prepared]:
        prepared: list[Prepared] = []
        for fetched, future in self._pieces:
            try:
                prepared.extend(future.result())
            except LOST:
                self._preparer.processes.broken(self._executor)
                prepared.extend(self._preparer.prepare_here(fetched))
        return prepared


class _Closing:
    """``with`` support: leaving the block calls ``close()``."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        raise NotImplementedError


class WorkerProcesses(_Closing):
    """A lazily started pool of spawned worker processes whose log records reach this
    process's handlers and which exit when this process is gone.

    ``executor()`` is None when there are no workers (``workers`` <= 0, or once workers died
    more often than ``restarts`` allows), and the caller then does the work in-process.
    Safe to share between threads. Use as a context manager; leaving it stops the workers.
    """

    def __init__(self, workers: int, purpose: str, *, restarts: int = 0) -> None:
        self.workers, self.purpose, self.restarts = workers, purpose, restarts
        self._executor: ProcessPoolExecutor | None = None
        self._logs: multiprocessing.queues.Queue[logging.LogRecord] | None = None
        self._listener: logging.handlers.QueueListener | None = None
        self._lock = threading.Lock()
        self._closed = False

    def executor(self) -> ProcessPoolExecutor | None:
        with self._lock:
            if self.workers <= 0 or self._closed:
                return None
            if self._executor is None:
                # spawn, not fork: the parent holds database and IMAP connections (and maybe
                # threads) that a forked child must not share.
                context = multiprocessing.get_context("spawn")
                logs: multiprocessing.queues.Queue[logging.LogRecord] = context.Queue()
                root = logging.getLogger()
                self._listener = logging.handlers.QueueListener(
                    logs, *root.handlers, respect_handler_level=True
                )
                self._listener.start()
                self._logs = logs
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=context,
                    initializer=_start_worker,
                    initargs=(logs, root.level, os.getpid()),
                )
                log.debug("%s with %d worker processes", self.purpose, self.workers)
            return self._executor

    def broken(self, executor: ProcessPoolExecutor | None = None) -> None:
        """A worker of ``executor`` (default: the current one) died: new workers start on the
        next call while restarts are left, else the work stays in this process from now on.
        A report about an executor already replaced is ignored."""
        with self._lock:
            if executor is not None and executor is not self._executor:
                return
            if self.workers and self.restarts > 0:
                self.restarts -= 1
                log.warning(
                    "a worker process for %s died; starting new ones (%d more time(s) at most)",
                    self.purpose,
                    self.restarts,
                )
            elif self.workers:
                log.warning(
                    "a worker process for %s died; %s in the main process from now on",
                    self.purpose,
                    self.purpose,
                )
                self.workers = 0
        self._stop_executor(wait=False)

    def close(self) -> None:
        """Stop the workers; work asked for afterwards (a thread still finishing) is done
        in-process rather than starting new ones."""
        with self._lock:
            self._closed = True
        self._stop_executor(wait=True)

    def _stop_executor(self, *, wait: bool) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
            listener, self._listener = self._listener, None
            logs, self._logs = self._logs, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=True)
        if listener is not None:
            listener.stop()
        if logs is not None:
            logs.close()
            logs.join_thread()


# A worker died (BrokenProcessPool), or another thread stopped the pool after one did and
# this work was cancelled: either way it is done in-process.
LOST = (BrokenProcessPool, CancelledError)


class Preparer(_Closing):
    """Prepares batches of fetched messages, in worker processes when there are any: its own
    (``workers``), or ``shared`` ones that outlive it.

    Use as a context manager; leaving it stops its own workers.
    """

    def __init__(
        self,
        workers: int,
        own_addresses: Collection[str] = (),
        *,
        shared: WorkerProcesses | None = None,
    ) -> None:
        self.own_addresses = frozenset(own_addresses)
        self.processes = shared or WorkerProcesses(workers, "parsing")
        self._own = shared is None

    @property
    def workers(self) -> int:
        return self.processes.workers

    def submit(self, fetched: Sequence[FetchedMessage]) -> PendingBatch:
        """Start preparing ``fetched``; the batch's result keeps its order."""
        executor = self.processes.executor()
        if executor is None or len(fetched) < 2:
            done: Future[list[Prepared]] = Future()
            done.set_result(self.prepare_here(fetched))
            return PendingBatch(self, [(list(fetched), done)])
        size = max(1, -(-len(fetched) // (self.workers * PIECES_PER_WORKER)))
        pieces = []
        for start in range(0, len(fetched), size):
            piece = list(fetched[start : start + size])
            try:
                future = executor.submit(_prepare_piece, piece, self.own_addresses)
            except (BrokenProcessPool, RuntimeError):
                self.processes.broken(executor)
                future = Future()
                future.set_result(self.prepare_here(piece))
            pieces.append((piece, future))
        return PendingBatch(self, pieces, executor)

    def prepare_here(self, fetched: Sequence[FetchedMessage]) -> list[Prepared]:
        return [prepare(f, own_addresses=self.own_addresses) for f in fetched]

    def close(self) -> None:
        if self._own:
            self.processes.close()


def _start_worker(
    logs: multiprocessing.queues.Queue[logging.LogRecord], level: int, parent: int
) -> None:
    """In each worker: send log records to the parent; exit when the parent is gone."""
    root = logging.getLogger()
    root.handlers[:] = [logging.handlers.QueueHandler(logs)]
    root.setLevel(level)
    # A parent killed with SIGKILL cannot stop its workers; they notice they were orphaned.
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()


def _exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_S)
    os._exit(0)


def _prepare_piece(fetched: list[FetchedMessage], own_addresses: frozenset[str]) -> list[Prepared]:
    # The raw bytes stay here: the store needs the parse, not the message again.
    return [
        replace(p, fetched=replace(p.fetched, raw=b""))
        for p in (prepare(f, own_addresses=own_addresses) for f in fetched)
    ]
