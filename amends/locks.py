"""Which worker works which mailbox: one at a time, taken over when its worker dies.

PostgreSQL: a session-level advisory lock per mailbox, all held on one dedicated connection of
the worker. When the worker dies its connection closes and PostgreSQL releases the locks at
once (on a dead machine, after the TCP keepalive set below gives up, about half a minute);
another worker's next ``acquire`` gets them.

SQLite: one worker per database file, enforced with an exclusive ``flock`` on a lock file beside
the database; the kernel drops it when the process dies, however it dies.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from pathlib import Path
from typing import IO, Protocol

import sqlalchemy as sa
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from amends.errors import AmendsError
from models.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

# How a broken lock connection fails: a lost connection as DatabaseUnavailable (the engine
# translates disconnects, see models.engine), anything else the server says as DBAPIError.
_CONNECTION_ERRORS = (DBAPIError, DatabaseUnavailable)

# Sent on the lock connection so PostgreSQL notices a vanished worker machine within
# idle + interval x count seconds, instead of the system default of two hours.
_KEEPALIVE = {"tcp_keepalives_idle": 10, "tcp_keepalives_interval": 5, "tcp_keepalives_count": 3}


class WorkerLockError(AmendsError):
    """Another worker already works this database (SQLite) or the locks cannot be taken."""


class MailboxLocks(Protocol):
    def acquire(self, mailbox: str) -> bool:
        """Take ``mailbox`` if no other worker holds it; True when this worker now holds it."""

    def release(self, mailbox: str) -> None: ...

    def check(self) -> set[str]:
        """The mailboxes this worker held but may no longer hold (its lock connection broke)."""

    def live_workers(self) -> int:
        """How many workers (this one included) share the mailboxes right now."""

    def close(self) -> None: ...


def open_locks(engine: Engine, worker: str) -> MailboxLocks:
    if engine.dialect.name == "postgresql":
        return PostgresLocks(engine)
    return SqliteLock(engine, worker)


def lock_key(schema: str, mailbox: str | None) -> int:
    """The 64-bit advisory lock key of a mailbox (None: the workers' presence key), stable
    across processes and machines.

    Advisory locks are per database, so the schema is part of the key: installations in two
    schemas of one database do not block each other.
    """
    name = f"amends:workers:{schema}" if mailbox is None else f"amends:mailbox:{schema}:{mailbox}"
    digest = hashlib.sha256(name.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


# Holders of the shared presence lock of this schema: one per live worker. A bigint advisory
# key shows in pg_locks as classid (high 32 bits) and objid (low 32 bits) with objsubid 1.
_LIVE_WORKERS = sa.text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND mode = 'ShareLock' AND objsubid = 1 AND classid = :high AND objid = :low "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


class PostgresLocks:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.held: set[str] = set()
        self.connection: Connection | None = None
        self.schema = ""

    def _connection(self) -> Connection:
        if self.connection is None:
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            for name, value in _KEEPALIVE.items():
                connection.exec_driver_sql(f"SET {name} = {value}")
            self.schema = str(connection.exec_driver_sql("SELECT current_schema()").scalar())
            # Held as long as this connection lives: how the workers count each other.
            connection.execute(
                sa.text("SELECT pg_advisory_lock_shared(:key)"),
                {"key": lock_key(self.schema, None)},
            )
            self.connection = connection
        return self.connection

    def acquire(self, mailbox: str) -> bool:
        if mailbox in self.held:
            return True
        connection = self._connection()
        got = connection.execute(
            sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": lock_key(self.schema, mailbox)}
        )
        if got.scalar():
            self.held.add(mailbox)
            return True
        return False

    def release(self, mailbox: str) -> None:
        if mailbox not in self.held:
            return
        self.held.discard(mailbox)
        if self.connection is None:
            return
        try:
            self.connection.execute(
                sa.text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key(self.schema, mailbox)}
            )
        except _CONNECTION_ERRORS as exc:
            # The connection is gone, and the lock with it.
            log.debug("releasing the lock of %s: %s", mailbox, exc)
            self._drop()

    def check(self) -> set[str]:
        if self.connection is None:
            lost, self.held = self.held, set()
            return lost
        try:
            self.connection.exec_driver_sql("SELECT 1")
        except _CONNECTION_ERRORS as exc:
            lost, self.held = self.held, set()
            log.warning(
                "lost the database connection that holds the mailbox locks (%s): letting go of %s",
                getattr(exc, "orig", None) or exc,
                ", ".join(sorted(lost)) or "nothing",
            )
            self._drop()
            return lost
        return set()

    def live_workers(self) -> int:
        unsigned = lock_key(self.schema, None) & 0xFFFF_FFFF_FFFF_FFFF
        count = self._connection().execute(
            _LIVE_WORKERS, {"high": unsigned >> 32, "low": unsigned & 0xFFFF_FFFF}
        )
        return max(1, int(count.scalar() or 0))

    def _drop(self) -> None:
        if self.connection is not None:
            try:
                self.connection.invalidate()
                self.connection.close()
            except _CONNECTION_ERRORS:
                pass
            self.connection = None

    def close(self) -> None:
        for mailbox in sorted(self.held):
            self.release(mailbox)
        # Never back into the pool: its session would keep the presence lock.
        self._drop()


class SqliteLock:
    """The whole database for one worker: every mailbox is this worker's once it started."""

    def __init__(self, engine: Engine, worker: str) -> None:
        database = engine.url.database or ""
        self.file: IO[str] | None = None
        if not database or database == ":memory:" or database.startswith("file:"):
            return  # a private in-memory database: nobody else can see it
        self.path = Path(f"{database}.worker-lock")
        try:
            file = self.path.open("a+", encoding="utf-8")
        except OSError as exc:
            raise WorkerLockError(
                f"cannot open the worker lock {self.path}: {exc.strerror}",
                hint="the lock lives beside the SQLite database: check that folder's "
                "permissions and free space",
            ) from exc
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.seek(0)
            holder = file.read().strip() or "unknown"
            file.close()
            raise WorkerLockError(
                f"another amends worker ({holder}) is already running on the SQLite database "
                f"{database}: SQLite allows one worker per database",
                hint="stop the other worker first (systemctl stop amends), or move to "
                "PostgreSQL to run several workers that share the mailboxes",
            ) from None
        # Unbuffered: a full disk fails here or not at all (never later, when closing).
        try:
            os.ftruncate(file.fileno(), 0)
            os.pwrite(file.fileno(), f"{worker}, pid {os.getpid()}\n".encode(), 0)
        except OSError as exc:
            # Only the holder's name is lost (a second worker shows it); the lock holds.
            log.warning("could not write who holds %s: %s", self.path, exc.strerror)
        self.file = file

    def acquire(self, mailbox: str) -> bool:
        return True

    def release(self, mailbox: str) -> None:
        pass

    def check(self) -> set[str]:
        return set()

    def live_workers(self) -> int:
        return 1

    def close(self) -> None:
        if self.file is not None:
            # Unlocked by closing; the file stays (removing it would race a starting worker).
            self.file.close()
            self.file = None
