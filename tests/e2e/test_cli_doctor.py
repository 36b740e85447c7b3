"""``amends doctor`` and ``amends db`` against the real Dovecot, SMTP and database fixtures."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url

from tests.e2e.conftest import Amends
from tests.fixtures.imap import DovecotServer, ImapAccount
from tests.fixtures.smtp import SmtpServer

SMTP_USER, SMTP_PASSWORD = "amends", "secret"


def write_config(
    tmp_path: Path,
    account: ImapAccount,
    smtp: SmtpServer | None,
    *,
    database_url: str = "sqlite:///amends.db",
    imap_extra: str = "",
    trust_smtp_ca: bool = True,
) -> Path:
    smtp_section = ""
    if smtp is not None:
        smtp_section = f"""
[smtp]
host = "{smtp.host}"
port = {smtp.port}
security = "{smtp.security}"
username = "{SMTP_USER}"
password_env = "TEST_SMTP_PASSWORD"
timeout_s = 10
"""
        if smtp.ca_file and trust_smtp_ca:
            smtp_section += f'ca_file = "{smtp.ca_file}"\n'
    path = tmp_path / "amends.toml"
    text = account.config_toml(
        database_url=database_url,
        address=account.address,
        imap=f"timeout_s = 10\n{imap_extra}",
    )
    path.write_text(text + smtp_section)
    return path


def test_doctor_reports_all_green_against_real_servers(
    amends: Amends, tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer
) -> None:
    write_config(tmp_path, imap_account, smtp_server)
    env = {"TEST_IMAP_PASSWORD": imap_account.password, "TEST_SMTP_PASSWORD": SMTP_PASSWORD}
    result = amends("doctor", env=env)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "all checks passed" in out
    assert "fail" not in out
    for check in ("login", "capabilities", "inbox folder", "drafts folder", "sent folder"):
        assert check in out
    assert "IDLE, UIDPLUS, CONDSTORE, SPECIAL-USE, MOVE" in out
    assert "Drafts (SPECIAL-USE)" in out and "Sent (SPECIAL-USE)" in out
    assert f"authenticated as {SMTP_USER}" in out
    assert "built-in: 264 drafts and follow-ups pass the lint" in out  # 6 x 11 x 2, twice
    # A fresh database is not a failure: the worker migrates it at start.
    assert "migration(s) pending" in out
    # Doctor only looks: it sent nothing.
    assert smtp_server.messages == []


def test_doctor_with_wrong_password_fails_without_printing_it(
    amends: Amends, tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer
) -> None:
    write_config(tmp_path, imap_account, smtp_server)
    wrong_imap, wrong_smtp = "Wr0ng-imap-PASSWORD", "Wr0ng-smtp-PASSWORD"
    result = amends(
        "doctor", env={"TEST_IMAP_PASSWORD": wrong_imap, "TEST_SMTP_PASSWORD": wrong_smtp}
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert "2 check(s) failed" in output
    assert "login" in output and "refused" in output
    assert wrong_imap not in output and wrong_smtp not in output
    assert imap_account.password not in output
    assert "Traceback" not in output


def test_doctor_names_the_unset_password_variable(
    amends: Amends, tmp_path: Path, imap_account: ImapAccount
) -> None:
    write_config(tmp_path, imap_account, None)
    result = amends("doctor")
    assert result.returncode == 1
    assert "environment variable TEST_IMAP_PASSWORD is not set" in result.stdout
    assert "no [smtp] section" in result.stdout


def test_doctor_creates_missing_configured_folders(
    amends: Amends, tmp_path: Path, imap_account: ImapAccount
) -> None:
    write_config(
        tmp_path,
        imap_account,
        None,
        imap_extra='[mailboxes.folders]\ndrafts = "Team/Drafts"\nsent = "Team/Sent"\n',
    )
    env = {"TEST_IMAP_PASSWORD": imap_account.password}
    first = amends("doctor", env=env)
    assert first.returncode == 0, first.stdout
    assert "Team/Drafts (configured, created now)" in first.stdout
    with imap_account.client() as client:
        names = {name for _, _, name in client.list_folders()}
    assert {"Team/Drafts", "Team/Sent"} <= names
    second = amends("doctor", env=env)
    assert "Team/Drafts (configured)" in second.stdout


def test_doctor_verifies_the_server_certificate(
    amends: Amends, tmp_path: Path, dovecot_tls: DovecotServer, test_ca_file: str
) -> None:
    account = dovecot_tls.add_user()
    assert dovecot_tls.imaps_port is not None
    tls_account = ImapAccount(
        host="localhost",
        port=dovecot_tls.imaps_port,
        username=account.username,
        password=account.password,
        address=account.address,
        security="tls",
    )
    env = {"TEST_IMAP_PASSWORD": account.password}
    write_config(tmp_path, tls_account, None)
    untrusted = amends("doctor", env=env)
    assert untrusted.returncode == 1
    assert "certificate" in untrusted.stdout.lower()

    write_config(tmp_path, tls_account, None, imap_extra=f'ca_file = "{test_ca_file}"')
    trusted = amends("doctor", env=env)
    assert trusted.returncode == 0, trusted.stdout


def test_doctor_checks_smtp_starttls_and_its_certificate(
    amends: Amends, tmp_path: Path, imap_account: ImapAccount, smtp_server_tls: SmtpServer
) -> None:
    env = {"TEST_IMAP_PASSWORD": imap_account.password, "TEST_SMTP_PASSWORD": SMTP_PASSWORD}
    write_config(tmp_path, imap_account, smtp_server_tls)
    trusted = amends("doctor", env=env)
    assert trusted.returncode == 0, trusted.stdout
    assert "ok   smtp: encryption: TLS (starttls)" in trusted.stdout
    assert f"ok   smtp: login: authenticated as {SMTP_USER}" in trusted.stdout

    write_config(tmp_path, imap_account, smtp_server_tls, trust_smtp_ca=False)
    untrusted = amends("doctor", env=env)
    assert untrusted.returncode == 1
    assert "fail smtp: connect:" in untrusted.stdout
    assert "certificate" in untrusted.stdout.lower()
    assert smtp_server_tls.messages == []


def test_db_upgrade_and_current(amends: Amends, tmp_path: Path, db_url: str) -> None:
    # As a user writes it: the password (if the test server needs one) comes from the environment.
    url = make_url(db_url)
    bare = URL.create(
        url.drivername, url.username, None, url.host, url.port, url.database, url.query
    )
    env = {}
    config = f'[database]\nurl = "{bare.render_as_string(hide_password=False)}"\n'
    if url.password:
        env["TEST_DB_PASSWORD"] = str(url.password)
        config += 'password_env = "TEST_DB_PASSWORD"\n'
    (tmp_path / "amends.toml").write_text(config)
    before = amends("db", "current", env=env)
    assert before.returncode == 1
    assert "pending" in before.stdout

    upgraded = amends("--log-format", "json", "db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "database upgraded from empty to" in upgraded.stdout
    assert '"message": "database schema upgraded from empty to' in upgraded.stderr

    assert "already at revision" in amends("db", "upgrade", env=env).stdout
    after = amends("db", "current", env=env)
    assert after.returncode == 0
    assert "(newest)" in after.stdout


def test_db_commands_report_an_unreachable_database(amends: Amends, tmp_path: Path) -> None:
    url = "postgresql+psycopg://amends@127.0.0.1:1/amends"
    (tmp_path / "amends.toml").write_text(f'[database]\nurl = "{url}"\npassword_env = "DB_PW"\n')
    result = amends("db", "upgrade", env={"DB_PW": "db-Secret-99"})
    assert result.returncode == 1
    assert "error:" in result.stderr and "what to do:" in result.stderr
    assert "db-Secret-99" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_doctor_warns_when_others_may_read_the_database_or_the_models(
    amends: Amends, tmp_path: Path, imap_account: ImapAccount
) -> None:
    write_config(tmp_path, imap_account, None)
    env = {"TEST_IMAP_PASSWORD": imap_account.password}
    assert amends("db", "upgrade", env=env).returncode == 0
    database = tmp_path / "amends.db"
    assert database.stat().st_mode & 0o777 == 0o600, "created owner-only"
    clean = amends("doctor", env=env).stdout
    assert "readable by their owner only" in clean and "chmod go-rwx" not in clean

    database.chmod(0o644)
    result = amends("doctor", env=env)
    assert f"chmod go-rwx {database}" in " ".join(result.stdout.split())
