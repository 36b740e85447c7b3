"""Security proof (issue 10, part 5): files are their owner's, and secrets stay secret."""

from __future__ import annotations

import stat
from pathlib import Path

import sqlalchemy as sa

from models.engine import make_engine
from tests.e2e.conftest import Amends
from tests.fixtures.imap import ImapAccount
from tests.fixtures.smtp import SmtpServer
from tests.integration.test_sync import mail as complaint


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_sqlite_database_and_its_journal_are_created_owner_only(tmp_path: Path) -> None:
    """The database holds customers' mail: a new one, its folder and the WAL files SQLite
    makes beside it can be read by their owner only, whatever the umask allows."""
    database = tmp_path / "new" / "amends.db"
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE t (x TEXT)"))
            connection.execute(sa.text("INSERT INTO t VALUES ('a customer wrote this')"))
        journal = [database.with_name(database.name + end) for end in ("-wal", "-shm")]
        assert all(p.exists() for p in journal), "WAL mode keeps a -wal and a -shm file"
        assert {p.name: mode(p) for p in (database, *journal)} == {
            "amends.db": 0o600,
            "amends.db-wal": 0o600,
            "amends.db-shm": 0o600,
        }
        assert mode(database.parent) == 0o700
    finally:
        engine.dispose()


def test_an_existing_database_keeps_its_permissions(tmp_path: Path) -> None:
    """Amends does not change a file the operator made (doctor reports loose ones)."""
    database = tmp_path / "amends.db"
    database.touch(mode=0o640)
    database.chmod(0o640)
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("SELECT 1"))
    finally:
        engine.dispose()
    assert mode(database) == 0o640


def test_no_password_reaches_logs_errors_status_reports_or_the_database(
    amends: Amends, tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer
) -> None:
    """Every place a password could leak to, at debug level: the worker's log with good
    credentials and with refused ones, doctor, status, a report, and the database file."""
    imap_account.append_many(
        "INBOX",
        [
            complaint(
                f"customer{i}@example.net", "Wrong item", "I got the wrong kettle, order 4411."
            )
            for i in range(3)
        ],
    )
    wrong_imap, wrong_smtp = "wrong-imap-Qv81x", "wrong-smtp-Zr27k"
    config = imap_account.config_toml(database_url="sqlite:///amends.db", imap="timeout_s = 10")
    config += (
        f'[smtp]\nhost = "{smtp_server.host}"\nport = {smtp_server.port}\n'
        f'security = "{smtp_server.security}"\nusername = "amends"\n'
        'password_env = "TEST_SMTP_PASSWORD"\ntimeout_s = 10\n'
    )
    if smtp_server.ca_file:
        config += f'ca_file = "{smtp_server.ca_file}"\n'
    (tmp_path / "amends.toml").write_text(config)
    good = {"TEST_IMAP_PASSWORD": imap_account.password, "TEST_SMTP_PASSWORD": "secret"}
    bad = {"TEST_IMAP_PASSWORD": wrong_imap, "TEST_SMTP_PASSWORD": wrong_smtp}

    runs = [
        amends("--log-level", "debug", "run", "--once", env=good),
        amends("--log-level", "debug", "--log-format", "json", "run", "--once", env=good),
        amends("--log-level", "debug", "run", "--once", env=bad),
        amends("--log-level", "debug", "doctor", env=good),
        amends("--log-level", "debug", "doctor", env=bad),
        amends("status", env=good),
        amends("report", env=good),
    ]
    assert runs[0].returncode == 0, runs[0].stderr
    assert "authentication" in (runs[2].stdout + runs[2].stderr).lower()
    said = "".join(run.stdout + run.stderr for run in runs)
    assert "LOGIN" in said or "login" in said, "the debug log shows the login it hides"
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("amends.db*"))
    for secret in (imap_account.password, wrong_imap, wrong_smtp):
        assert secret not in said
        assert secret.encode() not in stored
