"""End-to-end throughput: a backlog of complaints to drafts in Drafts, against a bare-bones
reference, in one run (issue 9, part 1).

Starts a private Dovecot, appends N generated messages (bench/mailgen.py: six languages,
several charsets and MIME shapes, 1-50 KB, bounces and auto-replies), then measures in
separate processes:
  (a) reference: plain imapclient FETCH BODY.PEEK[] in batches of 1,000, stdlib `email`
      parsing (default policy), and MULTIAPPEND of a minimal reply per message to Drafts;
  (b) `amends run --once` from an empty SQLite database (the default model trained and
      registered beforehand, not timed) until every complaint has its draft in Drafts.
Prints both rates, the ratio b/a, the worker's time per stage (from its JSON log lines), the
drafts found in Drafts, and each run's peak memory (the process tree's VmRSS, sampled).

    .venv/bin/python bench/e2e.py --messages 5000
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
import textwrap
import time
from collections import defaultdict
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after the packages: bench/classifier.py is no package

import mailgen  # noqa: E402
from ingest import PASSWORD_ENV, compare, reference_script, run_child, write_config  # noqa: E402

from tests.fixtures.imap import DovecotServer, ImapAccount  # noqa: E402

# The ingest reference, plus a minimal reply per message, MULTIAPPENDed to Drafts per batch.
REFERENCE = reference_script(
    setup="""
    result["appended"], replies = 0, []
    """,
    per_message="""
    reply = EmailMessage()
    reply["From"] = "support@example.com"
    reply["To"] = str(msg.get("From", "customer@example.com"))
    reply["Subject"] = "Re: " + str(msg.get("Subject", ""))
    if msg.get("Message-ID"):
        reply["In-Reply-To"] = str(msg["Message-ID"])
    reply.set_content("We are sorry. Here is the fix.")
    replies.append(reply.as_bytes())
    """,
    per_batch="""
    for first in range(0, len(replies), 100):
        client.multiappend("Drafts", replies[first:first + 100])
    result["appended"] += len(replies)
    replies = []
    """,
)

PREPARE = textwrap.dedent(
    """
    import sys
    from amends.config import load_config
    from amends.database import connected, upgrade
    from amends.classify import ensure_model
    config = load_config(sys.argv[1])
    with connected(config) as engine:
        upgrade(engine)
        ensure_model(engine, config)
    print("{}")
    """
)

AMENDS = textwrap.dedent(
    """
    import json, sys, time
    import amends.cli_worker  # registers `run`
    from amends.cli import cli
    started = time.perf_counter()
    try:
        cli.main(["--config", sys.argv[1], "--log-format", "json", "--log-level", "info",
                  "run", "--once"], standalone_mode=False)
    finally:
        print(json.dumps({"seconds": time.perf_counter() - started}))
    """
)

AGENTS = """
[assignment]
triage_owner = "ana"

