"""``amends sync``, ``tickets`` and ``quarantine`` as an operator runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

from tests.e2e.conftest import Amends
from tests.fixtures.imap import ImapAccount


def mail(sender: str, subject: str, message_id: str, in_reply_to: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    msg.set_content("The blender from order 4411 arrived with a cracked jug.")
    return bytes(msg)


def setup(tmp_path: Path, account: ImapAccount) -> dict[str, str]:
    (tmp_path / "amends.toml").write_text(
        account.config_toml(database_url="sqlite:///amends.db", mailbox="poll_interval_s = 1")
    )
    return {"TEST_IMAP_PASSWORD": account.password}


def test_sync_once_then_tickets_and_quarantine(
    amends: Amends, tmp_path: Path, imap_account: ImapAccount
) -> None:
    env = setup(tmp_path, imap_account)
    imap_account.append_many(
        "INBOX",
        [
            mail("Ana <ana@example.net>", "Cracked jug", "<a1@example.net>"),
            mail("ana@example.net", "Re: Cracked jug", "<a2@example.net>", "<a1@example.net>"),
            mail("bo@example.net", "Double charge", "<b1@example.net>"),
            b"Subject: who am I\r\nMessage-ID: <x1@example.net>\r\n\r\nno sender\r\n",
        ],
    )
    synced = amends("sync", "--once", env=env)
    assert synced.returncode == 0, synced.stderr
    assert "support INBOX: 4 new, 3 stored, 2 new ticket(s), 1 threaded" in synced.stdout
    assert "1 quarantined" in synced.stdout

    listed = amends("tickets", "list")
    assert listed.returncode == 0
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert sorted((r[3], r[4]) for r in rows) == [("ana@example.net", "2"), ("bo@example.net", "1")]
    ana_ticket = next(r[0] for r in rows if r[3] == "ana@example.net")

    shown = amends("tickets", "show", ana_ticket)
    assert shown.returncode == 0
    assert "customer: ana@example.net (Ana)" in shown.stdout
    assert "In-Reply-To matched message" in shown.stdout
    assert "no match: new ticket" in shown.stdout
    assert amends("tickets", "show", "999").returncode == 1

    quarantine = amends("quarantine", "list")
    assert quarantine.returncode == 0
    (entry,) = [line.split("\t") for line in quarantine.stdout.splitlines()]
    assert "no usable sender address" in entry[-1]
    detail = amends("quarantine", "show", entry[0])
    assert "left on the server" in detail.stdout and "NoSender" in detail.stdout

    retried = amends("quarantine", "retry", entry[0], env=env)
    assert retried.returncode == 1
    assert f"entry {entry[0]}: still failing" in retried.stdout
    assert amends("quarantine", "retry").returncode == 2

    again = amends("sync", "--once", env=env)
    assert "0 new" in again.stdout


def test_sync_daemon_picks_up_mail_and_exits_cleanly_on_sigterm(
    tmp_path: Path, imap_account: ImapAccount, amends: Amends
) -> None:
    env = {**os.environ, **setup(tmp_path, imap_account)}
    process = subprocess.Popen(
        [sys.executable, "-m", "amends", "sync"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.5)
        imap_account.append("INBOX", mail("late@example.net", "Where is it", "<l1@example.net>"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if "late@example.net" in amends("tickets", "list").stdout:
                break
            time.sleep(0.3)
        else:
            raise AssertionError("the daemon did not store the new message")
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
