"""Schema migrations run from code: upgrade to head, report the revision, detect drift.

Workers and the CLI share these functions; no ``alembic.ini`` is involved. Upgrades hold a lock,
so several workers starting at once migrate the database exactly once.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util.exc import CommandError
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from models.engine import redact_url
from models.errors import DatabaseUnavailable, MigrationError
from models.tables import metadata

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
UPGRADE_HINT = "run `amends db upgrade`"

_ALEMBIC_ERRORS = (SQLAlchemyError, CommandError, RevisionError)

# alembic.context and alembic.op are process-wide proxies: two threads running commands at once
# would drive each other's migrations. Taken before the database lock, never after it.
_ALEMBIC_COMMAND_LOCK = threading.Lock()


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config for our migrations; ``engine`` lets ``alembic.command`` calls connect."""
    config = Config()
    # Config values go through ConfigParser interpolation: a "%" in the path must be doubled.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    # Without it Alembic warns about legacy splitting of path lists (an error under pytest).
    config.set_main_option("path_separator", "os")
    if engine is not None:
        config.attributes["engine"] = engine
    return config


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that holds the migration lock until it commits.

    PostgreSQL: a transaction-scoped advisory lock keyed on the schema, so a second worker waits
    and then finds the schema already at head. SQLite: ``models.engine`` begins every transaction
    with ``BEGIN IMMEDIATE``, which already holds the database's single write lock.
    """
    with engine.connect() as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
            connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(schema)}
            )
        yield connection


def _lock_key(schema: object) -> int:
    digest = hashlib.sha256(f"amends:migrate:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision``; a no-op when it is there already."""
    with (
        _translated(engine, f"upgrading to {revision}"),
        _ALEMBIC_COMMAND_LOCK,
        migration_connection(engine) as conn,
    ):
        before = _current(conn)
        config = alembic_config(engine)
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        after = _current(conn)
    if before != after:
        logger.debug("database %s upgraded from %s to %s", redact_url(engine.url), before, after)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision`` (``"base"`` drops every table)."""
    with (
        _translated(engine, f"downgrading to {revision}"),
        _ALEMBIC_COMMAND_LOCK,
        migration_connection(engine) as conn,
    ):
        config = alembic_config(engine)
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; ``None`` for a database never migrated."""
    with _translated(engine, "reading the schema revision"), engine.connect() as conn:
        return _current(conn)


def _current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """The newest revision this version of Amends ships."""
    head = _script_directory().get_current_head()
    if head is None:
        raise MigrationError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def pending_revisions(engine: Engine) -> list[str]:
    """Revisions still to apply, oldest first; empty when the database is at head."""
    current = current_revision(engine)
    script = _script_directory()
    if current is not None:
        try:
            script.get_revision(current)
        except _ALEMBIC_ERRORS as exc:
            raise MigrationError(
                f"the database {redact_url(engine.url)} is at revision {current!r}, "
                "which this version of Amends does not know",
                hint="it was upgraded by a newer Amends: run that version (or restore a backup)",
            ) from exc
    upper_to_lower = script.iterate_revisions("heads", current or "base")
    return [rev.revision for rev in reversed(list(upper_to_lower))]


def ensure_up_to_date(engine: Engine) -> None:
    """Raise MigrationError unless the database is at head; the worker checks this at start."""
    pending = pending_revisions(engine)
    if pending:
        current = current_revision(engine)
        state = f"at revision {current}" if current else "not initialised"
        raise MigrationError(
            f"the database {redact_url(engine.url)} is {state}; this version of Amends needs "
            f"revision {head_revision()} ({len(pending)} migration(s) pending)",
            hint=UPGRADE_HINT,
        )


def schema_drift(engine: Engine) -> list[Any]:
    """Differences between the tables in the database and the models (Alembic diff tuples).

    Empty when the migrations create exactly what the models describe.
    """
    with _translated(engine, "comparing the schema"), engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def _script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


@contextmanager
def _translated(engine: Engine, doing: str) -> Iterator[None]:
    try:
        yield
    except (DatabaseUnavailable, MigrationError):
        raise
    except _ALEMBIC_ERRORS as exc:
        raise MigrationError(
            f"{doing} failed on {redact_url(engine.url)}: {exc}",
            hint="see the log for the failing statement; the schema was left unchanged",
        ) from exc
