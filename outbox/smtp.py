"""Thin async adapter over aiosmtplib: probe a server, deliver one message.

Every aiosmtplib, socket and TLS error leaves this module as an :mod:`outbox.errors` error.
"""

from __future__ import annotations

import asyncio
import email.message
import logging
import ssl
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import aiosmtplib
from aiosmtplib.email import extract_recipients

from outbox.errors import (
    DeliveryError,
    SmtpAuthError,
    SmtpRefused,
    SmtpTLSError,
    SmtpUnavailable,
)

log = logging.getLogger(__name__)

Security = Literal["tls", "starttls", "none"]
Stage = Literal["connect", "login", "send"]
T = TypeVar("T")

# How long closing waits for a TLS connection to finish shutting down.
_CLOSE_WAIT_S = 1.0


@dataclass(frozen=True)
class SmtpEndpoint:
    """Where and how to reach the SMTP server; ``timeout_s`` bounds connecting and each reply."""

    host: str
    port: int
    security: Security
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_s: float = 30.0
    ca_file: str | None = None
    # "xoauth2": ``password`` holds an OAuth 2 access token.
    auth: Literal["password", "xoauth2"] = "password"

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class SmtpProbe:
    """What a server offered: TLS in use, login accepted, EHLO extensions (upper case)."""

    tls: bool
    authenticated: bool
    extensions: frozenset[str]
    banner: str


async def probe_smtp(endpoint: SmtpEndpoint) -> SmtpProbe:
    """Connect, negotiate TLS and log in as configured, then QUIT; no mail is sent."""
    client, banner = await _open(endpoint)
    try:
        if client.is_ehlo_or_helo_needed:
            # STARTTLS and AUTH discard what EHLO said (RFC 3207 4.2), so ask again.
            await _guarded(client.ehlo(), endpoint, "connect")
        probe = SmtpProbe(
            tls=client.get_transport_info("sslcontext") is not None,
            authenticated=endpoint.username is not None,
            extensions=frozenset(name.upper() for name in client.esmtp_extensions),
            banner=banner,
        )
    finally:
        await _close(client)
    return probe


async def send_message(
    endpoint: SmtpEndpoint,
    message: email.message.EmailMessage,
    *,
    sender: str | None = None,
    recipients: Sequence[str] | None = None,
) -> str:
    """Deliver *message* (envelope from its headers unless given); returns the final reply."""
    started = time.monotonic()
    client, _banner = await _open(endpoint)
    try:
        try:
            refused, reply = await client.send_message(
                message, sender=sender, recipients=recipients
            )
        except ValueError as exc:
            # aiosmtplib checks the envelope before sending anything: no From, no To, or an
            # address with line breaks in it.
            raise DeliveryError(
                f"cannot send via SMTP {endpoint.where}: {exc}",
                hint="the message needs a From and at least one To/Cc/Bcc with valid addresses",
            ) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise _translate(exc, endpoint, "send", _envelope(message, recipients)) from exc
    finally:
        await _close(client)
    _log_outcome(endpoint, refused, reply, started)
    return reply


async def send_raw(
    endpoint: SmtpEndpoint, raw: bytes, *, sender: str, recipients: Sequence[str]
) -> str:
    """Deliver the exact bytes ``raw`` (CRLF line ends) over a connection of its own."""
    session = SmtpSession(endpoint)
    try:
        return await session.send(raw, sender=sender, recipients=recipients)
    finally:
        await session.close()


