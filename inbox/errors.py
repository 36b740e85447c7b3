"""Errors of the IMAP side; third-party errors are translated into these at the adapter boundary."""

from __future__ import annotations

from models.errors import AmendsError


class MailboxError(AmendsError):
    """Something went wrong talking to an IMAP mailbox."""

    def __init__(
        self, message: str, *, mailbox: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.mailbox = mailbox


class MailboxUnavailable(MailboxError, ConnectionError):
    """The IMAP server could not be reached, timed out, or dropped the connection."""


class MailboxTLSError(MailboxUnavailable):
    """TLS could not be negotiated or the server certificate did not verify."""


class MailboxAuthError(MailboxError, PermissionError):
    """The server refused the credentials."""


class FolderError(MailboxError):
    """A folder is missing and could not be created, or could not be selected."""

    def __init__(
        self, message: str, *, folder: str, mailbox: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, mailbox=mailbox, hint=hint)
        self.folder = folder
