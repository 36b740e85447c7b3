"""Drafts into the mailbox's Drafts folder (and sent copies into Sent), exactly once.

Before a message is appended the folder is searched for its Message-ID: a worker that died
between APPEND and recording it finds the message already there and does not append it again.
Several drafts go in one MULTIAPPEND (RFC 3502) where the server offers it: one round trip
and one write on the server instead of one per draft.
The connection is an ``imapclient.IMAPClient`` that the caller opened and logged in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from imapclient import DRAFT, SEEN, IMAPClient
from imapclient.exceptions import IMAPClientError

__all__ = [
    "AppendResult",
    "Appendable",
    "append_draft",
    "append_drafts",
    "append_once",
    "find_by_message_id",
    "find_by_message_ids",
    "open_folder",
]

_APPENDUID = re.compile(rb"\[APPENDUID (\d+) ([\d:,]+)\]", re.IGNORECASE)
# Message-IDs looked for with one SEARCH (a chain of ORs); the messages per MULTIAPPEND.
SEARCH_CHUNK = 50
MULTIAPPEND_CHUNK = 50


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


class Appendable(NamedTuple):
    """A message to append once: its bytes, its Message-ID (without brackets), its date."""

    raw: bytes
    message_id: str
    when: datetime


def find_by_message_id(client: IMAPClient, message_id: str) -> int | None:
    """The UID of the message with ``message_id`` in the selected folder, or None."""
    return find_by_message_ids(client, [message_id]).get(message_id)


def find_by_message_ids(client: IMAPClient, message_ids: Sequence[str]) -> dict[str, int]:
    """UIDs of the messages with these ids in the selected folder (the lowest UID of each);
    one SEARCH per :data:`SEARCH_CHUNK` ids.

    SEARCH HEADER matches substrings, so the hits are checked for the exact id.
    """
    found: dict[str, int] = {}
    for first in range(0, len(message_ids), SEARCH_CHUNK):
        wanted = {f"<{i}>".lower(): i for i in message_ids[first : first + SEARCH_CHUNK]}
        criteria: list[str] = []
        for position, bracketed in enumerate(wanted):
            if position < len(wanted) - 1:
                criteria.append("OR")
            criteria += ["HEADER", "Message-ID", bracketed]
        uids = client.search(criteria)
        if not uids:
            continue
        fetched = client.fetch(uids, [b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
        for uid in sorted(uids):
            raw = fetched.get(uid, {}).get(b"BODY[HEADER.FIELDS (MESSAGE-ID)]", b"")
            header = raw.decode("ascii", "replace").partition(":")[2].strip() if raw else ""
            message_id = wanted.get(header.lower())
            if message_id is not None:
                found.setdefault(message_id, int(uid))
    return found


def _uid_set(text: bytes) -> list[int]:
    uids: list[int] = []
    for part in text.split(b","):
        low, _, high = part.partition(b":")
        uids.extend(range(int(low), int(high or low) + 1))
    return uids


def _response_text(response: object) -> bytes:
    """The tagged response's text: ``append`` gives bytes, ``multiappend`` (type, [data])."""
    if isinstance(response, bytes):
        return response
    if isinstance(response, tuple) and len(response) == 2 and isinstance(response[1], list):
        return b" ".join(part for part in response[1] if isinstance(part, bytes))
    return b""


def append_drafts(
    client: IMAPClient, folder: str, drafts: Sequence[Appendable]
) -> list[AppendResult]:
    """APPEND each of ``drafts`` with ``\\Draft`` unless a message with its id is in
    ``folder``; one result per draft, in order."""
    return append_many_once(client, folder, drafts, flags=(DRAFT,))


def append_many_once(
    client: IMAPClient,
    folder: str,
    items: Sequence[Appendable],
    *,
    flags: Sequence[bytes] = (SEEN,),
) -> list[AppendResult]:
    """APPEND ``items`` to ``folder`` unless their ids are there, several per MULTIAPPEND when
    the server offers it (all or none of a MULTIAPPEND is stored, RFC 3502)."""
    uidvalidity = open_folder(client, folder)
    existing = find_by_message_ids(client, [item.message_id for item in items])
    results: dict[int, AppendResult] = {
        index: AppendResult(existing[item.message_id], uidvalidity, existed=True)
        for index, item in enumerate(items)
        if item.message_id in existing
    }
    missing = [index for index in range(len(items)) if index not in results]
    multi = len(missing) > 1 and client.has_capability("MULTIAPPEND")
    chunk = MULTIAPPEND_CHUNK if multi else 1
    for first in range(0, len(missing), chunk):
        indices = missing[first : first + chunk]
        if multi:
            response = client.multiappend(
                folder,
                [
                    {"msg": items[i].raw, "flags": tuple(flags), "date": items[i].when}
                    for i in indices
                ],
            )
            if isinstance(response, tuple) and response[0] != "OK":
                # imapclient returns a refused MULTIAPPEND (quota, size) instead of raising.
                text = _response_text(response).decode("ascii", "replace")
                raise IMAPClientError(f"MULTIAPPEND failed: {text}")
        else:
            item = items[indices[0]]
            response = client.append(folder, item.raw, flags=tuple(flags), msg_time=item.when)
        match = _APPENDUID.search(_response_text(response))
        uids: list[int | None] = list(_uid_set(match[2])) if match else []
        if len(uids) != len(indices):
            uids = [None] * len(indices)  # no UIDPLUS: the UIDs are not known
        validity = int(match[1]) if match else uidvalidity
        for index, uid in zip(indices, uids, strict=True):
            results[index] = AppendResult(uid, validity, existed=False)
    return [results[index] for index in range(len(items))]


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
    [result] = append_many_once(client, folder, [Appendable(raw, message_id, when)], flags=flags)
    return result
