"""Many mailboxes: M mailboxes with N messages each, one `amends run --once`; total time and
per-mailbox lag.

Starts a private Dovecot with M accounts, appends N generated messages (bench/mailgen.py, a
different seed per mailbox) to each INBOX and creates Drafts and Sent, writes one amends
configuration with M [[mailboxes]] (each its own name, address, login and password variable)
on one database — a SQLite file, or with --database-url a fresh PostgreSQL database created for
the run and dropped afterwards — and trains and registers the default model (not timed, as
bench/e2e.py does). Then one worker, `amends run --once` (bench/e2e.py's child, its JSON logs at
debug level), works every mailbox (one thread each) until nothing is left. A mailbox that
fails is a result, not the end of the benchmark: its error is reported with the rest.

mailgen's senders are customer0@example.net, customer1@... whatever the seed, so by default
the same customers write to every mailbox at once; --distinct-customers gives each mailbox
customers of its own (customer7@m3.example.net), which takes the contention over the shared
customer rows out of the figures.

A mailbox's lag is the time from the worker's start (just before its process is launched)
until its thread let go of the mailbox after its last pass: every stage done, drafts appended
included. It comes from the worker's log, whose lines carry the time they were written (wall
clock, the same as this process's): the "<mailbox>: let go of the mailbox" line, else the
mailbox's last stage line. Watching 50 Drafts folders from here instead would load the machine
the worker runs on and say nothing about the stages after the drafts. Also from the log: when
each mailbox's last draft was appended (its last drafts stage line that appended some).

Then, with --rounds R (default 3), the steady state a support team lives in: the daemon
`amends run` starts over the drained mailboxes and waits on IDLE in each; every round APPENDs
one clear complaint (bench/latency.py's) to every INBOX at once, and each mailbox's Drafts is
polled from a connection of this process (NOOP, then SEARCH for the draft's In-Reply-To)
until the draft is there: that mailbox's lag for new mail. The next round starts when every
draft is in (or after --timeout).

Prints the total time, the median and largest lag, the slowest mailboxes, the drafts found in
each mailbox's Drafts, the worker's time per stage and step (summed over mailboxes: the threads
run concurrently, so the sum exceeds the total), the errors and warnings it logged, grouped,
and its peak memory (the process tree's VmRSS, sampled).

    .venv/bin/python bench/mailboxes.py --mailboxes 50 --messages 200 --rounds 3
    .venv/bin/python bench/mailboxes.py --distinct-customers --database-url \\
        postgresql+psycopg://amends_test:amends_test@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after the packages: bench/classifier.py is no package

import mailgen  # noqa: E402
from e2e import AGENTS, AMENDS, PREPARE, count, stage_seconds  # noqa: E402
from ingest import run_child  # noqa: E402
from latency import LAST_STAGE, Worker, complaint, percentile  # noqa: E402

from tests.fixtures.imap import DovecotServer, ImapAccount  # noqa: E402

PASSWORD_ENV = "BENCH_IMAP_PASSWORD_{}"  # noqa: S105 (variable names, one per mailbox)
DATABASE_PASSWORD_ENV = "BENCH_DATABASE_PASSWORD"  # noqa: S105 (a variable name)
TARGET_LAG_S = 30.0
SLOWEST = 5
# e2e.py's child at debug level: a stage with nothing to do logs its line only there, and the
# labels and followups stages (creating the label folders, reading Sent) are part of the lag.
_INFO = '"--log-level", "info"'
WORKER = AMENDS.replace(_INFO, '"--log-level", "debug"') if _INFO in AMENDS else None
# Runs that child's code (its first argument) and always exits 0, printing its exit status:
# run_child gives up on a child that failed, while a mailbox that failed is a result here.
EXIT_STATUS = textwrap.dedent(
    """
    import json, sys
    try:
        exec(compile(sys.argv.pop(1), "<amends run --once>", "exec"))
    except SystemExit as exc:
        status = exc.code
    else:
        status = 0
    if status is None:
        status = 0
    elif not isinstance(status, int):  # sys.exit("a message")
        print(status, file=sys.stderr)
        status = 1
    print(json.dumps({"exit": status}))
    """
)
STATE = re.compile(r"^(?P<mailbox>[a-z0-9_-]+): (?P<state>done|failed) \((?P<passes>\d+) pass")
FAILURE = re.compile(r"^(?P<mailbox>[a-z0-9_-]+): (?P<error>.+)$")
# amends/worker.py's MailboxRunner.run(), at the end of the mailbox's last pass.
LET_GO = re.compile(r"^(?P<mailbox>[a-z0-9_-]+): let go of the mailbox after (?P<passes>\d+) ")
APPENDED = re.compile(r"(\d+) appended")
# A traceback's line that names an exception: "sqlalchemy.exc.TimeoutError: QueuePool ...".
EXCEPTION = re.compile(r"^[\w.]*(Error|Exception|Exit|Interrupt)\b[\w.]*: ")


@dataclass
class Lag:
    mailbox: str
    done: float | None = None  # seconds from the worker's start to the end of its last pass
    last_draft: float | None = None  # ... to its last drafts stage line that appended some
    appended: int = 0  # drafts appended, from the log
    passes: int | None = None
    drafts: int = 0  # drafts found in its Drafts folder afterwards
    state: str = "-"  # done or failed, as `amends run --once` printed it
    error: str | None = None  # the first line of its error


def mailbox_name(index: int) -> str:
    return f"box-{index:03d}"


def log_entries(path: Path) -> Iterator[dict[str, Any]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and "time" in entry:
            entry["at"] = datetime.fromisoformat(entry["time"]).timestamp()
            yield entry


def lags(log_path: Path, names: list[str], started: float) -> dict[str, Lag]:
    """Per mailbox, from the worker's log: when it was done and when its last draft went in."""
    found = {name: Lag(name) for name in names}
    last_line: dict[str, float] = {}
    for entry in log_entries(log_path):
        at = entry["at"] - started
        let_go = LET_GO.match(str(entry.get("message", "")))
        if let_go and let_go["mailbox"] in found:
            lag = found[let_go["mailbox"]]
            lag.done, lag.passes = at, int(let_go["passes"])
        box = entry.get("mailbox")
        if box not in found or "stage" not in entry:
            continue
        last_line[box] = at
        appended = APPENDED.search(str(entry.get("outcome", "")))
        if entry["stage"] == "drafts" and appended:
            found[box].last_draft = at
            found[box].appended += int(appended[1])
    for box, lag in found.items():
        if lag.done is None:
            lag.done = last_line.get(box)
    return found


