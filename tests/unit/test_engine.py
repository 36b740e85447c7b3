"""make_engine: URL handling, SQLite settings, and what a user sees when the database is down."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import select

from models.engine import make_engine, parse_url, redact_url, session
from models.errors import DatabaseUnavailable, StorageError
from models.tables import metadata
from models.tickets import Customer

SECRET = "s3cret-Pa55"


@pytest.mark.parametrize(
    "url",
    [
        f"postgres://amends:{SECRET}@db.example:5433/amends",
        f"postgresql://amends:{SECRET}@db.example:5433/amends",
        f"postgresql+psycopg://amends:{SECRET}@db.example:5433/amends",
    ],
)
def test_postgres_urls_go_through_psycopg(url: str) -> None:
    parsed = parse_url(url)
    assert parsed.drivername == "postgresql+psycopg"
    assert (parsed.username, parsed.password, parsed.host, parsed.port, parsed.database) == (
        "amends",
        SECRET,
        "db.example",
        5433,
        "amends",
    )
    engine = make_engine(url)  # lazy: nothing connects
    assert engine.url.drivername == "postgresql+psycopg"
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_url_query_is_kept() -> None:
    parsed = parse_url("postgres://u@h/db?sslmode=require&options=-csearch_path%3Dtenant")
    assert parsed.query == {"sslmode": "require", "options": "-csearch_path=tenant"}


def test_sqlite_urls_are_accepted(tmp_path: Path) -> None:
    assert parse_url(f"sqlite+pysqlite:///{tmp_path}/a.db").drivername == "sqlite"
    assert parse_url("sqlite://").database is None


@pytest.mark.parametrize(
    "url", ["mysql://root@localhost/amends", "postgresql+psycopg2://u@h/db", "oracle://u@h/db"]
)
def test_unknown_schemes_are_refused(url: str) -> None:
    with pytest.raises(StorageError, match="unsupported database URL scheme") as caught:
        make_engine(url)
    assert caught.value.hint is not None and "postgresql+psycopg://" in caught.value.hint


def test_garbage_is_refused_without_echoing_the_password() -> None:
    with pytest.raises(StorageError, match="cannot parse database URL") as caught:
        make_engine(f"not a url at all, {SECRET}@host")
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"postgresql://amends:{SECRET}@db:5432/amends", "postgresql://amends:***@db:5432/amends"),
        (f"postgres://amends:{SECRET}@db/amends", "postgres://amends:***@db/amends"),
        ("postgresql://amends@db/amends", "postgresql://amends@db/amends"),
        ("sqlite:////var/lib/amends/amends.db", "sqlite:////var/lib/amends/amends.db"),
        (f"weird:://user:{SECRET}@host", "weird:://***@host"),
    ],
)
def test_redact_url_hides_the_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert SECRET not in redact_url(url)


def test_redact_url_accepts_url_objects() -> None:
    assert redact_url(parse_url(f"postgres://a:{SECRET}@h/d")) == "postgresql+psycopg://a:***@h/d"


def test_sqlite_pragmas_are_in_effect(tmp_path: Path) -> None:
    db_file = tmp_path / "nested" / "dir" / "amends.db"
    engine = make_engine(f"sqlite:///{db_file}")
    try:
        with engine.connect() as conn:
            pragma = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
            }
        assert pragma == {
            "journal_mode": "wal",
            "foreign_keys": 1,
            "busy_timeout": 30_000,
            "synchronous": 1,  # NORMAL
        }
        assert db_file.exists()  # the parent directories were created
    finally:
        engine.dispose()


def test_sqlite_transactions_are_real(tmp_path: Path) -> None:
    """DDL rolls back too: pysqlite's implicit commits are switched off."""
    engine = make_engine(f"sqlite:///{tmp_path / 'tx.db'}")
    try:
        with pytest.raises(RuntimeError), engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE scratch (id INTEGER)")
            raise RuntimeError("abort")
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_sqlite_transactions_take_the_write_lock_unless_deferred(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lock.db'}"
    writer, reader = make_engine(url), make_engine(url)
    try:
        with writer.begin() as held:
            held.exec_driver_sql("SELECT 1")
            # a deferred (read) transaction does not wait for the writer...
            deferred = reader.execution_options(sqlite_begin="DEFERRED")
            with deferred.connect() as conn:
                assert conn.exec_driver_sql("SELECT 2").scalar() == 2
            # ...an immediate one would: prove it with a short busy timeout
            with reader.connect() as conn:
                # straight on the driver connection: SQLAlchemy would begin a transaction first
                driver: Any = conn.connection.driver_connection
                driver.execute("PRAGMA busy_timeout=50")
                with pytest.raises(sa.exc.OperationalError, match="database is locked"):
                    conn.exec_driver_sql("SELECT 3")
    finally:
        writer.dispose()
        reader.dispose()


def test_in_memory_sqlite_works_for_tests() -> None:
    engine = make_engine("sqlite://")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        engine.dispose()


def test_session_commits_or_rolls_back(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    try:
        metadata.create_all(engine, tables=[metadata.tables["customer"]])
        with session(engine) as db:
            db.add(Customer(address="kept@example.com"))
        with pytest.raises(RuntimeError), session(engine) as db:
            db.add(Customer(address="dropped@example.com"))
            db.flush()
            raise RuntimeError("abort")
        with session(engine) as db:
            assert [c.address for c in db.exec(select(Customer))] == ["kept@example.com"]
    finally:
        engine.dispose()


def test_unreachable_postgres_is_database_unavailable_with_a_hint() -> None:
    engine = make_engine(f"postgresql://amends:{SECRET}@127.0.0.1:1/amends")
    try:
        with pytest.raises(DatabaseUnavailable) as caught:
            engine.connect()
    finally:
        engine.dispose()
    error = caught.value
    assert isinstance(error, ConnectionError)
    assert "cannot connect to postgresql+psycopg://amends:***@127.0.0.1:1/amends" in str(error)
    assert error.hint is not None and "127.0.0.1:1" in error.hint
    assert SECRET not in str(error) and SECRET not in error.hint


def test_unusable_sqlite_path_is_database_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(DatabaseUnavailable, match="cannot create the SQLite database"):
        make_engine(f"sqlite:///{blocker}/sub/amends.db")


def test_unopenable_sqlite_file_is_database_unavailable(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}")  # a directory, not a file
    try:
        with pytest.raises(DatabaseUnavailable, match="unable to open database file") as caught:
            engine.connect()
        assert caught.value.hint is not None and str(tmp_path) in caught.value.hint
    finally:
        engine.dispose()


def test_every_mailbox_thread_gets_a_connection_at_once(tmp_path: Path) -> None:
    """A worker with 20 mailboxes: 20 threads each hold a connection at the same moment
    (SQLAlchemy's default pool would keep five of them waiting 30 s)."""
    engine = make_engine(f"sqlite:///{tmp_path}/amends.db", threads=20)
    everyone = threading.Barrier(20, timeout=10)
    failures: list[BaseException] = []

    def hold() -> None:
        try:
            # Readers (DEFERRED): a writer would wait for the others' write lock instead.
            with engine.execution_options(sqlite_begin="DEFERRED").connect() as connection:
                connection.exec_driver_sql("SELECT 1")
                everyone.wait()
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=hold) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    engine.dispose()
    assert failures == []
