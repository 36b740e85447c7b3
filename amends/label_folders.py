"""Corrections from the mail client: agents copy or move mail into ``Amends/Labels/<label>``.

Each label folder has its own UID bookmark, advanced in the same transaction as the labels it
produced, so a correction is recorded exactly once even when the sync is interrupted. A message
is matched to its ticket by Message-ID; the mail itself is never changed or removed.
"""

from __future__ import annotations

import email.parser
import email.policy
import logging
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from amends.config import Config
from amends.config.schema import MailboxSettings
from amends.endpoints import imap_endpoint
from amends.labels import apply_label
from inbox.connection import IMAPClient, connect, ensure_folder, logout, session_errors
from inbox.fetch import examine, new_uids
from inbox.mime_headers import normalise_message_id
from models.classification import FeedbackSource, LabelFeedback
from models.columns import utc_now
from models.mail import MailboxSync, Message
from models.tickets import Ticket

log = logging.getLogger(__name__)

FETCH_BATCH = 500
_HEADER = b"BODY[HEADER.FIELDS (MESSAGE-ID)]"


@dataclass
class LabelSyncReport:
    mailbox: str
    created: list[str] = field(default_factory=list)
    labelled: int = 0
    confirmed: int = 0
    repeated: int = 0
    unmatched: int = 0
    examined: int = 0  # folders opened: the others had nothing past their bookmark
    folders: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        parts = [f"{self.labelled} correction(s)"]
        if self.confirmed:
            parts.append(f"{self.confirmed} confirmation(s)")
        if self.repeated:
            parts.append(f"{self.repeated} already recorded")
        if self.unmatched:
            parts.append(f"{self.unmatched} message(s) not matching any ticket")
        if self.created:
            parts.append(f"created {len(self.created)} folder(s)")
        return f"{self.mailbox}: " + ", ".join(parts)


def folder_names(
    client: IMAPClient, parent: str, labels: list[str]
) -> tuple[list[str], dict[str, str]]:
    """The parent folders and label → full folder name, in the server's hierarchy separator
    (the configuration writes it as "/")."""
    with session_errors(client, "asking for the hierarchy separator"):
        listing = client.list_folders("", "")
    raw = listing[0][1] if listing and listing[0][1] else b"/"
    separator = raw.decode() if isinstance(raw, bytes) else str(raw)
    parts = [part for part in parent.split("/") if part]
    parents = [separator.join(parts[: i + 1]) for i in range(len(parts))]
    return parents, {label: separator.join([*parts, label]) for label in labels}


def sync_label_folders(
    engine: Engine, config: Config, mailbox: MailboxSettings, client: IMAPClient | None = None
) -> LabelSyncReport:
    """Create the label folders where missing and record the labels of mail newly put there.

    Uses ``client`` when given (the worker's connection), else a connection of its own.
    """
    if client is None:
        own = connect(imap_endpoint(config, mailbox))
        try:
            return sync_label_folders(engine, config, mailbox, own)
        finally:
            logout(own)
    report = LabelSyncReport(mailbox.name)
    labels = sorted(config.classifier.labels)
    parents, report.folders = folder_names(client, config.classifier.label_folder, labels)
    existing = _existing_folders(client, parents[0] if parents else "")
    for name in [*parents, *report.folders.values()]:
        if name not in existing and ensure_folder(client, name):
            report.created.append(name)
    with Session(engine) as session:
        marks = {
            m.folder: (m.uidvalidity, m.last_uid)
            for m in session.exec(
                select(MailboxSync).where(
                    MailboxSync.mailbox == mailbox.name,
                    col(MailboxSync.folder).in_(list(report.folders.values())),
                )
            )
        }
    for label, folder in report.folders.items():
        if folder in marks and not _has_news(client, folder, *marks[folder]):
            continue
        report.examined += 1
        _sync_one(engine, client, mailbox.name, folder, label, report)
    if report.created or report.labelled:
        log.debug("label folders %s", report)
    return report


def _existing_folders(client: IMAPClient, top: str) -> set[str]:
    """The folders under ``top`` (and ``top`` itself), from one LIST; empty when ``top``
    holds a LIST wildcard, so that every folder is then looked up by itself."""
    if not top or "*" in top or "%" in top:
        return set()
    with session_errors(client, f"listing the folders under {top!r}"):
        listing = client.list_folders("", f"{top}*")
    return {str(name) for _flags, _separator, name in listing}