def start_up(log_path: Path, started: float) -> float | None:
    """Seconds from the worker's launch to its "worker ... starting" line (imports, the
    configuration, the schema upgrade)."""
    for entry in log_entries(log_path):
        message = str(entry.get("message", ""))
        if message.startswith("worker ") and " starting: " in message:
            return float(entry["at"]) - started
    return None


def problems(log_path: Path) -> Counter[str]:
    """The worker's warnings and errors, by stage and exception (the last line of the
    traceback that names one), else by the first line of the message, numbers left out."""
    found: Counter[str] = Counter()
    for entry in log_entries(log_path):
        if entry.get("level") not in ("warning", "error", "critical"):
            continue
        lines = [line for line in str(entry.get("error", "")).splitlines() if EXCEPTION.match(line)]
        if lines:
            what = lines[-1]
        else:  # a message: its first line, without the UIDs and addresses that vary
            what = str(entry.get("message", "")).split("\n")[0]
            what = re.sub(r"\d+", "N", what.replace(str(entry.get("mailbox")), "<mailbox>"))
        stage = f"{entry['stage']}: " if entry.get("stage") else ""
        found[f"{entry['level']}: {stage}{what[:160]}"] += 1
    return found


@contextlib.contextmanager
def database(url: str | None, folder: str) -> Iterator[tuple[str, dict[str, str]]]:
    """The [database] section for the run and the environment it needs: a SQLite file in
    ``folder``, or a fresh database on the PostgreSQL server of ``url``, dropped afterwards."""
    if url is None:
        yield f'[database]\nurl = "sqlite:///{folder}/amends.db"\n', {}
        return
    server = make_url(url)
    name = f"amends_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    print(f"PostgreSQL database {name} created on {server.host}:{server.port or 5432}")
    try:
        # amends refuses a password inside the URL: it goes in an environment variable.
        ours = sa.URL.create(
            server.drivername,
            username=server.username,
            host=server.host,
            port=server.port,
            database=name,
            query=server.query,
        ).render_as_string(hide_password=False)
        section = f'[database]\nurl = "{ours}"\n'
        env = {}
        if server.password:
            section += f'password_env = "{DATABASE_PASSWORD_ENV}"\n'
            env[DATABASE_PASSWORD_ENV] = str(server.password)
        yield section, env
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
        print(f"PostgreSQL database {name} dropped")


def own_customers(raw: bytes, index: int) -> bytes:
    """``raw`` with its sender made this mailbox's own: customer7@m3.example.net."""
    own = rb"\1@m%d.example.net" % index
    return re.sub(rb"(?m)^(From:[^\r\n]*?)@example\.net", own, raw, count=1)


