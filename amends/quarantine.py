"""Messages that could not be stored: list them, show why, and try them again."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from amends.config.schema import Config
from amends.errors import AmendsError
from amends.mailboxes import build_watcher, find_mailbox
from inbox.connection import logout
from inbox.fetch import examine, fetch_batch
from inbox.store import prepare
from models.mail import QuarantineEntry


def list_entries(engine: Engine, *, include_resolved: bool = False) -> list[QuarantineEntry]:
    query = select(QuarantineEntry).order_by(col(QuarantineEntry.last_seen_at).desc())
    if not include_resolved:
        query = query.where(QuarantineEntry.resolved == False)  # noqa: E712 (SQL, not Python)
    with Session(engine) as session:
        return list(session.exec(query).all())


def get_entry(engine: Engine, entry_id: int) -> QuarantineEntry | None:
    with Session(engine) as session:
        return session.get(QuarantineEntry, entry_id)


@dataclass(frozen=True)
class RetryResult:
    entry: QuarantineEntry
    outcome: str


def retry_entry(config: Config, engine: Engine, entry: QuarantineEntry) -> RetryResult:
    """Fetch the quarantined message again and store it; it stays quarantined if it fails."""
    mailbox = find_mailbox(config, entry.mailbox)
    watcher = build_watcher(config, mailbox, engine)
    client = watcher.connect()
    try:
        state = examine(client, entry.folder)
        if state.uidvalidity != entry.uidvalidity:
            raise AmendsError(
                f"folder {entry.folder} was recreated on the server (UIDVALIDITY "
                f"{entry.uidvalidity} is now {state.uidvalidity}): UID {entry.uid} no longer "
                "names the same message",
                hint="the next sync scans the folder again and stores the message if it is there",
            )
        fetched = fetch_batch(
            client, [entry.uid], max_bytes=watcher.settings.sync.max_message_bytes
        )
    finally:
        logout(client)
    if not fetched:
        raise AmendsError(
            f"UID {entry.uid} is no longer in {entry.folder}: it was deleted or moved on the server"
        )
    item = prepare(fetched[0], own_addresses=watcher.settings.sync.own_addresses)
    outcome = watcher.store.retry(entry.folder, entry.uidvalidity, item)
    updated = get_entry(engine, entry.id or 0) or entry
    if outcome.stored:
        return RetryResult(updated, "stored")
    if outcome.duplicates:
        return RetryResult(updated, "already stored")
    return RetryResult(updated, f"still failing: {updated.reason}")
