"""outbox.smtp against a real aiosmtpd server: delivery, AUTH, STARTTLS and server failures."""

from __future__ import annotations

import asyncio
import socket
import time
from email.message import EmailMessage

import pytest

from outbox.errors import SmtpAuthError, SmtpRefused, SmtpTLSError, SmtpUnavailable
from outbox.smtp import SmtpEndpoint, probe_smtp, send_message
from tests.fixtures.imap import free_port
from tests.fixtures.smtp import SMTP_PASSWORD, SMTP_TOKEN, SMTP_USER, SmtpServer


def apology(**extra_headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Support <support@example.org>"
    message["To"] = "Customer <customer@example.net>"
    message["Subject"] = "Sorry about your order"
    message["Message-ID"] = "<apology-1@example.org>"
    for name, value in extra_headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("We are sending a replacement today.\n")
    return message


def test_send_message_delivers_headers_body_and_envelope(smtp_server: SmtpServer) -> None:
    reply = asyncio.run(send_message(smtp_server.endpoint(), apology(Bcc="boss@example.org")))

    assert "Queued by the test server" in reply
    [received] = smtp_server.messages
    assert received.mail_from == "support@example.org"
    assert received.rcpt_tos == ("customer@example.net", "boss@example.org")
    assert received.message["Subject"] == "Sorry about your order"
    assert received.message["Message-ID"] == "<apology-1@example.org>"
    assert received.message["Bcc"] is None  # the envelope carries Bcc, the header must not
    assert received.message.get_content() == "We are sending a replacement today.\n"


def test_explicit_envelope_overrides_the_headers(smtp_server: SmtpServer) -> None:
    asyncio.run(
        send_message(
            smtp_server.endpoint(),
            apology(),
            sender="bounces@example.org",
            recipients=["archive@example.org"],
        )
    )

    [received] = smtp_server.messages
    assert received.mail_from == "bounces@example.org"
    assert received.rcpt_tos == ("archive@example.org",)
    assert received.message["To"] == "Customer <customer@example.net>"


def test_utf8_body_arrives_intact(smtp_server: SmtpServer) -> None:
    message = apology()
    message.set_content("Entschuldigung für die Verspätung — 対応が遅れて申し訳ありません。\n")

    asyncio.run(send_message(smtp_server.endpoint(), message))

    [received] = smtp_server.messages
    assert received.message.get_content() == message.get_content()


def test_login_with_the_right_credentials(smtp_server: SmtpServer) -> None:
    endpoint = smtp_server.endpoint(username=SMTP_USER, password=SMTP_PASSWORD)

    asyncio.run(send_message(endpoint, apology()))

    assert len(smtp_server.messages) == 1


def test_wrong_credentials_raise_auth_error_without_the_password(
    smtp_server: SmtpServer,
) -> None:
    wrong = "not-the-secret-0xdeadbeef"
    endpoint = smtp_server.endpoint(username=SMTP_USER, password=wrong)

    with pytest.raises(SmtpAuthError) as caught:
        asyncio.run(send_message(endpoint, apology()))

    error = caught.value
    assert error.code == 535
    assert SMTP_USER in str(error)
    for text in (str(error), error.hint or "", repr(error), repr(endpoint)):
        assert wrong not in text
    assert smtp_server.messages == []


def test_login_with_an_oauth_token(smtp_server: SmtpServer) -> None:
    endpoint = smtp_server.endpoint(username=SMTP_USER, password=SMTP_TOKEN, auth="xoauth2")

    asyncio.run(send_message(endpoint, apology()))

    assert len(smtp_server.messages) == 1


def test_an_expired_oauth_token_is_an_auth_error(smtp_server: SmtpServer) -> None:
    endpoint = smtp_server.endpoint(username=SMTP_USER, password="ya29.expired", auth="xoauth2")

    with pytest.raises(SmtpAuthError) as caught:
        asyncio.run(send_message(endpoint, apology()))

    assert "ya29.expired" not in str(caught.value) and smtp_server.messages == []


@pytest.mark.smtp_behaviour("refuse")
def test_refused_message_is_permanent(smtp_server: SmtpServer) -> None:
    with pytest.raises(SmtpRefused) as caught:
        asyncio.run(send_message(smtp_server.endpoint(), apology()))

    assert caught.value.code == 550
    assert caught.value.permanent
    assert caught.value.recipients == ("customer@example.net",)
    assert smtp_server.messages == []


@pytest.mark.smtp_behaviour("tempfail")
def test_temporary_failure_is_not_permanent(smtp_server: SmtpServer) -> None:
    with pytest.raises(SmtpRefused) as caught:
        asyncio.run(send_message(smtp_server.endpoint(), apology()))

    assert caught.value.code == 451
    assert not caught.value.permanent
    assert smtp_server.messages == []


@pytest.mark.smtp_behaviour("timeout", delay_s=10.0)
def test_silent_reply_to_data_times_out(smtp_server: SmtpServer) -> None:
    started = time.monotonic()

    with pytest.raises(SmtpUnavailable, match="did not answer within 1 s") as caught:
        asyncio.run(send_message(smtp_server.endpoint(timeout_s=1.0), apology()))

    # It gave up on its own timeout rather than waiting for the server's 10 s.
    assert time.monotonic() - started < 8.0
    assert caught.value.code is None and not caught.value.permanent
    assert caught.value.hint and "may have taken the message" in caught.value.hint
    # The client hung up first; the server cancelled the handler before it kept anything.
    assert smtp_server.messages == []


@pytest.mark.smtp_behaviour("drop")
def test_dropped_connection_after_data_is_unavailable(smtp_server: SmtpServer) -> None:
    with pytest.raises(SmtpUnavailable, match="lost the connection") as caught:
        asyncio.run(send_message(smtp_server.endpoint(), apology()))

    assert not caught.value.permanent
    # The server had the whole message before it hung up: a blind retry would send it twice.
    assert [m.message["Subject"] for m in smtp_server.messages] == ["Sorry about your order"]


def test_closed_port_is_unavailable_at_once() -> None:
    endpoint = SmtpEndpoint("127.0.0.1", free_port(), "none", timeout_s=60.0)
    started = time.monotonic()

    with pytest.raises(SmtpUnavailable, match="cannot connect"):
        asyncio.run(probe_smtp(endpoint))

    # A refusal is an answer: it does not wait out the timeout.
    assert time.monotonic() - started < 30.0


def test_silent_server_times_out_while_connecting() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        endpoint = SmtpEndpoint("127.0.0.1", listener.getsockname()[1], "none", timeout_s=0.5)
        started = time.monotonic()

        with pytest.raises(SmtpUnavailable, match=r"did not answer within 0\.5 s"):
            asyncio.run(probe_smtp(endpoint))

        assert time.monotonic() - started < 30.0  # the timeout ends it, not the test's own


def test_probe_reports_a_plain_server(smtp_server: SmtpServer) -> None:
    probe = asyncio.run(probe_smtp(smtp_server.endpoint()))

    assert probe.tls is False
    assert probe.authenticated is False
    assert {"SIZE", "8BITMIME", "SMTPUTF8", "AUTH"} <= probe.extensions
    assert "smtp.test" in probe.banner
    assert smtp_server.messages == []


def test_probe_reports_a_login(smtp_server: SmtpServer) -> None:
    endpoint = smtp_server.endpoint(username=SMTP_USER, password=SMTP_PASSWORD)

    probe = asyncio.run(probe_smtp(endpoint))

    assert probe.authenticated is True


def test_starttls_delivers_with_the_test_ca(smtp_server_tls: SmtpServer) -> None:
    probe = asyncio.run(probe_smtp(smtp_server_tls.endpoint()))
    asyncio.run(send_message(smtp_server_tls.endpoint(), apology()))

    assert probe.tls is True
    assert "STARTTLS" not in probe.extensions  # extensions are the ones offered after the upgrade
    assert len(smtp_server_tls.messages) == 1


def test_starttls_without_the_ca_is_a_tls_error(smtp_server_tls: SmtpServer) -> None:
    with pytest.raises(SmtpTLSError, match="did not verify") as caught:
        asyncio.run(send_message(smtp_server_tls.endpoint(ca_file=None), apology()))

    assert caught.value.hint and "ca_file" in caught.value.hint
    assert smtp_server_tls.messages == []


def test_implicit_tls_on_a_starttls_port_is_a_tls_error(smtp_server_tls: SmtpServer) -> None:
    with pytest.raises(SmtpTLSError, match="TLS negotiation"):
        asyncio.run(probe_smtp(smtp_server_tls.endpoint(security="tls")))


def test_server_requiring_starttls_refuses_plain_mail(smtp_server_tls: SmtpServer) -> None:
    with pytest.raises(SmtpRefused) as caught:
        asyncio.run(send_message(smtp_server_tls.endpoint(security="none"), apology()))

    assert caught.value.code == 530
    assert smtp_server_tls.messages == []


def test_endpoint_repr_hides_the_password() -> None:
    endpoint = SmtpEndpoint("smtp.example.org", 587, "starttls", "support", "hunter2-secret")

    assert "hunter2-secret" not in repr(endpoint)
