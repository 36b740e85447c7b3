"""Errors of the sending side (SMTP delivery, drafts); translated at the adapter boundary."""

from __future__ import annotations

from models.errors import AmendsError


class DeliveryError(AmendsError):
    """A message could not be handed to the SMTP server.

    ``code`` is the SMTP reply code when the server gave one; ``permanent`` is true for 5xx
    replies, which must not be retried as they are.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        recipients: tuple[str, ...] = (),
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.code = code
        self.recipients = recipients

    @property
    def permanent(self) -> bool:
        return self.code is not None and 500 <= self.code < 600


class SmtpUnavailable(DeliveryError, ConnectionError):
    """The SMTP server could not be reached, timed out, or dropped the connection."""


class SmtpTLSError(SmtpUnavailable):
    """TLS could not be negotiated or the server certificate did not verify."""


class SmtpAuthError(DeliveryError, PermissionError):
    """The SMTP server refused the credentials."""


class SmtpRefused(DeliveryError):
    """The SMTP server refused the sender, a recipient or the message (see ``code``)."""


class TemplateError(AmendsError):
    """A draft template is missing or broken; the message names the file and the line."""
