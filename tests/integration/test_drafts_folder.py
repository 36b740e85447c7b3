"""Appending drafts exactly once, one at a time or several per MULTIAPPEND, on Dovecot."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from imapclient import IMAPClient

from outbox.drafts_folder import (
    Appendable,
    append_drafts,
    find_by_message_ids,
    open_folder,
)
from tests.fixtures.imap import ImapAccount

WHEN = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def draft(number: int) -> Appendable:
    message = EmailMessage()
    message["From"] = "support@example.com"
    message["To"] = f"customer{number}@example.net"
    message["Subject"] = f"Re: order {number}"
    message["Message-ID"] = f"<draft-{number}@amends.example>"
    message.set_content(f"I am sorry about order {number}.")
    return Appendable(message.as_bytes(), f"draft-{number}@amends.example", WHEN)


class WithoutMultiappend(IMAPClient):
    """A client that does not see the server's MULTIAPPEND: the one-by-one path."""

    def has_capability(self, capability: str) -> bool:
        return capability.upper() != "MULTIAPPEND" and super().has_capability(capability)


def by_uid(client: IMAPClient, folder: str) -> dict[int, str]:
    client.select_folder(folder, readonly=True)
    fetched = client.fetch(client.search("ALL"), [b"BODY.PEEK[HEADER]", b"FLAGS"])
    found = {}
    for uid, data in fetched.items():
        assert b"\\Draft" in data[b"FLAGS"]
        found[uid] = email.message_from_bytes(data[b"BODY[HEADER]"])["Message-ID"]
    return found


@pytest.mark.parametrize("multiappend", [True, False], ids=["multiappend", "one-by-one"])
def test_drafts_already_there_are_recorded_and_the_rest_appended_once(
    imap_account: ImapAccount, multiappend: bool
) -> None:
    imap_account.create_folder("Drafts")
    drafts = [draft(n) for n in range(120)]  # more than one MULTIAPPEND
    with imap_account.client() as client:
        if not multiappend:
            client.__class__ = WithoutMultiappend
        # Appended before a crash, never recorded: 3, 7 and 60.
        first = append_drafts(client, "Drafts", [drafts[3], drafts[7], drafts[60]])
        assert [r.existed for r in first] == [False, False, False]
        results = append_drafts(client, "Drafts", drafts)
        again = append_drafts(client, "Drafts", drafts)
        stored = by_uid(client, "Drafts")
        validity = open_folder(client, "Drafts")
    assert [n for n, r in enumerate(results) if r.existed] == [3, 7, 60]
    assert [r.uid for r in results if r.existed] == [r.uid for r in first]
    assert all(r.existed for r in again) and [r.uid for r in again] == [r.uid for r in results]
    # Every result names the UID that holds that very draft, in the folder's UIDVALIDITY.
    assert len(stored) == 120
    for appendable, result in zip(drafts, results, strict=True):
        assert stored[result.uid] == f"<{appendable.message_id}>"
        assert result.uidvalidity == validity


def test_message_ids_are_matched_exactly(imap_account: ImapAccount) -> None:
    imap_account.create_folder("Drafts")
    with imap_account.client() as client:
        append_drafts(client, "Drafts", [draft(1), draft(12)])
        open_folder(client, "Drafts")
        # SEARCH HEADER matches substrings: "raft-1@amends.example" is found in the
        # header of "draft-1@amends.example", and must not count.
        found = find_by_message_ids(
            client, ["draft-1@amends.example", "raft-1@amends.example", "draft-2@amends.example"]
        )
    assert list(found) == ["draft-1@amends.example"]