[[agents]]
name = "ana"
email = "ana@example.com"
languages = ["en", "sr", "pl", "sl", "ro", "ko"]
capacity = 1000000
working_hours = ["mon-sun 00:00-24:00"]
"""


def model_and_agents(folder: str) -> str:
    """Configuration lines: models kept in ``folder``, one agent who takes everything."""
    return f'\n[classifier]\nmodel_dir = "{folder}/models"\n' + AGENTS


def count(account: ImapAccount, folder: str) -> int:
    with account.client() as client:
        client.select_folder(folder, readonly=True)
        return len(client.search("ALL"))


def tickets_and_drafts(database: Path) -> dict[str, int]:
    """What the run left in its database: tickets, complaints and their drafts."""
    with closing(sqlite3.connect(database)) as db:

        def one(sql: str) -> int:
            return int(db.execute(sql).fetchone()[0])

        return {
            "tickets": one("SELECT count(*) FROM ticket"),
            "unsure": one("SELECT count(*) FROM ticket WHERE status = 'unsure'"),
            "not_a_complaint": one(
                "SELECT count(*) FROM ticket WHERE failure_type = 'not_a_complaint'"
            ),
            "complaints": one(
                "SELECT count(*) FROM ticket "
                "WHERE failure_type IS NOT NULL AND failure_type != 'not_a_complaint'"
            ),
            "appended": one("SELECT count(*) FROM draft WHERE state = 'appended'"),
            "discarded": one("SELECT count(*) FROM draft WHERE state = 'discarded'"),
        }


def stage_seconds(log_path: Path) -> dict[str, float]:
    """Seconds per worker stage and step, summed over passes, from the JSON log lines: the
    sync stage's steps (fetch, parse, store) and the drafts stage's (render, append,
    keywords) stand in for their stage."""
    totals: dict[str, float] = defaultdict(float)
    for line in log_path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if "stage" not in entry or "seconds" not in entry:
            continue
        steps = entry.get("step_seconds") or {entry["stage"]: entry["seconds"]}
        for step, seconds in steps.items():
            name = step if step == entry["stage"] else f"{entry['stage']} {step}"
            totals[name] += float(seconds)
    return dict(totals)


# The order of the figures; the other stages (labels, follow-ups) follow.
STAGE_ORDER = (
    "sync fetch",
    "sync parse",
    "sync store",
    "classify",
    "assign",
    "drafts render",
    "drafts append",
    "drafts keywords",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument(
        "--profile",
        type=Path,
        help="record the amends run with py-spy into this file: a flame graph (.svg) or "
        "collapsed stacks (.txt); the run is slower and its memory includes py-spy's",
    )
    parser.add_argument("--log", type=Path, help="keep a copy of the worker's JSON log here")
    args = parser.parse_args()
    profiler = None
    if args.profile is not None:
        form = "raw" if args.profile.suffix == ".txt" else "flamegraph"
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        profiler = [py_spy, "record", "--subprocesses", "--rate", "100", "--format", form]
        profiler += ["-o", str(args.profile), "--"]

    server = DovecotServer()
    server.start()
    try:
        reference_box, amends_box = server.add_user(), server.add_user()
        messages = mailgen.generate(args.messages)
        total_mb = sum(len(m) for m in messages) / 1e6
        started = time.perf_counter()
        for account in (reference_box, amends_box):
            account.append_many("INBOX", messages)
            account.create_folder("Drafts")
            account.create_folder("Sent")
        print(
            f"{args.messages} messages, {total_mb:.1f} MB, appended twice in "
            f"{time.perf_counter() - started:.1f} s"
        )
        ref = run_child(
            REFERENCE,
            reference_box.host,
            str(reference_box.port),
            reference_box.username,
            reference_box.password,
        )
        with tempfile.TemporaryDirectory() as folder:
            config = write_config(
                amends_box, folder, mailbox="poll_interval_s = 5", extra=model_and_agents(folder)
            )
            env = {PASSWORD_ENV: amends_box.password}
            started = time.perf_counter()
            run_child(PREPARE, str(config), env=env)
            print(f"default model trained and registered in {time.perf_counter() - started:.1f} s")
            log_path = Path(folder) / "worker.log"
            ours = run_child(AMENDS, str(config), env=env, stderr_to=log_path, prefix=profiler)
            stages = stage_seconds(log_path)
            if args.log is not None:
                shutil.copyfile(log_path, args.log)
            outcome = tickets_and_drafts(Path(folder) / "amends.db")
        drafts = count(amends_box, "Drafts")
        reference_drafts = count(reference_box, "Drafts")
    finally:
        server.stop()

    compare(
        args.messages,
        ("(a) reference: fetch, parse, MULTIAPPEND", ref),
        ("(b) amends run --once", ours),
    )
    print("target: b/a >= 0.6 at 50,000")
    print(f"drafts in Drafts: amends {drafts}, reference {reference_drafts}")
    print(
        f"amends: {outcome['tickets']} tickets ({outcome['unsure']} unsure, "
        f"{outcome['not_a_complaint']} not a complaint), {outcome['complaints']} complaints; "
        f"drafts appended {outcome['appended']}, discarded {outcome['discarded']} "
        "(no-reply and bounced addresses)"
    )
    if outcome["complaints"] != outcome["appended"] + outcome["discarded"] or (
        drafts != outcome["appended"]
    ):
        print("NOT DONE: a complaint without its draft, or Drafts and the database disagree")
    known = [s for s in STAGE_ORDER if s in stages]
    for stage in known + sorted(set(stages) - set(known)):
        print(f"  {stage:<16}{stages[stage]:>8.1f} s")
    print(f"  {'all stages':<16}{sum(stages.values()):>8.1f} s")


if __name__ == "__main__":
    main()
