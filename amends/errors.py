"""The application's errors, and one place to see the whole tree.

Stage packages define their own subclasses of ``AmendsError`` (it lives in ``models`` so that
they need not import upward); they are re-exported here for the CLI and for readers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from classifier.errors import ClassifierError, ModelNotFound
from inbox.errors import (
    FolderError,
    MailboxAuthError,
    MailboxError,
    MailboxTLSError,
    MailboxUnavailable,
)
from models.errors import (
    AmendsError,
    DatabaseFull,
    DatabaseUnavailable,
    MigrationError,
    StorageError,
)
from outbox.errors import (
    DeliveryError,
    SmtpAuthError,
    SmtpRefused,
    SmtpTLSError,
    SmtpUnavailable,
)

__all__ = [
    "AmendsError",
    "ClassifierError",
    "ConfigError",
    "ConfigProblem",
    "DatabaseFull",
    "DatabaseUnavailable",
    "DeliveryError",
    "FolderError",
    "MailboxAuthError",
    "MailboxError",
    "MailboxTLSError",
    "MailboxUnavailable",
    "MigrationError",
    "ModelNotFound",
    "SmtpAuthError",
    "SmtpRefused",
    "SmtpTLSError",
    "SmtpUnavailable",
    "StorageError",
]


@dataclass(frozen=True)
class ConfigProblem:
    """One mistake in a configuration file: the key, what is wrong, and where."""

    key: str
    message: str
    file: Path | None = None
    line: int | None = None
    warning: bool = False

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f" ({self.file.name} line {self.line})" if self.line else f" ({self.file.name})"
        prefix = f"{self.key}: " if self.key else ""
        return f"{prefix}{self.message}{where}"

    def as_warning(self) -> ConfigProblem:
        return replace(self, warning=True)


class ConfigError(AmendsError, ValueError):
    """The configuration cannot be used; ``problems`` lists every mistake found."""

    def __init__(self, problems: list[ConfigProblem], *, hint: str | None = None) -> None:
        self.problems = problems
        count = len(problems)
        lines = "\n".join(f"  {p}" for p in problems)
        heading = "1 problem" if count == 1 else f"{count} problems"
        super().__init__(f"configuration has {heading}:\n{lines}", hint=hint)
