"""``amends report`` and ``amends event`` as a user runs them, on a seeded SQLite history."""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from models.engine import make_engine
from models.migrate import upgrade
from tests.e2e.conftest import Amends
from tests.fixtures.history import HistorySpec, Seeded, seed_history

CONFIG = """\
[database]
url = "sqlite:///amends.db"

[[mailboxes]]
name = "support"
address = "support@example.com"
[mailboxes.imap]
host = "127.0.0.1"
security = "none"
password_env = "UNUSED_IMAP_PASSWORD"

[reports]
timezone = "Europe/Belgrade"

[assignment]
triage_owner = "ana"

[[agents]]
name = "ana"
email = "ana@example.com"
timezone = "Europe/Belgrade"
working_hours = ["mon-fri 06:00-14:00"]

[[agents]]
name = "marko"
email = "marko@example.com"
timezone = "Europe/Belgrade"
working_hours = ["mon-fri 14:00-22:00"]

[[agents]]
name = "petra"
email = "petra@example.com"
timezone = "Europe/Belgrade"
working_hours = ["sat,sun 09:00-17:00"]
"""


@pytest.fixture
def history(tmp_path: Path) -> Seeded:
    (tmp_path / "amends.toml").write_text(CONFIG, encoding="utf-8")
    engine = make_engine(f"sqlite:///{tmp_path / 'amends.db'}")
    upgrade(engine)
    seeded = seed_history(engine, HistorySpec.planted())
    engine.dispose()
    return seeded


def test_events_then_a_report_in_every_format(
    amends: Amends, history: Seeded, tmp_path: Path
) -> None:
    assert history.release is not None and history.spike is not None
    at = history.release.at.astimezone(history.spec.zone).strftime("%Y-%m-%dT%H:%M")
    added = amends("event", "add", "release 2.3", "--at", at, "--detail", "new checkout")
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("event 1: release 2.3 at 2026-02-19 00:00")
    since, until = "2026-01-05", "2026-04-04"
    out = amends("report", "--since", since, "--until", until, "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["volume"]["total"] == history.tickets
    assert data["events"][0]["name"] == "release 2.3"
    assert any(c["direction"] == "up" for c in data["events"][0]["changes"])
    assert any(s["failure_type"] == "lost_item" for s in data["spikes"])

    csv_dir = tmp_path / "csv"
    done = amends("report", "--since", since, "--until", until, "--format", "csv", "--out", "csv")
    assert done.returncode == 0, done.stderr
    with (csv_dir / "volume_totals.csv").open(encoding="utf-8") as handle:
        assert sum(int(r["complaints"]) for r in csv.DictReader(handle)) == history.tickets

    html = amends(
        "report", "--since", since, "--until", until, "--format", "html", "--out", "r.html"
    )
    assert html.returncode == 0, html.stderr
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "What stands out" in page and "lost_item spiked on" in page


@pytest.fixture
def run_cli(history: Seeded, tmp_path: Path) -> Iterator[Callable[..., tuple[int, str]]]:
    """``amends ARGS`` in-process (the subprocess start-up is covered above). The CLI sets up
    logging for the whole process: the loggers are put back afterwards, so later tests'
    log captures see what they expect."""
    import amends.cli_reports  # noqa: F401  (registers the commands)
    from amends.cli import cli

    loggers = [logging.getLogger(), logging.getLogger("imapclient"), logging.getLogger("alembic")]
    saved = [(lg, lg.level, list(lg.handlers)) for lg in loggers]

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["--config", str(tmp_path / "amends.toml"), *args])
        return result.exit_code, result.output

    try:
        yield run
    finally:
        for logger, level, handlers in saved:
            logger.setLevel(level)
            logger.handlers[:] = handlers


def test_mistakes_are_explained(run_cli: Callable[..., tuple[int, str]]) -> None:
    run = run_cli
    code, output = run("report", "--since", "last tuesday")
    assert code == 1 and "cannot read 'last tuesday' as a date" in output and "30d" in output
    code, output = run("report", "--since", "2026-03-01", "--until", "2026-02-01")
    assert code == 1 and "before it starts" in output
    code, output = run("report", "--format", "csv")
    assert code == 1 and "--out" in output
    code, output = run("report", "--mailbox", "sales")
    assert code == 1 and 'no mailbox is named "sales"' in output
    code, output = run("event", "remove", "42")
    assert code == 1 and "there is no event 42" in output
    code, output = run("event", "add", "   ")
    assert code == 1 and "an event needs a name" in output
    # An empty period: a valid report that says so.
    code, output = run("report", "--since", "2030-01-01", "--until", "2030-01-07")
    assert code == 0 and "No complaints in this period" in output


def test_event_list_remove_and_the_terminal_report(
    run_cli: Callable[..., tuple[int, str]],
) -> None:
    def run(*args: str) -> str:
        code, output = run_cli(*args)
        assert code == 0, output
        return output

    assert "no events" in run("event", "list")
    assert run("event", "add", "new courier", "--at", "2026-03-01T08:00", "--mailbox", "support")
    listed = run("event", "list")
    assert "new courier" in listed and "2026-03-01 08:00" in listed and "support" in listed
    table = run("report", "--since", "2026-01-05", "--until", "2026-04-04")
    assert "What stands out" in table and "lost_item spiked on" in table
    assert "Change marker: new courier" in table
    assert "removed event 1: new courier" in run("event", "remove", "1")
    assert "no events" in run("event", "list")
