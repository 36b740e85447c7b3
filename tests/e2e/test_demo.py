"""``make demo`` as CI runs it: ``python -m demo.run`` from the repository root, once.

One run (about 20 seconds) serves every test of this module: they read its output.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.imap import _require_dovecot

ROOT = Path(__file__).resolve().parents[2]
DEMO_TIMEOUT_S = 180

# The demo's own run takes the module fixture's time; the default per-test timeout is shorter.
pytestmark = pytest.mark.timeout(DEMO_TIMEOUT_S + 60)


@pytest.fixture(scope="module")
def demo() -> subprocess.CompletedProcess[str]:
    _require_dovecot()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMENDS_")}
    # Wide enough that every table row stays on one line; UTF-8 whatever the locale.
    env |= {"COLUMNS": "200", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "demo.run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        encoding="utf-8",
        timeout=DEMO_TIMEOUT_S,
        check=False,
    )


def section(output: str, start: str, end: str) -> str:
    """The output between the line holding ``start`` and the next one holding ``end``."""
    assert start in output, f"{start!r} is not in the output:\n{output}"
    after = output.split(start, 1)[1]
    assert end in after, f"{end!r} does not follow {start!r}:\n{output}"
    return after.split(end, 1)[0]


def row(table: str, name: str) -> str:
    [line] = [line for line in table.splitlines() if name in line]
    return line


def test_the_demo_exits_0_and_says_how_to_keep_the_mailbox(
    demo: subprocess.CompletedProcess[str],
) -> None:
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "Traceback" not in demo.stdout + demo.stderr
    assert "make demo-serve" in demo.stdout


def test_the_tickets_show_failure_type_owner_and_why(
    demo: subprocess.CompletedProcess[str],
) -> None:
    tickets = section(demo.stdout, "Tickets", "Not complaints")
    emma = row(tickets, "Emma Clarke")
    assert "wrong_item" in emma and " ana " in emma and "least_loaded" in emma
    okafor = row(tickets, "David Okafor")
    assert "billing_error" in okafor and "severe" in okafor and "escalation" in okafor
    for name, failure_type in [
        ("Sarah Mitchell", "rude_staff"),
        ("Tomasz Wiśniewski", "delay"),
        ("Marko Jovanović", "damaged_or_defective"),
        ("Nina Kovač", "lost_item"),
        ("Andrei Popescu", "billing_error"),
    ]:
        line = row(tickets, name)
        assert failure_type in line, line
        assert re.search(r"\d+%", line) and " by rule " in line, line
    assert len(re.findall(r"^│ \d+ ", tickets, re.MULTILINE)) == 10


def test_the_bounce_and_the_out_of_office_are_no_tickets(
    demo: subprocess.CompletedProcess[str],
) -> None:
    other = section(demo.stdout, "Not complaints", "4. A draft")
    assert "bounce" in row(other, "mailer-daemon@")
    assert "auto_reply" in row(other, "hannah.weber@example.at")
    assert other.count("on no ticket") == 2


def test_a_draft_is_shown_as_it_sits_in_drafts(demo: subprocess.CompletedProcess[str]) -> None:
    draft = section(demo.stdout, "4. A draft", "5. The agent sends it")
    assert "Subject: Re: Wrong size in order 48213" in draft
    assert "To: Emma Clarke <emma.clarke@example.co.uk>" in draft
    assert "X-Amends-Ticket:" in draft
    assert "satisfied" in draft
    assert "> I ordered the Ridgeline trail running shoes" in draft


def test_the_follow_up_reaches_the_smtp_server(demo: subprocess.CompletedProcess[str]) -> None:
    followup = section(demo.stdout, "The follow-up, as the SMTP server got it", "stopped")
    assert "RCPT TO:<emma.clarke@example.co.uk>" in followup
    assert "Subject: Re: Wrong size in order 48213" in followup
    assert "Auto-Submitted: auto-generated" in followup
    assert "satisfied" in followup
    assert "AMENDS_NOW=" in demo.stdout


def test_nothing_is_left_behind(demo: subprocess.CompletedProcess[str]) -> None:
    state = re.search(r"Demo state: (\S+)", demo.stdout)
    dovecot = re.search(r"Dovecot's files: (\S+)", demo.stdout)
    assert state and dovecot, demo.stdout
    for folder in (state.group(1), dovecot.group(1)):
        assert not Path(folder).exists(), f"{folder} is still there"
    assert not _processes_using(dovecot.group(1)), "Dovecot is still running"


def _processes_using(folder: str) -> list[str]:
    """Command lines of running processes that name ``folder`` (Dovecot's config is in it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if folder in command:
            found.append(command)
    return found
