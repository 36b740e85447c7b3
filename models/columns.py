"""Column types and the constraint naming convention shared by every table.

Importing this module sets the naming convention on ``SQLModel.metadata``; every table module
imports it first, so constraint names are the same on SQLite and PostgreSQL and in migrations.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import SQLModel

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLModel.metadata.naming_convention = NAMING_CONVENTION

# Lengths shared by several tables.
MAILBOX_LEN = 200  # the mailbox name from the configuration
FOLDER_LEN = 500  # IMAP folder names (modified UTF-7) can be long and nested
ADDRESS_LEN = 320  # RFC 5321: 64 local part + @ + 255 domain
MESSAGE_ID_LEN = 998  # RFC 5322 line limit; Message-IDs are ASCII, so this fits a btree index
SHA256_LEN = 64  # hex digest
LABEL_LEN = 64  # failure types and classifier labels
AGENT_LEN = 100  # owner / agent / admin names
RULE_LEN = 100  # assignment and follow-up rule names
LANGUAGE_LEN = 16  # BCP 47 tags such as "en" or "pt-BR"


def utc_now() -> datetime:
    """The current time as an aware UTC datetime; the default of every timestamp column."""
    return datetime.now(UTC)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """An aware UTC datetime on every backend.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zones and hands back naive values, so we
    store UTC there and re-attach UTC on the way out. Naive input is refused rather than guessed.
    """

    impl = sa.DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def __repr__(self) -> str:
        return "UtcDateTime()"

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        # SQLite would keep the text of a foreign offset; storing naive UTC keeps values sortable.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class StrEnumType(sa.types.TypeDecorator[StrEnum]):
    """A ``StrEnum`` stored as a plain string column, read back as the enum member.

    Plain strings rather than database enums, so adding a state is a code change, not a migration.
    Unknown values are refused on write.
    """

    impl = sa.String
    cache_ok = True

    def __init__(self, enum_class: type[StrEnum], length: int) -> None:
        super().__init__(length=length)
        self.enum_class = enum_class
        self.length = length

    def __repr__(self) -> str:
        return f"StrEnumType({self.enum_class.__name__}, length={self.length})"

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return self.enum_class(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> StrEnum | None:
        if value is None:
            return None
        return self.enum_class(value)


def json_type() -> sa.JSON:
    """JSON where Python ``None`` is SQL NULL (SQLAlchemy's default would store JSON ``null``)."""
    return sa.JSON(none_as_null=True)
