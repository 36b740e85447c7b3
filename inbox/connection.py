"""Thin blocking adapter over imapclient: connect, log in, look up folders.

Callers run it in a thread. Every imapclient, socket and TLS error leaves this module as a
:class:`~inbox.errors.MailboxError` that says where it happened and what to do about it.
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import CapabilityError, IMAPClientAbortError, IMAPClientError, LoginError

from inbox.errors import (
    FolderError,
    MailboxAuthError,
    MailboxError,
    MailboxTLSError,
    MailboxUnavailable,
)

__all__ = [
    "IMAPClient",
    "ImapEndpoint",
    "Security",
    "capabilities",
    "connect",
    "ensure_folder",
    "find_special_use",
    "folder_exists",
    "logout",
    "role_folder",
]

log = logging.getLogger(__name__)

Security = Literal["tls", "starttls", "none"]

_BYTES_REPR = re.compile(r"""(^|\s)b(['"])(.*)\2$""")


@dataclass(frozen=True)
class ImapEndpoint:
    """Where and how to reach one IMAP mailbox; ``timeout_s`` bounds connecting and each read."""

    host: str
    port: int
    security: Security
    username: str
    password: str = field(repr=False)
    timeout_s: float = 30.0
    ca_file: str | None = None
    mailbox: str = ""
    # "xoauth2": ``password`` holds an OAuth 2 access token, sent with AUTHENTICATE XOAUTH2.
    auth: Literal["password", "xoauth2"] = "password"

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def connect(endpoint: ImapEndpoint) -> IMAPClient:
    """Open the connection (implicit TLS, STARTTLS or plain, as configured) and log in."""
    started = time.monotonic()
    context = _tls_context(endpoint) if endpoint.security != "none" else None
    try:
        client = IMAPClient(
            endpoint.host,
            port=endpoint.port,
            ssl=endpoint.security == "tls",
            ssl_context=context,
            timeout=SocketTimeout(connect=endpoint.timeout_s, read=endpoint.timeout_s),
        )
    except (OSError, IMAPClientError) as exc:
        raise _connect_error(endpoint, exc) from exc
    try:
        if endpoint.security == "starttls":
            _starttls(client, endpoint, context)
        _login(client, endpoint)
    except BaseException:
        # A half-open session (timed out, refused, unverified) is never handed out or reused.
        _discard(client)
        raise
    log.debug(
        "IMAP %s logged in as %s (%s) in %.0f ms",
        endpoint.where,
        endpoint.username,
        endpoint.security,
        (time.monotonic() - started) * 1000,
    )
    return client


def logout(client: IMAPClient) -> None:
    """Say LOGOUT and close; a connection that already broke is just closed. Never raises."""
    try:
        client.logout()
    except (OSError, IMAPClientError) as exc:
        log.debug("IMAP %s:%s LOGOUT failed: %s", client.host, client.port, exc)
        _discard(client)


def capabilities(client: IMAPClient) -> frozenset[str]:
    """The server's capabilities as upper-case names, e.g. ``IDLE``, ``MOVE``, ``AUTH=PLAIN``."""
    with session_errors(client, "reading the capabilities"):
        raw = client.capabilities()
    return frozenset(_text(item).upper() for item in raw)


def find_special_use(client: IMAPClient, flag: str) -> str | None:
    """The folder that LIST marks with the RFC 6154 *flag* (e.g. ``\\Drafts``), or None."""
    wanted = flag.lower()
    with session_errors(client, f"looking for the {flag} folder"):
        folders = client.list_folders()
    for flags, _delimiter, name in folders:
        if any(_text(item).lower() == wanted for item in flags):
            return str(name)
    return None


def role_folder(client: IMAPClient, configured: str | None, flag: str, fallback: str) -> str:
    """The folder for a role such as ``\\Drafts``: the configured one, else the one LIST marks
    with *flag*, else *fallback*; a configured or fallback folder is created when missing."""
    if configured:
        ensure_folder(client, configured)
        return configured
    found = find_special_use(client, flag)
    if found:
        return found
    ensure_folder(client, fallback)
    return fallback


def folder_exists(client: IMAPClient, name: str) -> bool:
    """True when *name* exists (LIST wildcards in it are matched literally, not expanded)."""
    with session_errors(client, f"looking up folder {name!r}"):
        folders = client.list_folders("", name)
    # INBOX is case-insensitive (RFC 3501 5.1); every other name is compared exactly.
    if name.upper() == "INBOX":
        return any(str(found).upper() == "INBOX" for _f, _d, found in folders)
    return any(str(found) == name for _f, _d, found in folders)


def ensure_folder(client: IMAPClient, name: str) -> bool:
    """Create and subscribe *name* unless it exists; True when this call created it."""
    if folder_exists(client, name):
        return False
    try:
        with session_errors(client, f"creating folder {name!r}"):
            client.create_folder(name)
    except MailboxUnavailable:
        raise
    except MailboxError as exc:
        # Another client may have created it between LIST and CREATE: that is success too.
        if folder_exists(client, name):
            return False
        raise FolderError(
            exc.message,
            folder=name,
            hint="check that the account may create folders and that the name uses the "
            "server's hierarchy separator",
        ) from exc
    log.info("IMAP %s:%s created folder %r", client.host, client.port, name)
    try:
        with session_errors(client, f"subscribing to folder {name!r}"):
            client.subscribe_folder(name)
    except MailboxUnavailable:
        raise
    except MailboxError as exc:
        # The folder is there; unsubscribed, it is only hidden in some mail clients.
        log.warning("%s", exc.message)
    return True


def _tls_context(endpoint: ImapEndpoint) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=endpoint.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise MailboxTLSError(
            f"cannot load the CA file {endpoint.ca_file!r} for IMAP {endpoint.where}: {exc}",
            mailbox=endpoint.mailbox or None,
            hint="ca_file must name a readable PEM file of CA certificates",
        ) from exc


def _starttls(client: IMAPClient, endpoint: ImapEndpoint, context: ssl.SSLContext | None) -> None:
    try:
        client.starttls(context)
    except CapabilityError as exc:
        raise MailboxTLSError(
            f"IMAP server {endpoint.where} does not offer STARTTLS",
            mailbox=endpoint.mailbox or None,
            hint="use security 'tls' with the implicit-TLS port (usually 993), "
            "or ask the provider which port offers STARTTLS",
        ) from exc
    except (OSError, IMAPClientAbortError) as exc:
        raise _connect_error(endpoint, exc) from exc
    except IMAPClientError as exc:
        raise MailboxTLSError(
            f"IMAP server {endpoint.where} refused STARTTLS: {_server_text(exc)}",
            mailbox=endpoint.mailbox or None,
            hint="check imap.security and imap.port, or ask the provider",
        ) from exc


def _login(client: IMAPClient, endpoint: ImapEndpoint) -> None:
    try:
        if endpoint.auth == "xoauth2":
            client.oauth2_login(endpoint.username, endpoint.password)
        elif endpoint.username.isascii() and endpoint.password.isascii():
            client.login(endpoint.username, endpoint.password)
        else:
            # LOGIN can only carry ASCII (imaplib would fail encoding it); SASL PLAIN is UTF-8.
            client.plain_login(endpoint.username, endpoint.password)
    except LoginError as exc:
        if isinstance(exc.__context__, IMAPClientAbortError):
            # imapclient reports a connection dropped during LOGIN as a LoginError too.
            raise _connect_error(endpoint, exc.__context__) from exc
        reply = _redact(_server_text(exc), endpoint.password)
        raise MailboxAuthError(
            f"IMAP login as {endpoint.username} on {endpoint.where} was refused: {reply}",
            mailbox=endpoint.mailbox or None,
            hint=(
                f"check the username and the password configured for mailbox "
                f"{endpoint.mailbox or endpoint.username!r} (imap.password_env); some providers "
                "need an app password"
                if endpoint.auth == "password"
                else "the OAuth access token was refused: check imap.token_command / token_file "
                "and that the token has the IMAP scope"
            ),
        ) from exc
    except (OSError, IMAPClientError) as exc:
        raise _connect_error(endpoint, exc) from exc


def _connect_error(endpoint: ImapEndpoint, exc: BaseException) -> MailboxError:
    """Translate a failure while connecting, negotiating TLS or logging in."""
    where = f"IMAP server {endpoint.where}"
    mailbox = endpoint.mailbox or None
    if isinstance(exc, ssl.SSLCertVerificationError):
        return MailboxTLSError(
            f"the TLS certificate of {where} did not verify: {exc.verify_message}",
            mailbox=mailbox,
            hint="if the server uses a private CA, set imap.ca_file to its PEM file; "
            "otherwise check that imap.host is the name on the certificate",
        )
    if isinstance(exc, ssl.SSLError):
        return MailboxTLSError(
            f"TLS negotiation with {where} failed: {exc.reason or exc}",
            mailbox=mailbox,
            hint="check imap.security: 'tls' for an implicit-TLS port (usually 993), "
            "'starttls' for a plain port that upgrades (usually 143)",
        )
    if isinstance(exc, TimeoutError):
        return MailboxUnavailable(
            f"{where} did not answer within {endpoint.timeout_s:g} s",
            mailbox=mailbox,
            hint="check imap.host, imap.port and the firewall; raise imap.timeout_s "
            "if the server is just slow",
        )
    if isinstance(exc, socket.gaierror):
        return MailboxUnavailable(
            f"cannot resolve the host name of {where}: {exc.strerror}",
            mailbox=mailbox,
            hint="check imap.host and DNS",
        )
    if isinstance(exc, ConnectionRefusedError):
        return MailboxUnavailable(
            f"{where} refused the connection",
            mailbox=mailbox,
            hint="check imap.port and that the server is running",
        )
    if isinstance(exc, OSError | IMAPClientAbortError):
        return MailboxUnavailable(
            f"lost the connection to {where}: {_redact(str(exc), endpoint.password)}",
            mailbox=mailbox,
            hint="check imap.host, imap.port and imap.security; retry later",
        )
    # A greeting other than OK or PREAUTH: a BYE ("too many connections") or not IMAP at all.
    return MailboxUnavailable(
        f"{where} did not accept the session: {_redact(_server_text(exc), endpoint.password)}",
        mailbox=mailbox,
        hint="check that imap.port is the server's IMAP port; retry later if it is busy",
    )


@contextmanager
def session_errors(client: IMAPClient, action: str) -> Iterator[None]:
    """Translate errors of a logged-in session; a broken connection is closed on the way out."""
    where = f"IMAP server {client.host}:{client.port}"
    try:
        yield
    except (OSError, IMAPClientAbortError) as exc:
        # After a timeout or abort the protocol state is unknown: never reuse the connection.
        _discard(client)
        raise MailboxUnavailable(
            f"{where} failed while {action}: {exc}",
            hint="the connection was closed; reconnect and retry",
        ) from exc
    except IMAPClientError as exc:
        raise MailboxError(f"{where} refused {action}: {_server_text(exc)}") from exc


def _discard(client: IMAPClient) -> None:
    try:
        client.shutdown()
    except OSError as exc:
        log.debug("closing IMAP %s:%s: %s", client.host, client.port, exc)


def _text(item: Any) -> str:
    return item.decode("ascii", "replace") if isinstance(item, bytes) else str(item)


def _server_text(exc: BaseException) -> str:
    """The server's reply in an imaplib error, without the ``b'...'`` that imaplib wraps it in."""
    text = str(exc)
    return _BYTES_REPR.sub(r"\1\3", text)


def _redact(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text
