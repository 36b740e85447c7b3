"""XOAUTH2 logins against Dovecot's oauth2 passdb, with tokens issued by the test."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import Engine

from amends.config.schema import Config
from amends.mailboxes import build_watcher
from inbox.connection import capabilities, connect, logout
from inbox.errors import MailboxAuthError
from tests.fixtures.imap import ImapAccount, OAuthTokenServer


def test_xoauth2_login_with_a_valid_token_and_refusal_of_a_revoked_one(
    imap_account: ImapAccount, oauth_tokens: OAuthTokenServer
) -> None:
    token = oauth_tokens.issue(imap_account.username)
    client = connect(imap_account.endpoint(auth="xoauth2", password=token))
    try:
        assert "AUTH=XOAUTH2" in capabilities(client) or "IDLE" in capabilities(client)
        assert client.select_folder("INBOX", readonly=True)[b"EXISTS"] == 0
    finally:
        logout(client)

    oauth_tokens.revoke(token)
    with pytest.raises(MailboxAuthError) as caught:
        connect(imap_account.endpoint(auth="xoauth2", password=token))
    assert "OAuth access token was refused" in (caught.value.hint or "")
    assert token not in str(caught.value) + (caught.value.hint or "")


def token_config(tmp_path: Path, account: ImapAccount, imap: str) -> Config:
    text = account.config_toml(
        address=account.address, password_env=None, imap=f'auth = "xoauth2"\n{imap}'
    )
    return Config.model_validate(tomllib.loads(text), context={"base_dir": tmp_path})


def test_expired_token_from_the_command_is_refreshed_once(
    tmp_path: Path,
    imap_account: ImapAccount,
    oauth_tokens: OAuthTokenServer,
    engine: Engine,
) -> None:
    # The command prints the first line of its queue and drops it: an expired token first
    # (unknown to the server), then a valid one, as a real refresh would.
    queue = tmp_path / "tokens"
    queue.write_text(f"tok-expired\n{oauth_tokens.issue(imap_account.username)}\n")
    script = tmp_path / "next_token.py"
    script.write_text(
        "import pathlib, sys\n"
        "q = pathlib.Path(sys.argv[1]); lines = q.read_text().splitlines()\n"
        "print(lines[0]); q.write_text('\\n'.join(lines[1:]) + '\\n')\n"
    )
    config = token_config(
        tmp_path, imap_account, f'token_command = "{sys.executable} {script} {queue}"'
    )
    watcher = build_watcher(config, config.mailboxes[0], engine)
    client = watcher.connect()
    logout(client)
    assert queue.read_text().strip() == "", "the command ran twice: first token refused, refreshed"


def test_token_file_and_a_failing_token_command(
    tmp_path: Path,
    imap_account: ImapAccount,
    oauth_tokens: OAuthTokenServer,
    engine: Engine,
) -> None:
    (tmp_path / "token").write_text(oauth_tokens.issue(imap_account.username) + "\n")
    config = token_config(tmp_path, imap_account, 'token_file = "token"')
    logout(build_watcher(config, config.mailboxes[0], engine).connect())

    failing = token_config(tmp_path, imap_account, 'token_command = "false"')
    with pytest.raises(MailboxAuthError) as caught:
        build_watcher(failing, failing.mailboxes[0], engine).connect()
    assert "token_command exited with 1" in str(caught.value)
