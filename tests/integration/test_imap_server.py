"""inbox.connection against a real Dovecot: login, capabilities, folders, storage, failures."""

from __future__ import annotations

import logging
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from imapclient import IMAPClient

from inbox.connection import (
    ImapEndpoint,
    capabilities,
    connect,
    ensure_folder,
    find_special_use,
    folder_exists,
)
from inbox.errors import FolderError, MailboxAuthError, MailboxTLSError, MailboxUnavailable
from tests.fixtures.imap import DovecotServer, ImapAccount, free_port

# A plain RFC 822 message from the corpora (python/cpython Lib/test/test_email/data/msg_02.txt).
CORPUS_SAMPLE = "cpython/msg_02.txt"


def dovecot_roundtrip(raw: bytes) -> bytes:
    """What FETCH BODY[] returns for *raw* stored with MULTIAPPEND (maildir keeps LF endings).

    Saving turns each CRLF into LF; fetching turns each LF not preceded by CR into CRLF; a lone
    CR is kept, except at the very end. So LF-only mail comes back CRLF, and ``\\r\\r\\n``
    comes back as ``\\r\\n``.
    """
    stored = raw.replace(b"\r\n", b"\n")
    return re.sub(rb"(?<!\r)\n", b"\r\n", stored).removesuffix(b"\r")


@pytest.fixture
def session(imap_account: ImapAccount) -> Iterator[IMAPClient]:
    client = connect(imap_account.endpoint())
    try:
        yield client
    finally:
        client.logout()


def test_connect_logs_in_and_reports_capabilities(session: IMAPClient) -> None:
    names = capabilities(session)

    assert {"IDLE", "MOVE", "CONDSTORE", "SPECIAL-USE", "UIDPLUS", "MULTIAPPEND"} <= names
    assert all(name == name.upper() and isinstance(name, str) for name in names)


def test_users_added_after_start_can_log_in(dovecot: DovecotServer) -> None:
    # Dovecot re-reads the passwd-file when it changes, so each test can have its own user.
    for account in (dovecot.add_user(), dovecot.add_user()):
        client = connect(account.endpoint())
        client.logout()


def test_non_ascii_password_logs_in(dovecot: DovecotServer) -> None:
    account = dovecot.add_user(password="Grüße-çava-密码")

    client = connect(account.endpoint())
    try:
        assert find_special_use(client, "\\Sent") == "Sent"
    finally:
        client.logout()


def test_find_special_use_finds_drafts_and_sent(session: IMAPClient) -> None:
    assert find_special_use(session, "\\Drafts") == "Drafts"
    assert find_special_use(session, "\\Sent") == "Sent"
    assert find_special_use(session, "\\sent") == "Sent"
    assert find_special_use(session, "\\Junk") is None


def test_ensure_folder_creates_and_subscribes_once(
    session: IMAPClient, imap_account: ImapAccount
) -> None:
    assert not folder_exists(session, "Amends/Send")

    assert ensure_folder(session, "Amends/Send") is True
    assert ensure_folder(session, "Amends/Send") is False

    assert folder_exists(session, "Amends/Send")
    with imap_account.client() as other:
        assert "Amends/Send" in [name for _f, _d, name in other.list_sub_folders()]


def test_ensure_folder_reports_a_name_the_server_refuses(session: IMAPClient) -> None:
    with pytest.raises(FolderError, match="adjacent hierarchy separators") as caught:
        ensure_folder(session, "Amends//Send")

    assert caught.value.folder == "Amends//Send"
    assert caught.value.hint
    assert not folder_exists(session, "Amends//Send")


def test_folder_exists_matches_names_literally(
    session: IMAPClient, imap_account: ImapAccount
) -> None:
    imap_account.create_folder("Amends/Send")

    assert folder_exists(session, "inbox")
    assert folder_exists(session, "Amends")
    assert not folder_exists(session, "Amends/%")
    assert not folder_exists(session, "Amends/*")
    assert not folder_exists(session, "amends/send")


def test_appended_corpus_message_is_fetched_back_unchanged(
    imap_account: ImapAccount, corpora_dir: Path
) -> None:
    raw = (corpora_dir / CORPUS_SAMPLE).read_bytes()
    assert b"\n" in raw and b"\r\n" not in raw  # the file has LF endings: Dovecot adds CRs

    imap_account.append("INBOX", raw)

    assert imap_account.fetch_all("INBOX") == [raw.replace(b"\n", b"\r\n")]


def test_every_corpus_message_survives_multiappend(
    imap_account: ImapAccount, corpus_messages: list[Path]
) -> None:
    # Dovecot refuses to store an empty message ("Can't save a zero byte message").
    stored = [(path, raw) for path in corpus_messages if (raw := path.read_bytes())]
    assert len(stored) > 500

    imap_account.append_many("INBOX", [raw for _path, raw in stored])

    fetched = imap_account.fetch_all("INBOX")
    assert len(fetched) == len(stored)
    mismatched = [
        path.name
        for (path, raw), got in zip(stored, fetched, strict=True)
        if got != dovecot_roundtrip(raw)
    ]
    assert mismatched == []


