"""Turn configuration sections into the connection settings the stage adapters take.

Secrets are read here, at the moment of connecting, and registered for log redaction.
"""

from __future__ import annotations

import shlex
import subprocess

from amends.config.schema import Config, LoginSettings, MailboxSettings, SecretSource
from amends.config.secrets import read_secret
from amends.logs import redact, register_secret
from inbox.connection import ImapEndpoint
from inbox.errors import MailboxAuthError
from outbox.errors import SmtpAuthError
from outbox.smtp import SmtpEndpoint


def _secret(config: Config, key: tuple[str | int, ...], source: SecretSource) -> str | None:
    value = read_secret(config, key, source)
    register_secret(value)
    return value


def imap_endpoint(
    config: Config, mailbox: MailboxSettings, tokens: TokenSource | None = None
) -> ImapEndpoint:
    """Connection settings for ``mailbox``; raises ConfigError if its secret is unreadable."""
    index = config.mailboxes.index(mailbox)
    imap = mailbox.imap
    if imap.auth == "xoauth2":
        password: str | None = (tokens or TokenSource(imap, mailbox.name)).token()
    else:
        password = _secret(config, ("mailboxes", index, "imap"), imap)
    return ImapEndpoint(
        host=imap.host,
        port=imap.effective_port,
        security=imap.security,
        username=imap.username or mailbox.address,
        password=password or "",
        timeout_s=imap.timeout_s,
        ca_file=str(imap.ca_file) if imap.ca_file else None,
        mailbox=mailbox.name,
        auth=imap.auth,
    )


class TokenSource:
    """OAuth 2 access tokens for one mailbox (or SMTP), from ``token_file`` or ``token_command``.

    The token is kept until ``refresh()`` (called after the server refused it): then the file
    is read again or the command run again, which is how an expired token is renewed.
    """

    def __init__(self, imap: LoginSettings, mailbox: str, *, timeout_s: float = 60.0) -> None:
        self.imap = imap
        self.mailbox = mailbox
        self.timeout_s = timeout_s
        self._token: str | None = None

    def token(self) -> str:
        if self._token is None:
            self._token = self._fetch()
            register_secret(self._token)
        return self._token

    def refresh(self) -> str:
        self._token = None
        return self.token()

    def _fetch(self) -> str:
        if self.imap.token_file is not None:
            try:
                token = self.imap.token_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise self._error(f"cannot read token_file {self.imap.token_file}: {exc}") from exc
        else:
            token = self._run_command()
        if not token:
            raise self._error("the OAuth access token is empty")
        return token

    def _run_command(self) -> str:
        command = self.imap.token_command or ""
        try:
            done = subprocess.run(
                shlex.split(command),
                capture_output=True,
                text=True,
                timeout=self.timeout_s,
                check=False,
            )
        except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
            raise self._error(f"token_command could not run: {exc}") from exc
        if done.returncode != 0:
            detail = redact(done.stderr.strip()[-300:]) or "no output on stderr"
            raise self._error(f"token_command exited with {done.returncode}: {detail}")
        return done.stdout.strip()

    def _error(self, message: str) -> MailboxAuthError | SmtpAuthError:
        if self.mailbox == "smtp":
            return SmtpAuthError(
                f"smtp: {message}",
                hint="check smtp.token_command / token_file; the command must print a valid "
                "access token on standard output",
            )
        return MailboxAuthError(
            f"mailbox {self.mailbox}: {message}",
            mailbox=self.mailbox,
            hint="check mailboxes.imap.token_command / token_file; the command must print a "
            "valid access token on standard output",
        )


def smtp_endpoint(config: Config) -> SmtpEndpoint | None:
    """SMTP settings, or None when the configuration has no [smtp] section."""
    smtp = config.smtp
    if smtp is None:
        return None
    if smtp.auth == "xoauth2":
        password: str | None = TokenSource(smtp, "smtp").token()
    else:
        password = _secret(config, ("smtp",), smtp)
    return SmtpEndpoint(
        host=smtp.host,
        port=smtp.effective_port,
        security=smtp.security,
        username=smtp.username,
        password=password,
        timeout_s=smtp.timeout_s,
        ca_file=str(smtp.ca_file) if smtp.ca_file else None,
        auth=smtp.auth,
    )
