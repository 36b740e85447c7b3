"""Drafts into the mailbox's Drafts folder (and sent copies into Sent), exactly once.

Before a message is appended the folder is searched for its Message-ID: a worker that died
between APPEND and recording it finds the message already there and does not append it again.
The connection is an ``imapclient.IMAPClient`` that the caller opened and logged in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from imapclient import DRAFT, SEEN, IMAPClient

__all__ = ["AppendResult", "append_draft", "append_once", "find_by_message_id", "open_folder"]

_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]", re.IGNORECASE)


class AppendResult:
    __slots__ = ("existed", "uid", "uidvalidity")

    def __init__(self, uid: int | None, uidvalidity: int | None, *, existed: bool) -> None:
        self.uid = uid
        self.uidvalidity = uidvalidity
        self.existed = existed


def open_folder(client: IMAPClient, folder: str) -> int | None:
    """Select ``folder`` read-only; returns its UIDVALIDITY."""
    response = client.select_folder(folder, readonly=True)
    value = response.get(b"UIDVALIDITY")
    return int(value) if value is not None else None


def find_by_message_id(client: IMAPClient, message_id: str) -> int | None:
    """The UID of the message with ``message_id`` in the selected folder, or None.

    SEARCH HEADER matches substrings, so the hits are checked for the exact id.
    """
    bracketed = f"<{message_id}>"
    uids = client.search(["HEADER", "Message-ID", bracketed])
    if not uids:
        return None
    fetched = client.fetch(uids, [b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    for uid in sorted(uids):
        data = fetched.get(uid, {})
        raw = data.get(b"BODY[HEADER.FIELDS (MESSAGE-ID)]", b"")
        found = raw.decode("ascii", "replace").partition(":")[2].strip() if raw else ""
        if found.lower() == bracketed.lower():
            return int(uid)
    return None


def append_draft(
    client: IMAPClient, folder: str, raw: bytes, message_id: str, when: datetime
) -> AppendResult:
    """APPEND ``raw`` to ``folder`` with ``\\Draft`` unless a message with its id is there."""
    return append_once(client, folder, raw, message_id, when, flags=(DRAFT,))


def append_once(
    client: IMAPClient,
    folder: str,
    raw: bytes,
    message_id: str,
    when: datetime,
    *,
    flags: Sequence[bytes] = (SEEN,),
) -> AppendResult:
    """APPEND ``raw`` to ``folder`` (a sent copy is ``\\Seen``) unless its id is there."""
    uidvalidity = open_folder(client, folder)
    existing = find_by_message_id(client, message_id)
    if existing is not None:
        return AppendResult(existing, uidvalidity, existed=True)
    response = client.append(folder, raw, flags=tuple(flags), msg_time=when)
    match = _APPENDUID.search(response if isinstance(response, bytes) else b"")
    if match:
        return AppendResult(int(match[2]), int(match[1]), existed=False)
    return AppendResult(None, uidvalidity, existed=False)
