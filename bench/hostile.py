"""Hostile input: time and memory per message for a 100 MB message, a zip bomb and a message of
10,000 parts, against an ordinary complaint measured in the same run (issue 10, part 3).

For each message (tests/fixtures/hostile.py builds them):
  (a) parse stage alone: ``inbox.store.prepare`` (parse and kind, what the worker does per
      message) on the whole message in a fresh process, after a warm-up message; seconds per
      message and the memory it took above what the process held before (the message itself
      included). The worker never parses a message above max_message_mb whole: this is the
      parser's own bound, for a limit set higher;
  (b) the whole worker pass: ``amends run --once`` over a mailbox holding only that message,
      one process ([worker] processes = 0) on one SQLite database with the default model
      (trained beforehand, not measured): its sync stage's seconds (fetch, parse, store: the
      message's own cost) and the pass's peak memory (getrusage of the worker's process).
A 24 MB message, just below the default max_message_mb of 25 and so fetched and parsed whole,
shows the most one message can cost with the default settings.

    .venv/bin/python bench/hostile.py
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after the packages: bench/classifier.py is no package

from e2e import PREPARE, model_and_agents, stage_seconds  # noqa: E402
from ingest import PASSWORD_ENV, run_child  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from tests.fixtures.hostile import (  # noqa: E402
    MB,
    huge_message,
    many_parts_message,
    measured,
    normal_complaint,
    peak_mb,
    zip_bomb,
    zip_bomb_message,
)
from tests.fixtures.imap import DovecotServer, ImapAccount  # noqa: E402

PARSE = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from inbox.fetch import FetchedMessage
    from inbox.store import prepare

    def status_kb(field):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])

    def fetched(raw):
        return FetchedMessage(uid=1, size=len(raw), internal_date=None, flags=(), raw=raw)

    # Imports and the language model are loaded by a first message, not counted.
    prepare(fetched(b"From: a@example.net\\r\\n\\r\\nMy parcel never arrived and nobody answers."))
    raw = Path(sys.argv[1]).read_bytes()
    repeat = int(sys.argv[2])
    # The high-water mark starts again from here (getrusage's would include the parent's
    # peak, inherited at exec, and this process's own start-up).
    Path("/proc/self/clear_refs").write_text("5")
    before = status_kb("VmRSS:")
    started = time.perf_counter()
    for _ in range(repeat):
        prepared = prepare(fetched(raw))
    seconds = (time.perf_counter() - started) / repeat
    parsed = prepared.parsed
    print(json.dumps({
        "seconds": seconds,
        "extra_kb": max(0, status_kb("VmHWM:") - before),
        "defects": list(parsed.defects) if parsed else [prepared.error],
    }))
    """
)


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[str, str], bytes]
    repeat: int  # parse repetitions: enough for a steady figure on the small ones


@dataclass
class Result:
    case: Case
    size: int
    parse_s: float = 0.0
    parse_extra_mb: float = 0.0
    defects: tuple[str, ...] = ()
    sync_s: float = 0.0
    pass_s: float = 0.0
    pass_peak_mb: float = 0.0
    stored: str = ""


def cases(huge_mb: int, parts: int) -> list[Case]:
    return [
        Case("normal complaint (baseline)", normal_complaint, 200),
        Case(f"{huge_mb} MB message", lambda s, m: huge_message(s, m, huge_mb * MB), 1),
        Case("24 MB message (below the limit)", lambda s, m: huge_message(s, m, 24 * MB), 1),
        Case("zip bomb (1 GiB of zeros)", zip_bomb_message, 5),
        Case(f"{parts:,} parts", lambda s, m: many_parts_message(s, m, parts), 2),
    ]


def parse_alone(case: Case, raw: bytes, folder: Path) -> dict[str, object]:
    path = folder / "message.eml"
    path.write_bytes(raw)
    result = run_child(PARSE, str(path), str(case.repeat))
    path.unlink()
    return result


def worker_pass(account: ImapAccount, name: str, folder: Path) -> tuple[float, float, float]:
    """``amends run --once`` over ``account`` alone: sync seconds, pass seconds, peak MB."""
    config = folder / f"{name}.toml"
    config.write_text(
        account.config_toml(
            database_url=f"sqlite:///{folder}/amends.db",
            name=name,
            imap="timeout_s = 120",
            password_env=PASSWORD_ENV,
        )
        + model_and_agents(str(folder))
        + "\n[worker]\nprocesses = 0\n"
    )
    log_path, peak = folder / f"{name}.log", folder / f"{name}.peak"
    command = [sys.executable, "-m", "amends", "--config", str(config), "--log-format", "json"]
    started = time.perf_counter()
    with log_path.open("w") as log:
        done = subprocess.run(
            measured([*command, "run", "--once"], peak),
            cwd=ROOT,
            env={**os.environ, PASSWORD_ENV: account.password},
            stdout=subprocess.DEVNULL,
            stderr=log,
            check=False,
        )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"amends run --once failed:\n{log_path.read_text()[-3000:]}")
    sync = sum(s for step, s in stage_seconds(log_path).items() if step.startswith("sync "))
    return sync, seconds, peak_mb(peak)


