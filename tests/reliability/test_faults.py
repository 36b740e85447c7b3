"""Fault proofs (issue 10, part 2): the worker reports, recovers, and loses and doubles nothing."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.e2e.conftest import Amends
from tests.fixtures.imap import ImapAccount
from tests.integration.test_sync import mail


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB tmpfs: a disk that fills up. Needs root (as `make test` runs in CI)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.timeout(300)  # three runs of the CLI, one training the default model
def test_a_full_disk_stops_the_sync_with_a_clear_error_and_loses_nothing(
    amends: Amends, tmp_path: Path, small_disk: Path, imap_account: ImapAccount
) -> None:
    body = "My order 4411 never came and nobody answers. " * 400  # about 18 KB each
    imap_account.append_many(
        "INBOX", [mail(f"c{i}@example.net", f"Late {i}", body) for i in range(80)]
    )
    database = small_disk / "amends.db"
    (tmp_path / "amends.toml").write_text(
        imap_account.config_toml(database_url=f"sqlite:///{database}", imap="timeout_s = 10")
    )
    env = {"TEST_IMAP_PASSWORD": imap_account.password}

    for command in (["sync", "--once"], ["run", "--once"]):
        full = amends(*command, env=env)
        said = full.stdout + full.stderr
        assert full.returncode != 0, said
        assert "is full" in said and "free space on that disk" in said, said
        assert "Traceback" not in said

    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    again = amends("run", "--once", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    engine = sa.create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            stored = connection.execute(
                sa.text("SELECT COUNT(*), COUNT(DISTINCT uid) FROM message")
            )
            assert tuple(stored.one()) == (80, 80)
            quarantined = connection.execute(sa.text("SELECT COUNT(*) FROM quarantine_entry"))
            assert quarantined.scalar_one() == 0
    finally:
        engine.dispose()