class SmtpSession:
    """One SMTP connection for a series of messages: opened on first use, dropped after any
    failure (its state is then unknown) and opened afresh for the next message.

    For mail whose bytes are fixed before the first attempt (the outbox), so a retry sends
    the same message with the same Message-ID. Keep a session for one delivery pass: an idle
    connection is closed by the server after a few minutes.
    """

    def __init__(self, endpoint: SmtpEndpoint) -> None:
        self.endpoint = endpoint
        self._client: aiosmtplib.SMTP | None = None

    async def send(self, raw: bytes, *, sender: str, recipients: Sequence[str]) -> str:
        """Deliver ``raw`` to ``recipients``; returns the server's final reply."""
        started = time.monotonic()
        if self._client is None or not self._client.is_connected:
            self._client, _banner = await _open(self.endpoint)
        try:
            refused, reply = await self._client.sendmail(sender, list(recipients), raw)
        except (aiosmtplib.SMTPException, OSError) as exc:
            await self.close()
            raise _translate(exc, self.endpoint, "send", tuple(recipients)) from exc
        _log_outcome(self.endpoint, refused, reply, started)
        return reply

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await _close(client)


def _log_outcome(
    endpoint: SmtpEndpoint,
    refused: dict[str, aiosmtplib.SMTPResponse],
    reply: str,
    started: float,
) -> None:
    for address, response in refused.items():
        # The others got it: raising would invite a retry that duplicates their copy.
        log.warning(
            "SMTP %s refused recipient %s: %d %s",
            endpoint.where,
            address,
            response.code,
            response.message,
        )
    log.info(
        "SMTP %s accepted a message in %.0f ms: %s",
        endpoint.where,
        (time.monotonic() - started) * 1000,
        reply,
    )


async def _open(endpoint: SmtpEndpoint) -> tuple[aiosmtplib.SMTP, str]:
    """A connected client, TLS negotiated and logged in as configured, with the greeting."""
    client = aiosmtplib.SMTP(
        hostname=endpoint.host,
        port=endpoint.port,
        timeout=endpoint.timeout_s,
        use_tls=endpoint.security == "tls",
        # "none" must not upgrade opportunistically; "starttls" fails unless the upgrade works.
        start_tls=endpoint.security == "starttls",
        tls_context=_tls_context(endpoint) if endpoint.security != "none" else None,
    )
    try:
        greeting = await _guarded(client.connect(), endpoint, "connect")
        if endpoint.username is not None:
            if endpoint.auth == "xoauth2":
                login = client.auth_xoauth2(endpoint.username, endpoint.password or "")
            else:
                login = client.login(endpoint.username, endpoint.password or "")
            await _guarded(login, endpoint, "login")
    except Exception:
        await _close(client)
        raise
    except BaseException:
        client.close()
        raise
    return client, greeting.message


async def _guarded(coro: Awaitable[T], endpoint: SmtpEndpoint, stage: Stage) -> T:
    try:
        return await coro
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise _translate(exc, endpoint, stage, ()) from exc


async def _close(client: aiosmtplib.SMTP) -> None:
    """QUIT politely when the session is healthy; always drop the connection.

    Closing a TLS connection is asynchronous (close_notify goes both ways before the socket
    closes), so this waits, briefly, until the connection is really gone: a socket must not
    outlive the event loop that owns it.
    """
    protocol = client.protocol
    try:
        if client.is_connected:
            await client.quit()
    except (aiosmtplib.SMTPException, OSError) as exc:
        log.debug("SMTP QUIT failed: %s", exc)
    finally:
        client.close()
    deadline = time.monotonic() + _CLOSE_WAIT_S
    await asyncio.sleep(0)  # let the transport's close callbacks run
    while protocol is not None and protocol.transport is not None:
        if time.monotonic() > deadline:
            log.debug("SMTP connection still closing after %.1f s; leaving it", _CLOSE_WAIT_S)
            break
        await asyncio.sleep(0.01)


def _tls_context(endpoint: SmtpEndpoint) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=endpoint.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise SmtpTLSError(
            f"cannot load the CA file {endpoint.ca_file!r} for SMTP {endpoint.where}: {exc}",
            hint="smtp.ca_file must name a readable PEM file of CA certificates",
        ) from exc


def _envelope(
    message: email.message.EmailMessage, recipients: Sequence[str] | None
) -> tuple[str, ...]:
    if recipients is not None:
        return tuple(recipients)
    return tuple(extract_recipients(message))