def fill(server: DovecotServer, mailboxes: int, messages: int, distinct: bool) -> list[ImapAccount]:
    """``mailboxes`` accounts, each with ``messages`` generated messages in INBOX."""
    accounts = []
    total_mb = 0.0
    started = time.perf_counter()
    for index in range(mailboxes):
        account = server.add_user()
        generated = mailgen.generate(messages, seed=1000 + index)
        if distinct:
            generated = [own_customers(raw, index) for raw in generated]
        total_mb += sum(len(m) for m in generated) / 1e6
        account.append_many("INBOX", generated)
        account.create_folder("Drafts")
        account.create_folder("Sent")
        accounts.append(account)
    print(
        f"{mailboxes} mailboxes x {messages} messages, {total_mb:.1f} MB, appended in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return accounts


def configuration(accounts: list[ImapAccount], database_section: str, folder: str) -> str:
    """One [[mailboxes]] per account, each with its own password variable."""
    parts = [database_section]
    for index, account in enumerate(accounts):
        parts.append(
            account.config_toml(
                name=mailbox_name(index),
                address=f"support{index}@example.com",
                mailbox="poll_interval_s = 5",
                imap="timeout_s = 120",
                password_env=PASSWORD_ENV.format(index),
            )
        )
    parts.append(f'\n[classifier]\nmodel_dir = "{folder}/models"\n')
    parts.append(AGENTS)
    return "\n".join(parts)


@dataclass
class Outcome:
    exit: int  # of `amends run --once`: 1 when a mailbox failed
    seconds: float | None  # inside the worker process, as e2e.py's child measures it
    peak_kb: float
    printed: list[str]  # its standard output: a line per mailbox (errors go to the log)


def run_worker(config: Path, env: dict[str, str], log_path: Path) -> Outcome:
    """e2e.py's `amends run --once` child (at debug level), whatever its exit status."""
    if WORKER is None:
        print("(e2e.py's AMENDS changed: logging at its level; stages with nothing to do unseen)")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # run_child prints the child's output
        result = run_child(EXIT_STATUS, WORKER or AMENDS, str(config), env=env, stderr_to=log_path)
    lines = [line.removeprefix("  ") for line in printed.getvalue().splitlines()]
    seconds = None
    for line in lines:
        if line.startswith('{"seconds"'):
            seconds = float(json.loads(line)["seconds"])
    lines = [line for line in lines if line.strip() and not line.startswith('{"seconds"')]
    return Outcome(int(result["exit"]), seconds, result["peak_kb"], lines)


def states(outcome: Outcome, log_path: Path, found: dict[str, Lag]) -> None:
    """Each mailbox's state (from what `amends run --once` printed) and last error (which it
    wrote to standard error, the log file, as plain lines among the JSON ones)."""
    for line in outcome.printed:
        if (state := STATE.match(line)) and state["mailbox"] in found:
            found[state["mailbox"]].state = state["state"]
    for line in log_path.read_text(encoding="utf-8").splitlines():
        if line.startswith("{"):
            continue
        if (failure := FAILURE.match(line)) and failure["mailbox"] in found:
            found[failure["mailbox"]].error = failure["error"]


@dataclass
class Steady:
    """New mail once the backlog is done: per round, every mailbox's APPEND-to-draft time."""

    rounds: list[dict[str, float | None]] = field(default_factory=list)
    ready_s: float | None = None  # daemon start until every mailbox had its first pass
    exit: int | None = None  # the daemon's exit code after SIGTERM (None: killed)


class DraftsPoller:
    """One connection per mailbox with its Drafts open: APPENDs go to INBOX through it, and
    NOOP shows Drafts growing (as bench/latency.py's DraftWatcher, for many mailboxes)."""

    def __init__(self, stack: ExitStack, accounts: list[ImapAccount]) -> None:
        self.clients = [stack.enter_context(account.client()) for account in accounts]
        self.exists = [
            int(client.select_folder("Drafts", readonly=True)[b"EXISTS"]) for client in self.clients
        ]

    def append_everywhere(self, run: str, round_: int) -> list[tuple[str, float]]:
        """One complaint into every INBOX, one after the other: Message-ID and when each
        APPEND returned."""
        sent = []
        for index, client in enumerate(self.clients):
            message_id, raw = complaint(round_ * len(self.clients) + index, run)
            client.append("INBOX", raw)
            sent.append((message_id, time.perf_counter()))
        return sent

    def wait(self, sent: list[tuple[str, float]], timeout: float) -> list[float | None]:
        """Seconds from each APPEND until its draft was seen (None: not within timeout)."""
        found: list[float | None] = [None] * len(sent)
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline and None in found:
            for index, client in enumerate(self.clients):
                if found[index] is not None:
                    continue
                _, responses = client.noop()
                seen = time.perf_counter()
                for response in responses:
                    if isinstance(response, tuple) and response[1:] == (b"EXISTS",):
                        self.exists[index] = int(response[0])
                message_id, appended = sent[index]
                if self.exists[index] and client.search(["HEADER", "In-Reply-To", message_id]):
                    found[index] = seen - appended
            time.sleep(0.05)
        return found


def steady_state(
    config: Path,
    env: dict[str, str],
    folder: str,
    accounts: list[ImapAccount],
    rounds: int,
    timeout: float,
) -> Steady:
    """`amends run` (the daemon) over the drained mailboxes, waiting on IDLE in each; then,
    ``rounds`` times, one complaint into every mailbox at once, each timed until its draft
    is in that mailbox's Drafts, the next round once all are (or the timeout passed)."""
    steady = Steady()
    names = {mailbox_name(i) for i in range(len(accounts))}
    started = time.perf_counter()
    worker = Worker.start(config, Path(folder) / "daemon.log", env)
    try:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            worker.alive()
            entries = worker.log.refresh()
            passed = {e.get("mailbox") for e in entries if e.get("stage") == LAST_STAGE}
            if names <= passed:
                steady.ready_s = time.perf_counter() - started
                break
            time.sleep(0.1)
        time.sleep(1.0)  # the last ones back on IDLE
        run = secrets.token_hex(3)
        with ExitStack() as stack:
            poller = DraftsPoller(stack, accounts)
            for round_ in range(rounds):
                sent = poller.append_everywhere(run, round_)
                lags = poller.wait(sent, timeout)
                steady.rounds.append({mailbox_name(i): lag for i, lag in enumerate(lags)})
                worker.alive()
                time.sleep(2.0)  # passes end, threads back on IDLE
    finally:
        steady.exit, _ = worker.stop(60)
    return steady


def report_steady(steady: Steady, mailboxes: int) -> None:
    lags = [lag for round_ in steady.rounds for lag in round_.values() if lag is not None]
    missing = sum(1 for round_ in steady.rounds for lag in round_.values() if lag is None)
    ready = "-" if steady.ready_s is None else f"{steady.ready_s:.1f} s"
    print(
        f"new mail after the backlog: `amends run` on IDLE in {mailboxes} mailboxes (first "
        f"passes done {ready} after its start), {len(steady.rounds)} round(s) of one complaint "
        "into every mailbox at once; APPEND to draft in that mailbox's Drafts:"
    )
    if lags:
        print(
            f"  median {statistics.median(lags):.2f} s, p95 {percentile(lags, 0.95):.2f} s, "
            f"max {max(lags):.2f} s, min {min(lags):.2f} s over {len(lags)} messages"
            + (f"; {missing} without a draft in time" if missing else "")
        )
        for number, round_ in enumerate(steady.rounds, 1):
            values = [lag for lag in round_.values() if lag is not None]
            if values:
                print(
                    f"  round {number}: median {statistics.median(values):.2f} s, "
                    f"max {max(values):.2f} s"
                )
        over = sum(1 for lag in lags if lag >= TARGET_LAG_S) + missing
        print(
            f"  target: every mailbox's lag < {TARGET_LAG_S:.0f} s with one worker: "
            f"{over} of {len(lags) + missing} at or over it"
        )
    print(f"  the daemon's exit on SIGTERM: {steady.exit}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mailboxes", type=int, default=50)
    parser.add_argument("--messages", type=int, default=200, help="messages per mailbox")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server instead of SQLite, such as postgresql+psycopg://amends_test:"
        "amends_test@127.0.0.1:5432/postgres (its user may create databases): a fresh "
        "database is created on it for the run and dropped afterwards",
    )
    parser.add_argument(
        "--distinct-customers",
        action="store_true",
        help="give every mailbox customers of its own; by default mailgen's senders "
        "(customer0@example.net, customer1@...) write to every mailbox at once",
    )
    parser.add_argument("--log", type=Path, help="keep a copy of the worker's JSON log here")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="after the backlog, rounds of new mail with the daemon on IDLE (0: none)",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per round at most")
    args = parser.parse_args()

    names = [mailbox_name(i) for i in range(args.mailboxes)]
    server = DovecotServer()
    server.start()
    try:
        accounts = fill(server, args.mailboxes, args.messages, args.distinct_customers)
        with (
            tempfile.TemporaryDirectory() as folder,
            database(args.database_url, folder) as (section, env),
        ):
            config = Path(folder) / "amends.toml"
            config.write_text(configuration(accounts, section, folder))
            for index, account in enumerate(accounts):
                env[PASSWORD_ENV.format(index)] = account.password
            started = time.perf_counter()
            run_child(PREPARE, str(config), env=env)
            print(f"default model trained and registered in {time.perf_counter() - started:.1f} s")
            log_path = Path(folder) / "worker.log"
            wall_start, started = time.time(), time.perf_counter()
            outcome = run_worker(config, env, log_path)
            total = time.perf_counter() - started
            if args.log is not None:
                shutil.copyfile(log_path, args.log)
            found = lags(log_path, names, wall_start)
            ready = start_up(log_path, wall_start)
            stages = stage_seconds(log_path)
            trouble = problems(log_path)
            states(outcome, log_path, found)
            for index, account in enumerate(accounts):
                found[mailbox_name(index)].drafts = count(account, "Drafts")
            steady = None
            if args.rounds > 0:
                steady = steady_state(config, env, folder, accounts, args.rounds, args.timeout)
    finally:
        server.stop()
    report(args.mailboxes * args.messages, outcome, total, ready, found)
    if steady is not None:
        report_steady(steady, args.mailboxes)
    print("worker's time per stage, summed over the mailboxes:")
    for stage, seconds in sorted(stages.items(), key=lambda kv: -kv[1]):
        print(f"  {stage:<16}{seconds:>8.1f} s")
    if trouble:
        print(f"the worker logged {trouble.total()} warning(s)/error(s); the most frequent:")
        for line, times in trouble.most_common(6):
            print(f"  {times:>4} x {line}")


