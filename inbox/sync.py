"""Sync one folder: find new UIDs, fetch them in batches, store each batch with its bookmark.

New mail is found by UID range above the stored high-water mark, never by \\Seen or dates. When
the server's UIDVALIDITY changes the folder is scanned again from the start; messages already
stored are recognised by Message-ID and content and only get their new UID recorded.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date

from inbox.connection import IMAPClient
from inbox.fetch import DEFAULT_MAX_MESSAGE_BYTES, examine, fetch_within, new_uids
from inbox.parallel import PendingBatch, Preparer, WorkerProcesses, default_workers
from inbox.store import BatchOutcome, MessageStore
from models.mail import MessageDirection

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (messages done, messages to do)
STAGES = ("fetch", "parse", "store")


@dataclass(frozen=True)
class SyncOptions:
    batch_size: int = 500
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    # A batch also ends once its bodies weigh this much: two batches of messages just below
    # max_message_bytes would otherwise be held at once (500 x 25 MB).
    batch_bytes: int = 64 * 1024 * 1024
    since: date | None = None
    own_addresses: Collection[str] = ()
    # Worker processes that parse while this one fetches and stores (None: one per core), used
    # when at least ``parallel_from`` messages are new; fewer are not worth starting them.
    parse_workers: int | None = None
    parallel_from: int = 1000
    # Worker processes that outlive the sync (the daemon's, shared by its mailboxes, already
    # started): used instead of starting parse_workers of its own, unless that is 0.
    processes: WorkerProcesses | None = None
    # OUTBOUND for a Sent folder: our replies, stored only when they answer a ticket.
    direction: MessageDirection = MessageDirection.INBOUND


@dataclass
class SyncReport:
    folder: str
    uidvalidity: int = 0
    # The folder's UIDNEXT when the sync looked: a different one later means new mail.
    uidnext: int | None = None
    found: int = 0
    rescanned: bool = False
    seconds: float = 0.0
    outcome: BatchOutcome = field(default_factory=BatchOutcome)
    # Seconds spent per stage: waiting for the server, parsing and telling the kind (with
    # parse workers: waiting for them), storing.
    stages: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    def __str__(self) -> str:
        o = self.outcome
        return (
            f"{self.folder}: {self.found} new, {o.stored} stored, {o.tickets_created} new "
            f"ticket(s), {o.threaded} threaded, {o.duplicates} duplicate(s), "
            f"{o.quarantined} quarantined in {self.seconds:.1f} s"
            + (f" ({self.stage_summary()})" if self.found else "")
        )

    def stage_summary(self) -> str:
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.stages.items())


def sync_folder(
    client: IMAPClient,
    store: MessageStore,
    folder: str,
    options: SyncOptions = SyncOptions(),
    progress: Progress | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> SyncReport:
    """Bring ``folder`` up to date in ``store``; safe to interrupt at any point and run again.

    ``stop`` is checked between batches: a stop request finishes the batch in hand first.
    """
    started = time.monotonic()
    report = SyncReport(folder)
    state = examine(client, folder)
    report.uidvalidity, report.uidnext = state.uidvalidity, state.uidnext
    stored_validity, last_uid = store.bookmark(folder)
    if stored_validity is not None and stored_validity != state.uidvalidity:
        log.warning(
            "%s %s: UIDVALIDITY changed from %s to %s; scanning the folder again "
            "(messages already stored are recognised, not doubled)",
            store.mailbox,
            folder,
            stored_validity,
            state.uidvalidity,
        )
        report.rescanned, last_uid = True, 0
    uids = new_uids(client, last_uid, since=options.since)
    report.found = len(uids)
    if progress:
        progress(0, len(uids))
    workers = options.parse_workers if options.parse_workers is not None else default_workers()
    if len(uids) < options.parallel_from:
        workers = 0
    # Batch n is parsed (by the workers) while batch n-1 is stored and batch n+1 fetched; at
    # most two batches are in memory, whatever the size of the folder.
    in_flight: deque[tuple[int, list[int], PendingBatch]] = deque()

    def store_oldest() -> None:
        start, chunk, pending = in_flight.popleft()
        mark = time.monotonic()
        batch = pending.result()
        mark = _tick(report, "parse", mark)
        final = start + len(chunk) >= len(uids)
        report.outcome.add(
            store.store_batch(
                folder,
                state.uidvalidity,
                batch,
                last_uid=chunk[-1],
                highest_modseq=state.highest_modseq if final else None,
                direction=options.direction,
            )
        )
        _tick(report, "store", mark)
        if progress:
            progress(start + len(chunk), len(uids))

    shared = options.processes if workers else None
    with Preparer(workers, options.own_addresses, shared=shared) as preparer:
        start = 0
        while start < len(uids):
            if stop():
                log.info("%s %s: stopped after %d of %d", store.mailbox, folder, start, len(uids))
                break
            mark = time.monotonic()
            fetched, taken = fetch_within(
                client,
                uids[start : start + options.batch_size],
                max_bytes=options.max_message_bytes,
                budget_bytes=options.batch_bytes,
            )
            chunk = uids[start : start + taken]
            mark = _tick(report, "fetch", mark)
            in_flight.append((start, chunk, preparer.submit(fetched)))
            _tick(report, "parse", mark)
            start += taken
            if len(in_flight) > 1:
                store_oldest()
        while in_flight:
            store_oldest()
    if not uids:
        # Nothing new is news too: record when the folder was last checked (and its UIDVALIDITY,
        # so a later change is noticed even for a folder that is empty).
        store.store_batch(folder, state.uidvalidity, [], last_uid=last_uid)
    report.seconds = time.monotonic() - started
    log.debug("%s %s", store.mailbox, report)
    return report


def _tick(report: SyncReport, stage: str, since: float) -> float:
    now = time.monotonic()
    report.stages[stage] += now - since
    return now