def how_stored(database: Path, name: str) -> str:
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as db:
            row = db.execute(
                text("SELECT truncated, attachments, ticket_id FROM message WHERE mailbox = :m"),
                {"m": name},
            ).first()
            quarantined = db.execute(
                text("SELECT reason FROM quarantine_entry WHERE mailbox = :m"), {"m": name}
            ).first()
    finally:
        engine.dispose()
    if quarantined is not None:
        return f"quarantined: {quarantined[0]}"
    if row is None:
        return "not stored"
    attachments = json.loads(row[1]) if row[1] else []
    files = f"{len(attachments)} attachments"
    if len(attachments) == 1:
        files = f"1 attachment of {attachments[0]['size'] / MB:.1f} MB"
    return ("truncated: headers and structure, " if row[0] else "whole, ") + files


def check_bomb() -> str:
    """Inflate the bomb once (streaming) to show it is real."""
    archive = zipfile.ZipFile(io.BytesIO(zip_bomb()))
    [member] = archive.infolist()
    started, inflated = time.perf_counter(), 0
    with archive.open(member) as stream:
        while chunk := stream.read(16 * MB):
            inflated += len(chunk)
    return (
        f"zip bomb: a {member.compress_size / MB:.2f} MB archive whose {member.filename} "
        f"inflates to {inflated:,} bytes (inflated here in {time.perf_counter() - started:.1f} s)"
    )


def table(results: list[Result]) -> Table:
    base = results[0]
    out = Table(title="Hostile input: per message, against an ordinary complaint")
    for column in ("message", "MB"):
        out.add_column(column)
    for column in ("parse s", "parse +MB", "sync s", "pass s", "pass peak MB", "vs normal"):
        out.add_column(column, justify="right")
    out.add_column("stored as")
    for r in results:
        out.add_row(
            r.case.name,
            f"{r.size / MB:.1f}",
            f"{r.parse_s:.4f}",
            f"{r.parse_extra_mb:.0f}",
            f"{r.sync_s:.2f}",
            f"{r.pass_s:.1f}",
            f"{r.pass_peak_mb:.0f}",
            "" if r is base else f"{round(r.pass_peak_mb - base.pass_peak_mb):+d} MB",
            r.stored,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--huge-mb", type=int, default=100, help="size of the huge message")
    parser.add_argument("--parts", type=int, default=10_000, help="parts of the many-part one")
    args = parser.parse_args()
    console = Console(width=160)
    console.print(check_bomb())

    results: list[Result] = []
    server = DovecotServer()
    server.start()
    try:
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            started = time.perf_counter()
            # The model is trained and registered once: every pass uses the same database.
            first = folder / "prepare.toml"
            first.write_text(
                server.add_user().config_toml(database_url=f"sqlite:///{folder}/amends.db")
                + model_and_agents(name)
            )
            run_child(PREPARE, str(first))
            console.print(f"default model trained in {time.perf_counter() - started:.1f} s")
            for number, case in enumerate(cases(args.huge_mb, args.parts)):
                raw = case.build(f"sender{number}@example.net", f"m{number}@example.net")
                result = Result(case, len(raw))
                parsed = parse_alone(case, raw, folder)
                result.parse_s = float(parsed["seconds"])  # type: ignore[arg-type]
                result.parse_extra_mb = float(parsed["extra_kb"]) / 1024  # type: ignore[arg-type]
                account = server.add_user()
                account.append_many("INBOX", [raw])
                del raw
                mailbox = f"case{number}"
                result.sync_s, result.pass_s, result.pass_peak_mb = worker_pass(
                    account, mailbox, folder
                )
                result.stored = how_stored(folder / "amends.db", mailbox)
                results.append(result)
                console.print(f"{case.name}: done; parse defects {parsed['defects']}")
    finally:
        server.stop()
    console.print(table(results))
    console.print(
        "parse: inbox.store.prepare on the whole message, per message; +MB above what the "
        "process held before (the message included). sync: the worker's sync stage (fetch, "
        "parse, store). pass: the whole `amends run --once` (start-up and model load "
        "included), one process; vs normal: its peak against the baseline's."
    )


if __name__ == "__main__":
    main()