def test_multiappend_fifty_messages(imap_account: ImapAccount) -> None:
    raws = [
        f"From: customer{n}@example.net\r\nSubject: complaint {n}\r\n\r\nbody {n}\r\n".encode()
        for n in range(50)
    ]

    assert imap_account.append_many("INBOX", raws) == 50

    assert imap_account.fetch_all("INBOX") == raws


def test_wrong_password_raises_auth_error_without_the_password(
    imap_account: ImapAccount, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "Wr0ng-passw0rd-xyzzy"
    endpoint = imap_account.endpoint(password=wrong, mailbox="support")

    with pytest.raises(MailboxAuthError) as caught:
        connect(endpoint)

    error = caught.value
    assert imap_account.username in str(error)
    assert f"{imap_account.host}:{imap_account.port}" in str(error)
    assert error.mailbox == "support"
    assert error.hint and "password" in error.hint
    for text in (str(error), error.hint, repr(error), repr(endpoint), str(error.__cause__)):
        assert wrong not in text
    # imapclient's protocol logging redacts LOGIN; check that it really does.
    assert "LOGIN" in caplog.text
    assert wrong not in caplog.text


def test_successful_login_does_not_log_the_password(
    imap_account: ImapAccount, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    connect(imap_account.endpoint()).logout()

    assert "LOGIN" in caplog.text
    assert imap_account.password not in caplog.text


def test_closed_port_is_unavailable_at_once(imap_account: ImapAccount) -> None:
    started = time.monotonic()

    with pytest.raises(MailboxUnavailable, match="refused the connection") as caught:
        connect(imap_account.endpoint(port=free_port(), timeout_s=60.0))

    # A refusal is an answer: it does not wait out the timeout.
    assert time.monotonic() - started < 30.0
    assert caught.value.hint


def test_silent_server_times_out(imap_account: ImapAccount) -> None:
    # The kernel completes the handshake from the backlog, but nobody ever sends a greeting.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        started = time.monotonic()

        with pytest.raises(MailboxUnavailable, match=r"did not answer within 0\.5 s"):
            connect(imap_account.endpoint(port=port, timeout_s=0.5))

        assert 0.4 < time.monotonic() - started < 30.0  # the timeout ends it


def test_starttls_on_a_server_without_it_is_a_tls_error(imap_account: ImapAccount) -> None:
    with pytest.raises(MailboxTLSError, match="does not offer STARTTLS"):
        connect(imap_account.endpoint(security="starttls"))


@pytest.fixture
def tls_account(dovecot_tls: DovecotServer) -> ImapAccount:
    return dovecot_tls.add_user()


def test_implicit_tls_verifies_with_the_test_ca(tls_account: ImapAccount) -> None:
    endpoint = tls_account.endpoint()
    assert endpoint.security == "tls" and endpoint.ca_file

    client = connect(endpoint)
    try:
        assert "SPECIAL-USE" in capabilities(client)
    finally:
        client.logout()


def test_starttls_verifies_with_the_test_ca(
    tls_account: ImapAccount, dovecot_tls: DovecotServer
) -> None:
    client = connect(tls_account.endpoint(security="starttls", port=dovecot_tls.port))
    try:
        assert "STARTTLS" not in capabilities(client)
        assert "IDLE" in capabilities(client)
    finally:
        client.logout()


def test_plain_port_refuses_login_without_starttls(
    tls_account: ImapAccount, dovecot_tls: DovecotServer
) -> None:
    # Shows the fixture really requires STARTTLS, so the test above proves the upgrade.
    with pytest.raises(MailboxAuthError, match="PRIVACYREQUIRED"):
        connect(tls_account.endpoint(security="none", port=dovecot_tls.port))


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_unknown_ca_is_a_tls_error(
    tls_account: ImapAccount, dovecot_tls: DovecotServer, security: str
) -> None:
    port = dovecot_tls.imaps_port if security == "tls" else dovecot_tls.port
    endpoint = tls_account.endpoint(security=security, port=port, ca_file=None)

    with pytest.raises(MailboxTLSError, match="did not verify") as caught:
        connect(endpoint)

    assert caught.value.hint and "ca_file" in caught.value.hint


def test_implicit_tls_on_a_plain_port_is_a_tls_error(
    tls_account: ImapAccount, dovecot_tls: DovecotServer
) -> None:
    with pytest.raises(MailboxTLSError, match="TLS negotiation"):
        connect(tls_account.endpoint(security="tls", port=dovecot_tls.port))


def test_endpoint_repr_hides_the_password() -> None:
    endpoint = ImapEndpoint("imap.example.org", 993, "tls", "support", "hunter2-secret")

    assert "hunter2-secret" not in repr(endpoint)
