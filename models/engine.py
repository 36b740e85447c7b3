"""The database engine and session factory for SQLite (one worker) and PostgreSQL (several).

Connection failures surface as ``DatabaseUnavailable`` with a hint; URLs in messages never show
the password.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, ExceptionContext
from sqlalchemy.exc import ArgumentError
from sqlmodel import Session

from models.errors import DatabaseFull, DatabaseUnavailable, StorageError

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_S = 30
POSTGRES_CONNECT_TIMEOUT_S = 10
# SQLAlchemy's default pool size, kept for what is not a mailbox thread (locks, health, CLI).
POOL_SIZE = 5
SQLITE_BEGIN_OPTION = "sqlite_begin"  # execution option: "IMMEDIATE" (default) or "DEFERRED"

_SQLITE_DRIVERS = {"sqlite", "sqlite+pysqlite"}
_POSTGRES_DRIVERS = {"postgresql", "postgres", "postgresql+psycopg"}
_SUPPORTED = "sqlite:///path/to/amends.db or postgresql+psycopg://user:password@host:5432/dbname"


def parse_url(url: str) -> URL:
    """Parse and normalise a database URL: PostgreSQL always goes through psycopg 3."""
    try:
        parsed = sa.make_url(url)
    except ArgumentError as exc:
        raise StorageError(
            f"cannot parse database URL {redact_url(url)!r}", hint=f"use {_SUPPORTED}"
        ) from exc
    if parsed.drivername in _POSTGRES_DRIVERS:
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername in _SQLITE_DRIVERS:
        return parsed.set(drivername="sqlite")
    raise StorageError(
        f"unsupported database URL scheme {parsed.drivername!r} in {redact_url(url)!r}",
        hint=f"use {_SUPPORTED}",
    )


def redact_url(url: str | URL) -> str:
    """The URL with its password replaced by ``***``, for messages and logs."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        # Unparseable: hide everything before the last "@" rather than risk printing a secret.
        scheme, sep, rest = url.partition("://")
        if not sep:
            scheme, rest = "", url
        if "@" in rest:
            rest = "***@" + rest.rpartition("@")[2]
        return f"{scheme}{sep}{rest}"


def make_engine(url: str, *, echo: bool = False, threads: int = 0) -> Engine:
    """An engine for ``url`` (``sqlite:///…`` or ``postgresql+psycopg://…``), connected lazily.

    ``threads``: how many threads will use it at once (the worker's mailboxes); the pool keeps
    a connection for each, plus SQLAlchemy's default five, so no thread waits for another's.
    ``sqlite://`` (in memory) is accepted for tests; every connection then sees its own database.
    """
    parsed = parse_url(url)
    pool: dict[str, Any] = {"pool_size": POOL_SIZE + threads} if threads else {}
    if parsed.drivername == "sqlite":
        engine = _sqlite_engine(parsed, echo=echo, pool=pool)
    else:
        engine = _postgres_engine(parsed, echo=echo, pool=pool)
    sa.event.listen(engine, "handle_error", _translate_connect_error)
    return engine


