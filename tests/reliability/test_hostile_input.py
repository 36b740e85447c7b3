"""Hostile input end to end (issue 10, part 3): a 100 MB message, a zip bomb, a chain of
enclosed messages nested 2,000 deep and a message of 10,000 parts, in a real Dovecot mailbox
beside ordinary complaints, worked by ``amends run --once`` as a separate process.

The worker's peak memory is the proof that nothing was inflated or fetched whole: it is
measured with ``getrusage`` by a small parent process of its own (``tests.fixtures.hostile``).
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from amends.config import Config
from models.mail import Message, QuarantineEntry
from models.outbox import Draft
from tests.e2e.test_worker import drafts_in, environment
from tests.fixtures.hostile import (
    BOMB_INFLATED_BYTES,
    MB,
    huge_message,
    many_parts_message,
    measured,
    nested_message,
    normal_complaint,
    peak_mb,
    zip_bomb,
    zip_bomb_message,
)
from tests.fixtures.imap import ImapAccount
from tests.integration.test_drafts import ConfigMaker, make_config, model  # noqa: F401

AMENDS_RUN_ONCE = (sys.executable, "-m", "amends", "run", "--once")
# What the hostile pass may use beyond the ordinary one: far below what the 100 MB message costs
# fetched whole (about 750 MB more, with max_message_mb = 200) or the bomb inflated (2 GB).
EXTRA_MEMORY_MB = 48


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


@dataclass(frozen=True)
class Pass:
    """One ``amends run --once``: its exit code, what it printed, its peak memory in MB."""

    returncode: int
    output: str
    peak_mb: float


def run_once(config: Config, tmp_path: Path) -> Pass:
    peak = tmp_path / "peak-kb"
    done = subprocess.run(
        measured(AMENDS_RUN_ONCE, peak),
        cwd=tmp_path,
        env=environment(config),
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    worked = Pass(done.returncode, done.stdout + done.stderr, peak_mb(peak))
    print(f"{done.stdout}{done.stderr}peak memory {worked.peak_mb:.0f} MB")
    return worked


def stored(engine: Engine, message_id: str) -> Message:
    with Session(engine) as session:
        return session.exec(select(Message).where(Message.message_id == message_id)).one()


def drafted(engine: Engine, message_id: str) -> bool:
    with Session(engine) as session:
        query = select(Draft.id).join(Message, col(Draft.inbound_message_id) == Message.id)
        return session.exec(query.where(Message.message_id == message_id)).first() is not None


def test_the_zip_bomb_is_a_real_one() -> None:
    """What the mailbox gets is a valid archive that inflates to a gigabyte: reading its
    directory says so, and its first megabyte inflates to zeros."""
    archive = zipfile.ZipFile(io.BytesIO(zip_bomb()))
    [member] = archive.infolist()
    assert member.file_size == BOMB_INFLATED_BYTES
    assert member.compress_size < BOMB_INFLATED_BYTES // 1000
    with archive.open(member) as inflating:
        assert inflating.read(MB) == bytes(MB)


@pytest.mark.timeout(240)  # two worker passes and 100 MB into Dovecot, on a slow machine
def test_hostile_mail_is_stored_within_bounded_memory_and_complaints_get_their_drafts(
    make_config: ConfigMaker,  # noqa: F811
    engine: Engine,
    imap_account: ImapAccount,
    model: None,  # noqa: F811
    tmp_path: Path,
) -> None:
    # One process does everything (no helper processes), so its peak is the whole pass's.
    config = make_config("[worker]\nprocesses = 0\n")
    imap_account.append_many("INBOX", [normal_complaint("first@example.net", "first@example.net")])
    ordinary = run_once(config, tmp_path)
    assert ordinary.returncode == 0, ordinary.output
    assert "Traceback" not in ordinary.output
    assert drafts_in(imap_account) == 1

    imap_account.append_many(
        "INBOX",
        [
            huge_message("huge@example.net", "huge@example.net"),
            zip_bomb_message("bomb@example.net", "bomb@example.net"),
            nested_message("nested@example.net", "nested@example.net"),
            many_parts_message("parts@example.net", "parts@example.net"),
            normal_complaint("second@example.net", "second@example.net", order=4412),
        ],
    )
    hostile = run_once(config, tmp_path)
    assert hostile.returncode == 0, hostile.output
    assert "Traceback" not in hostile.output
    assert "support: done" in hostile.output

    # The complaints around the hostile mail, and those carrying it, are served as usual.
    for complaint in ("second@example.net", "bomb@example.net", "parts@example.net"):
        assert drafted(engine, complaint), f"no draft for {complaint}"
    # Above max_message_mb (25): only headers and structure fetched, the size kept, said so.
    huge = stored(engine, "huge@example.net")
    assert huge.truncated and huge.size > 100_000_000
    assert huge.body_text == "" and len(huge.headers or "") < 1000
    assert [(a["filename"], a["content_type"]) for a in huge.attachments or []] == [
        ("blender.mp4", "video/mp4")
    ]
    said = "above the 25 MB limit (max_message_mb), headers and structure only: UID 2 (99.3 MB)"
    assert said in hostile.output
    shown = subprocess.run(
        [sys.executable, "-m", "amends", "tickets", "show", str(huge.ticket_id)],
        env=environment(config),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert "above [mailboxes] max_message_mb: headers and structure only" in shown.stdout, shown
    # The archive is listed at its own size, never opened.
    bomb = stored(engine, "bomb@example.net")
    [archive] = bomb.attachments or []
    assert archive["filename"] == "invoice.zip" and archive["size"] < 2 * MB
    assert stored(engine, "nested@example.net").subject == "Fwd: Fwd: Fwd: my complaint"
    parts = stored(engine, "parts@example.net")
    assert 900 < len(parts.attachments or []) < 1000, "capped at 1,000 parts"
    with Session(engine) as session:
        assert session.exec(select(QuarantineEntry)).all() == [], "every one stored"

    extra = hostile.peak_mb - ordinary.peak_mb
    print(f"peak memory: ordinary pass {ordinary.peak_mb:.0f} MB, hostile {hostile.peak_mb:.0f}")
    assert extra < EXTRA_MEMORY_MB, f"the hostile pass used {extra:.0f} MB more"