def _has_news(client: IMAPClient, folder: str, uidvalidity: int | None, last_uid: int) -> bool:
    """Whether ``folder`` may hold mail past its bookmark: STATUS, which neither opens the
    folder nor needs a write to the database when the answer is no (the usual case)."""
    with session_errors(client, f"asking for the status of folder {folder!r}"):
        status = client.folder_status(folder, [b"UIDVALIDITY", b"UIDNEXT"])
    uidnext = status.get(b"UIDNEXT")
    if uidnext is None or status.get(b"UIDVALIDITY") != uidvalidity:
        return True
    return int(uidnext) - 1 > last_uid


def _bookmark(session: Session, mailbox: str, folder: str) -> MailboxSync:
    row = session.exec(
        select(MailboxSync).where(MailboxSync.mailbox == mailbox, MailboxSync.folder == folder)
    ).first()
    return row or MailboxSync(mailbox=mailbox, folder=folder)


def _sync_one(
    engine: Engine,
    client: IMAPClient,
    mailbox: str,
    folder: str,
    label: str,
    report: LabelSyncReport,
) -> None:
    state = examine(client, folder)
    with Session(engine) as session:
        mark = _bookmark(session, mailbox, folder)
        after = mark.last_uid if mark.uidvalidity == state.uidvalidity else 0
    uids = new_uids(client, after) if state.exists else []
    for start in range(0, len(uids), FETCH_BATCH):
        batch = uids[start : start + FETCH_BATCH]
        with session_errors(client, f"fetching Message-IDs in {folder!r}"):
            fetched = client.fetch(batch, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
        ids: dict[int, str | None] = {}
        for uid in batch:
            header = fetched.get(uid, {}).get(_HEADER, b"")
            parsed = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(header)
            raw_id = parsed.get("Message-ID")
            ids[uid] = normalise_message_id(str(raw_id)) if raw_id else None
        with Session(engine) as session:
            for uid in batch:
                ticket = _ticket_for(session, mailbox, ids[uid])
                if ticket is None:
                    report.unmatched += 1
                    log.info(
                        "%s UID %d: Message-ID %s is not a message of any ticket in %s",
                        folder,
                        uid,
                        ids[uid] or "(none)",
                        mailbox,
                    )
                    continue
                if _latest_label(session, ticket) == label:
                    # Seen before: the folder was recreated (new UIDVALIDITY) or the message
                    # copied twice. The label stands already.
                    report.repeated += 1
                    continue
                # A message put in the folder of the label it already has is a confirmation:
                # human-checked, so it is training data too.
                done = apply_label(
                    session,
                    ticket,
                    label,
                    source=FeedbackSource.FOLDER,
                    given_by=None,
                    detail=f"put in folder {folder}",
                )
                if done.changed:
                    report.labelled += 1
                else:
                    report.confirmed += 1
            mark = _bookmark(session, mailbox, folder)
            mark.uidvalidity = state.uidvalidity
            mark.last_uid = batch[-1]
            session.add(mark)
            session.commit()
    with Session(engine) as session:
        mark = _bookmark(session, mailbox, folder)
        if mark.uidvalidity != state.uidvalidity:
            mark.uidvalidity, mark.last_uid = state.uidvalidity, 0
        if state.uidnext is not None:
            # Every UID below UIDNEXT (as the folder was opened) was read above, including
            # those of mail deleted since: the next STATUS then tells "nothing new".
            mark.last_uid = max(mark.last_uid, state.uidnext - 1)
        mark.last_sync_at = utc_now()
        session.add(mark)
        session.commit()


def _latest_label(session: Session, ticket: Ticket) -> str | None:
    return session.exec(
        select(LabelFeedback.new_label)
        .where(LabelFeedback.ticket_id == ticket.id)
        .order_by(col(LabelFeedback.id).desc())
    ).first()


def _ticket_for(session: Session, mailbox: str, message_id: str | None) -> Ticket | None:
    if not message_id:
        return None
    ticket_id = session.exec(
        select(Message.ticket_id)
        .where(Message.mailbox == mailbox, Message.message_id == message_id)
        .where(col(Message.ticket_id).is_not(None))
        .order_by(col(Message.id))
    ).first()
    return session.get(Ticket, ticket_id) if ticket_id is not None else None
