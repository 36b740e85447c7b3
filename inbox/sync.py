"""Sync one folder: find new UIDs, fetch them in batches, store each batch with its bookmark.

New mail is found by UID range above the stored high-water mark, never by \\Seen or dates. When
the server's UIDVALIDITY changes the folder is scanned again from the start; messages already
stored are recognised by Message-ID and content and only get their new UID recorded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date

from inbox.connection import IMAPClient
from inbox.fetch import DEFAULT_MAX_MESSAGE_BYTES, examine, fetch_batch, new_uids
from inbox.store import BatchOutcome, MessageStore, prepare

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (messages done, messages to do)
STAGES = ("fetch", "parse", "store")


@dataclass(frozen=True)
class SyncOptions:
    batch_size: int = 500
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    since: date | None = None
    own_addresses: Collection[str] = ()


@dataclass
class SyncReport:
    folder: str
    uidvalidity: int = 0
    found: int = 0
    rescanned: bool = False
    seconds: float = 0.0
    outcome: BatchOutcome = field(default_factory=BatchOutcome)
    # Seconds spent per stage: waiting for the server, parsing and classifying, storing.
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
    report.uidvalidity = state.uidvalidity
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
    for start in range(0, len(uids), options.batch_size):
        if stop():
            log.info("%s %s: stopped after %d of %d", store.mailbox, folder, start, len(uids))
            break
        chunk = uids[start : start + options.batch_size]
        mark = time.monotonic()
        fetched = fetch_batch(client, chunk, max_bytes=options.max_message_bytes)
        mark = _tick(report, "fetch", mark)
        batch = [prepare(f, own_addresses=options.own_addresses) for f in fetched]
        mark = _tick(report, "parse", mark)
        final = start + options.batch_size >= len(uids)
        report.outcome.add(
            store.store_batch(
                folder,
                state.uidvalidity,
                batch,
                last_uid=chunk[-1],
                highest_modseq=state.highest_modseq if final else None,
            )
        )
        _tick(report, "store", mark)
        if progress:
            progress(start + len(chunk), len(uids))
    if not uids and stored_validity != state.uidvalidity:
        # Record the folder's UIDVALIDITY even when it is empty, so a later change is noticed.
        store.store_batch(folder, state.uidvalidity, [], last_uid=last_uid)
    report.seconds = time.monotonic() - started
    log.info("%s %s", store.mailbox, report)
    return report


def _tick(report: SyncReport, stage: str, since: float) -> float:
    now = time.monotonic()
    report.stages[stage] += now - since
    return now