def _translate(
    exc: BaseException, endpoint: SmtpEndpoint, stage: Stage, recipients: tuple[str, ...]
) -> DeliveryError:
    where = f"SMTP server {endpoint.where}"
    tls_failure = next(
        (e for e in (exc, exc.__cause__) if isinstance(e, ssl.SSLError)),
        None,
    )
    if isinstance(tls_failure, ssl.SSLCertVerificationError):
        return SmtpTLSError(
            f"the TLS certificate of {where} did not verify: {tls_failure.verify_message}",
            hint="if the server uses a private CA, set smtp.ca_file to its PEM file; "
            "otherwise check that smtp.host is the name on the certificate",
        )
    if tls_failure is not None:
        return SmtpTLSError(
            f"TLS negotiation with {where} failed: {tls_failure.reason or tls_failure}",
            hint="check smtp.security: 'tls' for an implicit-TLS port (usually 465), "
            "'starttls' for a plain port that upgrades (usually 587)",
        )
    reply = _redact(str(exc), endpoint.password)
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return SmtpAuthError(
            f"SMTP login as {endpoint.username} on {endpoint.where} was refused: "
            f"{exc.code} {_redact(exc.message, endpoint.password)}",
            code=exc.code,
            hint="check smtp.username and the password in smtp.password_env",
        )
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        first = exc.recipients[0]
        return SmtpRefused(
            f"{where} refused every recipient: "
            + "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients),
            code=first.code,
            recipients=tuple(r.recipient for r in exc.recipients),
            hint=_refusal_hint(first.code),
        )
    if isinstance(exc, aiosmtplib.SMTPConnectResponseError):
        return SmtpUnavailable(
            f"{where} turned the connection away: {exc.code} {exc.message}",
            code=exc.code,
            hint="the server is not accepting mail now; retry later",
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        what = {
            "connect": "the TLS upgrade or greeting",
            "login": "the login",
            "send": "the message",
        }[stage]
        upgrading = stage == "connect" and endpoint.security == "starttls"
        if isinstance(exc, aiosmtplib.SMTPHeloError):
            upgrading, what = False, "EHLO"
        error_class = SmtpTLSError if upgrading else SmtpRefused
        return error_class(
            f"{where} refused {what}: {exc.code} {exc.message}",
            code=exc.code,
            recipients=recipients,
            hint=_refusal_hint(exc.code),
        )
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return SmtpUnavailable(
            f"{where} did not answer within {endpoint.timeout_s:g} s ({reply})",
            recipients=recipients,
            hint=_unknown_outcome_hint(stage)
            + "check smtp.host and smtp.port; raise smtp.timeout_s if the server is just slow",
        )
    if isinstance(exc, aiosmtplib.SMTPConnectError):
        return SmtpUnavailable(
            f"cannot connect to {where}: {reply}",
            hint="check smtp.host, smtp.port and that the server is running",
        )
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected | OSError):
        return SmtpUnavailable(
            f"lost the connection to {where}: {reply}",
            recipients=recipients,
            hint=_unknown_outcome_hint(stage)
            + "check smtp.host, smtp.port and smtp.security; retry later",
        )
    # Plain SMTPException: the server lacks something the configuration asks for.
    if stage == "login":
        return SmtpAuthError(
            f"cannot log in to {where}: {reply}",
            hint="the server offers no AUTH here; drop smtp.username or use TLS",
        )
    if stage == "connect":
        return SmtpTLSError(
            f"cannot negotiate TLS with {where}: {reply}",
            hint="the server does not offer STARTTLS; use smtp.security 'tls' with port 465, "
            "or the port your provider documents for STARTTLS",
        )
    return SmtpRefused(f"cannot send via {where}: {reply}", recipients=recipients)


def _refusal_hint(code: int) -> str:
    if 400 <= code < 500:
        return "a temporary refusal: retry later"
    return "a permanent refusal: retrying the same message will fail again"


def _unknown_outcome_hint(stage: Stage) -> str:
    if stage == "send":
        return "the server may have taken the message before the failure; check before resending. "
    return ""


def _redact(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text
