"""Errors of the sending side (SMTP delivery, drafts); translated at the adapter boundary."""

from __future__ import annotations

import re

from models.errors import AmendsError

# 5xx replies that are temporary in all but name: a full mailbox (RFC 3463 says 552 may be
# treated as 452), greylisting and rate limits that some servers report with a 5 (or say
# "try again"), and enhanced codes of the 5.4 (network) and 5.3.x "system busy" classes.
_TRANSIENT_5XX = re.compile(
    r"\b(5\.2\.2|5\.4\.\d+|5\.3\.[12]|greylist\w*|graylist\w*|try (again )?later|"
    r"temporar\w*|rate limit\w*|too many (connections|messages)|mailbox (is )?full|over quota)\b",
    re.IGNORECASE,
)


def transient_reply(code: int | None, text: str) -> bool:
    """Whether an SMTP reply is worth retrying: every 4xx, and 5xx replies known to pass."""
    if code is None:
        return True  # no reply at all: the connection failed
    if 400 <= code < 500:
        return True
    return 500 <= code < 600 and (code == 552 or bool(_TRANSIENT_5XX.search(text)))


class DeliveryError(AmendsError):
    """A message could not be handed to the SMTP server.

    ``code`` is the SMTP reply code when the server gave one; ``permanent`` is true for 5xx
    replies, which must not be retried as they are, unless they are known to pass.
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
        return not transient_reply(self.code, str(self))


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