def report(
    messages: int, outcome: Outcome, total: float, ready: float | None, found: dict[str, Lag]
) -> None:
    done = sum(1 for lag in found.values() if lag.state == "done")
    print(f"amends run --once: exit {outcome.exit}, {done} of {len(found)} mailboxes done")
    errors = Counter(lag.error.split("\n")[0][:160] for lag in found.values() if lag.error)
    for error, times in errors.most_common(5):
        print(f"  {times:>3} mailbox(es): {error}")
    inside = "" if outcome.seconds is None else f" ({outcome.seconds:.1f} s inside the worker)"
    print(
        f"total: {total:.1f} s{inside}, {messages / total:.0f} msg/s; "
        f"peak memory {outcome.peak_kb / 1024:.0f} MB"
    )
    if ready is not None:
        print(f"worker start-up (launch to its 'starting' log line): {ready:.1f} s")

    known = [lag for lag in found.values() if lag.done is not None]
    missing = sorted(set(found) - {lag.mailbox for lag in known})
    if missing:
        print(f"no lag found in the log for {len(missing)} mailbox(es): {', '.join(missing)}")
    if known:
        done_lags = [lag.done for lag in known if lag.done is not None]
        print(
            f"lag (worker start to the mailbox's last pass done, failed ones too): median "
            f"{statistics.median(done_lags):.1f} s, max {max(done_lags):.1f} s, "
            f"min {min(done_lags):.1f} s"
        )
        drafted = [lag.last_draft for lag in known if lag.last_draft is not None]
        if drafted:
            print(
                f"last draft appended: median {statistics.median(drafted):.1f} s, "
                f"max {max(drafted):.1f} s after the worker's start"
            )
        print(f"slowest {min(SLOWEST, len(known))}:")
        print(f"  {'mailbox':<10}{'lag s':>8}{'last draft s':>14}{'passes':>8}{'drafts':>8}  state")
        for lag in sorted(known, key=lambda lag: -(lag.done or 0.0))[:SLOWEST]:
            last = "-" if lag.last_draft is None else f"{lag.last_draft:.1f}"
            passes = "-" if lag.passes is None else str(lag.passes)
            print(
                f"  {lag.mailbox:<10}{lag.done or 0.0:>8.1f}{last:>14}{passes:>8}"
                f"{lag.drafts:>8}  {lag.state}"
            )
        over = sum(1 for value in done_lags if value >= TARGET_LAG_S)
        print(
            f"target: every mailbox's lag < {TARGET_LAG_S:.0f} s with one worker "
            f"(measured, not asserted): {over} of {len(found)} at or over it"
            + (f", {len(found) - done} not done" if done < len(found) else "")
        )

    drafts = [lag.drafts for lag in found.values()]
    appended = sum(lag.appended for lag in found.values())
    print(
        f"drafts in Drafts: {sum(drafts)} for {messages} messages "
        f"(per mailbox min {min(drafts)}, median {statistics.median(drafts):.0f}, "
        f"max {max(drafts)}); appended per the log: {appended}"
    )


if __name__ == "__main__":
    main()
