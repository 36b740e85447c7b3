"""Fetch new messages of one folder by UID, in batches, without touching the \\Seen flag.

Folders are opened read-only (EXAMINE) and bodies fetched with ``BODY.PEEK``, so the server's
flags stay as the team left them. Messages above the size limit are fetched as headers plus
BODYSTRUCTURE only, which keeps memory bounded by the batch, not the mailbox.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from inbox.connection import IMAPClient, session_errors
from inbox.errors import FolderError
from inbox.message import Attachment

log = logging.getLogger(__name__)

MB = 1024 * 1024
DEFAULT_MAX_MESSAGE_BYTES = 25 * MB


@dataclass(frozen=True)
class FolderState:
    """What SELECT/EXAMINE tells about a folder."""

    uidvalidity: int
    uidnext: int | None
    highest_modseq: int | None
    exists: int


@dataclass(frozen=True)
class FetchedMessage:
    """One message as the server holds it; ``raw`` is only the header block when truncated."""

    uid: int
    size: int
    internal_date: datetime | None
    flags: tuple[str, ...]
    raw: bytes
    truncated: bool = False
    structure: tuple[Attachment, ...] = ()


def examine(client: IMAPClient, folder: str) -> FolderState:
    """Open ``folder`` read-only and return its UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ."""
    with session_errors(client, f"opening folder {folder!r}"):
        info = client.select_folder(folder, readonly=True)
    uidvalidity = info.get(b"UIDVALIDITY")
    if uidvalidity is None:
        raise FolderError(
            f"server gave no UIDVALIDITY for folder {folder!r}",
            folder=folder,
            hint="the server does not support UIDs, which Amends needs to never lose a message",
        )
    return FolderState(
        uidvalidity=int(uidvalidity),
        uidnext=_int(info.get(b"UIDNEXT")),
        highest_modseq=_int(info.get(b"HIGHESTMODSEQ")),
        exists=int(info.get(b"EXISTS", 0)),
    )


def new_uids(client: IMAPClient, after_uid: int, *, since: date | None = None) -> list[int]:
    """UIDs above ``after_uid`` in the open folder, ascending; optionally only since a date.

    ``UID n:*`` always matches the highest UID even when it is below n (RFC 3501), so the
    result is filtered again here.
    """
    criteria: list[Any] = ["UID", f"{after_uid + 1}:*"]
    if since is not None:
        criteria += ["SINCE", since]
    with session_errors(client, "searching for new messages"):
        found = client.search(criteria)
    return sorted(uid for uid in found if uid > after_uid)


def fetch_batch(
    client: IMAPClient, uids: Sequence[int], *, max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
) -> list[FetchedMessage]:
    """Fetch ``uids`` from the open folder; messages expunged meanwhile are simply absent."""
    fetched, _ = fetch_within(client, uids, max_bytes=max_bytes, budget_bytes=None)
    return fetched


def fetch_within(
    client: IMAPClient,
    uids: Sequence[int],
    *,
    max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    budget_bytes: int | None,
) -> tuple[list[FetchedMessage], int]:
    """Fetch the first of ``uids`` whose bodies add up to at most ``budget_bytes`` (always at
    least one; None: all of them); returns them and how many of ``uids`` that covered.

    The sizes come first, so a batch of messages just below ``max_bytes`` is cut by what it
    weighs rather than by how many there are: memory stays bounded by the budget.
    """
    if not uids:
        return [], 0
    # Aware datetimes from INTERNALDATE instead of imapclient's naive local time.
    client.normalise_times = False
    with session_errors(client, f"fetching sizes of {len(uids)} messages"):
        meta = client.fetch(list(uids), ["RFC822.SIZE", "INTERNALDATE", "FLAGS"])
    if budget_bytes is not None:
        uids = uids[: _within_budget(uids, meta, max_bytes, budget_bytes)]
    small = [uid for uid in uids if uid in meta and _size(meta[uid]) <= max_bytes]
    large = [uid for uid in uids if uid in meta and _size(meta[uid]) > max_bytes]
    bodies: dict[int, dict[bytes, Any]] = {}
    if small:
        with session_errors(client, f"fetching {len(small)} messages"):
            bodies.update(client.fetch(small, ["BODY.PEEK[]"]))
    if large:
        log.info(
            "%d message(s) above the %g MB limit (max_message_mb), headers and structure only: %s",
            len(large),
            max_bytes / MB,
            ", ".join(f"UID {uid} ({_size(meta[uid]) / MB:.1f} MB)" for uid in large),
        )
        with session_errors(client, f"fetching headers of {len(large)} large messages"):
            bodies.update(client.fetch(large, ["BODY.PEEK[HEADER]", "BODYSTRUCTURE"]))
    fetched = []
    for uid in uids:
        if uid not in meta or uid not in bodies:
            continue
        data, info = bodies[uid], meta[uid]
        truncated = uid in large
        raw = data.get(b"BODY[HEADER]" if truncated else b"BODY[]") or b""
        fetched.append(
            FetchedMessage(
                uid=uid,
                size=_size(info),
                internal_date=_utc(info.get(b"INTERNALDATE")),
                flags=tuple(_text(f) for f in info.get(b"FLAGS", ())),
                raw=bytes(raw),
                truncated=truncated,
                structure=attachments_in(data.get(b"BODYSTRUCTURE")) if truncated else (),
            )
        )
    return fetched, len(uids)


def _within_budget(
    uids: Sequence[int], meta: dict[int, dict[bytes, Any]], max_bytes: int, budget: int
) -> int:
    """How many of ``uids`` fit in ``budget`` bytes of bodies (at least one); a message above
    ``max_bytes`` costs nothing here, as only its header and structure are fetched."""
    total = 0
    for taken, uid in enumerate(uids):
        size = _size(meta[uid]) if uid in meta else 0
        cost = size if size <= max_bytes else 0
        if taken and total + cost > budget:
            return taken
        total += cost
    return len(uids)


def _utc(value: object) -> datetime | None:
    """INTERNALDATE in UTC with the stdlib's tzinfo (imapclient's FixedOffset cannot be pickled
    to the parse workers)."""
    if not isinstance(value, datetime):
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def attachments_in(structure: Any) -> tuple[Attachment, ...]:
    """Attachments (name, type, size) listed in an IMAP BODYSTRUCTURE, without fetching them."""
    found: list[Attachment] = []
    _walk(structure, found, depth=0)
    return tuple(found)


def _walk(part: Any, found: list[Attachment], depth: int) -> None:
    if part is None or depth > 50:
        return
    if getattr(part, "is_multipart", False):
        for child in part[0]:
            _walk(child, found, depth + 1)
        return
    try:
        maintype, subtype = _text(part[0]).lower(), _text(part[1]).lower()
        params = _pairs(part[2])
        size = int(part[6]) if len(part) > 6 and isinstance(part[6], int) else 0
        disposition = _disposition(part)
    except (IndexError, TypeError, ValueError):
        return
    name = disposition.get("filename") or params.get("name")
    is_body_text = maintype == "text" and name is None and disposition.get("_type") != "attachment"
    if not is_body_text:
        found.append(Attachment(filename=name, content_type=f"{maintype}/{subtype}", size=size))


def _disposition(part: Any) -> dict[str, str]:
    # The disposition is the first (type, params) pair found among the extension fields.
    for item in part[7:]:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], bytes):
            result = _pairs(item[1])
            result["_type"] = _text(item[0]).lower()
            return result
    return {}


def _pairs(value: Any) -> dict[str, str]:
    if not isinstance(value, tuple):
        return {}
    items = [_text(v) for v in value]
    return {items[i].lower(): items[i + 1] for i in range(0, len(items) - 1, 2)}


def _size(info: dict[bytes, Any]) -> int:
    return int(info.get(b"RFC822.SIZE", 0))


def _int(value: Any) -> int | None:
    return int(value) if value is not None else None


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
