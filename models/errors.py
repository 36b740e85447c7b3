"""The root of Amends' exception tree, and the storage errors.

The base class lives in the bottom layer so that every package (``inbox``, ``classifier``,
``outbox``, ``amends``) can subclass it without importing upward.
"""

from __future__ import annotations


class AmendsError(Exception):
    """Base of every error Amends raises on purpose.

    ``hint`` tells the user what to do about it; the CLI prints it under the message.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class StorageError(AmendsError):
    """The database could not be reached or used."""


class DatabaseUnavailable(StorageError, ConnectionError):
    """No connection to the database server (or the SQLite file cannot be opened)."""


class DatabaseFull(DatabaseUnavailable):
    """The disk holding the database is full: nothing more can be written until there is room."""


class MigrationError(StorageError):
    """The schema is not at the revision this version of Amends needs, or upgrading failed."""