def _sqlite_engine(url: URL, *, echo: bool, pool: dict[str, Any]) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in database
    if in_memory:
        pool = {}  # one connection per thread (SingletonThreadPool), nothing to size
    if not in_memory and not database.startswith("file:"):
        try:
            _create_private(Path(database))
        except OSError as exc:
            raise DatabaseUnavailable(
                f"cannot create the SQLite database {database}: {exc}",
                hint="check database.url and the permissions of its directory",
            ) from exc
    engine = sa.create_engine(
        url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}, **pool
    )
    sa.event.listen(engine, "connect", _configure_sqlite_connection)
    sa.event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def _create_private(database: Path) -> None:
    """Create the database file (and a missing directory) readable by its owner only: it holds
    customers' mail. SQLite gives its -wal and -shm files the database file's permissions. An
    existing file keeps the permissions it has (``amends doctor`` reports loose ones)."""
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if database.exists():
        return  # opened as it is (read-only, when this user may only read it)
    with contextlib.suppress(FileExistsError):  # another process created it a moment ago
        os.close(os.open(database, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _configure_sqlite_connection(dbapi_connection: Any, connection_record: Any) -> None:
    # pysqlite's own transaction handling issues no BEGIN before DDL and commits implicitly;
    # turning it off and emitting BEGIN ourselves (in _begin_sqlite_transaction) makes
    # transactions, including migrations, real.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        _enable_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        # Safe with WAL: a power cut may lose the last commits but never corrupts the file.
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _enable_wal(cursor: Any) -> None:
    # WAL is a property of the file and sticks, so it is usually on already. Switching needs an
    # exclusive lock for which SQLite does not wait (no busy handler), so a second process
    # opening a brand-new database retries here.
    (mode,) = cursor.execute("PRAGMA journal_mode").fetchone()
    if mode.lower() in ("wal", "memory"):
        return
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _begin_sqlite_transaction(connection: sa.Connection) -> None:
    # IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes
    # fails at once with SQLITE_BUSY when another writer got in between, busy_timeout or not.
    # Read-only callers may opt out with engine.execution_options(sqlite_begin="DEFERRED").
    mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
    if mode not in ("IMMEDIATE", "DEFERRED"):
        raise StorageError(f"{SQLITE_BEGIN_OPTION} must be IMMEDIATE or DEFERRED, not {mode!r}")
    connection.exec_driver_sql(f"BEGIN {mode}")


def _postgres_engine(url: URL, *, echo: bool, pool: dict[str, Any]) -> Engine:
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
    if "application_name" not in url.query:
        connect_args["application_name"] = "amends"
    return sa.create_engine(url, echo=echo, pool_pre_ping=True, connect_args=connect_args, **pool)


def _translate_connect_error(context: ExceptionContext) -> None:
    """Turn "cannot connect" and "connection lost" into DatabaseUnavailable with a hint, and
    a full disk into DatabaseFull."""
    if context.is_pre_ping:
        return  # the pool handles a stale connection by reconnecting
    if _disk_full(context.original_exception):
        # SQLite rolls the whole transaction back on a full disk: its savepoints are gone, so
        # the connection is dropped rather than asked to roll back to them.
        context.is_disconnect = True
        where = redact_url(context.engine.url) if context.engine is not None else "the database"
        raise DatabaseFull(
            f"the disk holding {where} is full: {context.original_exception}",
            hint="free space on that disk; what was being written was rolled back and is "
            "written again when there is room",
        )
    connecting = context.connection is None
    if not (connecting or context.is_disconnect):
        return
    if not isinstance(context.original_exception, Exception):
        return
    engine = context.engine
    url = engine.url if engine is not None else None
    where = redact_url(url) if url is not None else "the database"
    detail = str(context.original_exception).strip()
    if url is not None and url.password:
        detail = detail.replace(str(url.password), "***")  # drivers rarely echo it; be sure
    action = "cannot connect to" if connecting else "lost the connection to"
    raise DatabaseUnavailable(f"{action} {where}: {detail}", hint=_hint(url))


# PostgreSQL's SQLSTATE for "could not extend file": no space left on the device.
_DISK_FULL_SQLSTATE = "53100"


def _disk_full(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.OperationalError):
        return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return getattr(exc, "sqlstate", None) == _DISK_FULL_SQLSTATE


def _hint(url: URL | None) -> str:
    if url is None:
        return "check database.url"
    if url.drivername == "sqlite":
        return f"check that {url.database} can be created and written, or fix database.url"
    host = url.host or "localhost"
    port = url.port or 5432
    return (
        f"is PostgreSQL running on {host}:{port} and does database {url.database!r} exist? "
        "Start it (e.g. `pg_ctlcluster 15 main start`), or fix database.url"
    )


@contextmanager
def session(engine: Engine) -> Iterator[Session]:
    """One unit of work: commits when the block ends, rolls back if it raises.

    Objects stay usable after the block (``expire_on_commit=False``), so a stage can hand what
    it stored to the next one.
    """
    with Session(engine, expire_on_commit=False) as db:
        try:
            yield db
        except BaseException:
            db.rollback()
            raise
        db.commit()
