"""Latency: with `amends run` waiting on IMAP IDLE, one complaint APPENDed to INBOX until its
draft is in Drafts; median and 95th percentile over N messages.

Starts a private Dovecot with one account (INBOX, Drafts, Sent), trains and registers the
default model into a fresh SQLite database (not timed, as bench/e2e.py does), then starts the
daemon `amends run` (not --once) in a child process with JSON logs at debug level (every stage
logs a line, even with nothing to do). A few warm-up complaints, not counted, check the whole
path and load what a first pass loads. Then, N times, one at a time: APPEND one clear English
complaint (unique Message-ID and customer), and watch Drafts from a second connection until the
draft whose In-Reply-To names it is there; the next message goes in only after that draft's
pass has ended and the worker is back waiting on IDLE, so this measures latency, not
throughput. A message without its draft within --timeout is reported, not waited for forever.

Prints the median, 95th percentile (nearest rank), minimum and maximum in seconds, where the
time went (APPEND to the start of the worker's pass, i.e. the IDLE wake-up, and the pass up to
the draft), the mean seconds per stage and pass from the worker's log over the measured period,
and whether the worker exited cleanly on SIGTERM.

    .venv/bin/python bench/latency.py --messages 50
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after the packages: bench/classifier.py is no package

from e2e import PREPARE, model_and_agents  # noqa: E402
from imapclient import IMAPClient  # noqa: E402
from ingest import PASSWORD_ENV, run_child, tree_rss_kb, write_config  # noqa: E402

from tests.fixtures.imap import DovecotServer, ImapAccount  # noqa: E402

WARM_UP = 3
# The last stage of a pass without [smtp] (amends/worker.py: ... labels, followups; outbox
# and report only run with [smtp]): its log line marks the end of the pass.
LAST_STAGE = "followups"
# How often the watcher looks into Drafts: the figures are late by up to this much.
POLL_S = 0.01
# After a pass's last stage line, the worker records its heartbeat, checks its alerts and goes
# back to IDLE (SELECT, IDLE): a few milliseconds, given plenty of room.
SETTLE_S = 0.3

# Clear English complaints the default model classifies confidently (0.7-0.9 when this was
# written), so that each one gets its draft; the failure type is only for the reader.
COMPLAINTS = [
    (
        "billing_error",
        "Charged twice",
        "You charged my card twice for the same order. Please refund the second payment.",
    ),
    (
        "billing_error",
        "Double charge on my card",
        "I was charged twice for one order. Please refund the duplicate charge.",
    ),
    (
        "no_response",
        "No answer",
        "Nobody answered my last three emails about the refund. I have been waiting for weeks.",
    ),
    (
        "wrong_item",
        "Wrong item",
        "I ordered a red jacket in size M but you sent me a blue one in size XL.",
    ),
    (
        "wrong_item",
        "Wrong size",
        "You sent the wrong item: I ordered size 38 shoes and got size 44.",
    ),
    (
        "lost_item",
        "Lost parcel",
        "The tracking says delivered but the parcel never reached me. It is lost.",
    ),
    (
        "rude_staff",
        "Rude agent",
        "The agent on the phone was rude to me and hung up.",
    ),
    (
        "damaged_or_defective",
        "Broken on arrival",
        "The blender arrived broken: the glass jug was cracked and the motor does not work.",
    ),
]


def complaint(number: int, run: str) -> tuple[str, bytes]:
    """The ``number``-th complaint of this ``run``: its Message-ID and bytes."""
    _, subject, text = COMPLAINTS[number % len(COMPLAINTS)]
    msg = EmailMessage()
    msg["From"] = f"Customer {number} <customer-{run}-{number}@example.net>"
    msg["To"] = "support@example.com"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    message_id = f"<latency-{run}-{number}@example.net>"
    msg["Message-ID"] = message_id
    msg.set_content(f"Hello,\n\n{text}\n\nBest regards,\nCustomer {number}\n")
    return message_id, bytes(msg)


class WorkerLog:
    """The worker's JSON log lines, read as the file grows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: list[dict[str, Any]] = []
        self._offset = 0

    def refresh(self) -> list[dict[str, Any]]:
        with self.path.open("rb") as file:
            file.seek(self._offset)
            data = file.read()
        complete = data.rfind(b"\n") + 1  # a line being written waits for the next read
        self._offset += complete
        for line in data[:complete].decode("utf-8", "replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a traceback's lines, a warning from a library
            if isinstance(entry, dict):
                entry["at"] = datetime.fromisoformat(entry["time"]).timestamp()
                self.entries.append(entry)
        return self.entries

    def stages(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.entries if e.get("stage") == name and "seconds" in e]

    def wait_for_pass_end(self, passes: int, timeout: float) -> bool:
        """Until the log shows ``passes`` finished passes (and no pass running)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.refresh()
            ended = len(self.stages(LAST_STAGE))
            if ended >= passes and ended >= len(self.stages("sync")):
                return True
            time.sleep(0.02)
        return False


class DraftWatcher:
    """Drafts, watched from a connection of its own for the draft replying to a message.

    It polls (NOOP every POLL_S, and a SEARCH when the folder grew) instead of waiting in
    IDLE: Dovecot announces new mail to an IDLE session only after a fixed 500 ms delay
    (NOTIFY_DELAY_MSECS in its mailbox-watch.c), which would add half a second to every
    figure, while a NOOP sees an APPEND of another session at once. The price is a few hundred
    tiny commands a second, next to nothing for Dovecot; the figures are late by at most
    POLL_S plus one round trip.
    """

    def __init__(self, client: IMAPClient, folder: str) -> None:
        self.client = client
        self.folder = folder
        self.exists = int(client.select_folder(folder, readonly=True)[b"EXISTS"])

    def wait_for(self, message_id: str, timeout: float) -> float | None:
        """``time.perf_counter()`` when the draft replying to ``message_id`` was seen."""
        deadline = time.perf_counter() + timeout
        while True:
            _, responses = self.client.noop()
            seen = time.perf_counter()
            grew = False
            for response in responses:
                exists = isinstance(response, tuple) and response[1:] == (b"EXISTS",)
                if exists and int(response[0]) != self.exists:
                    self.exists, grew = int(response[0]), True
            if grew and self.client.search(["HEADER", "In-Reply-To", message_id]):
                return seen
            if seen > deadline:
                return None
            time.sleep(POLL_S)


@dataclass
class Sample:
    message_id: str
    appended_at: float  # wall clock (time.time()), to line up with the worker's log
    seconds: float | None = None  # APPEND to draft seen; None: no draft within the timeout
    pass_start: float | None = None  # wall clock, from the worker's log


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least ``share`` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def attach_passes(samples: list[Sample], log: WorkerLog) -> None:
    """Each sample's pass start: that of the first pass that started after its APPEND (a
    stage line's time is the end of its stage, its ``seconds`` how long the stage took)."""
    starts = [e["at"] - e["seconds"] for e in log.stages("sync")]
    for sample in samples:
        # 2 ms of slack for the log's millisecond timestamps.
        sample.pass_start = next((s for s in starts if s >= sample.appended_at - 0.002), None)


def stage_means(log: WorkerLog, since: float, until: float) -> tuple[int, dict[str, float]]:
    """Passes that started in [since, until], and the mean seconds per stage over them."""
    totals: dict[str, float] = defaultdict(float)
    passes = 0
    counting = False
    for entry in log.entries:
        if "stage" not in entry or "seconds" not in entry:
            continue
        if entry["stage"] == "sync":
            start = entry["at"] - entry["seconds"]
            counting = since <= start <= until
            passes += counting
        if counting:
            totals[entry["stage"]] += float(entry["seconds"])
    return passes, {stage: total / passes for stage, total in totals.items()} if passes else {}


@dataclass
class Worker:
    """`amends run` in a child process, its log in a file."""

    process: subprocess.Popen[bytes]
    log: WorkerLog

    @classmethod
    def start(cls, config: Path, log_path: Path, env: dict[str, str]) -> Worker:
        # The console script's code path (`amends --config ... run`), with the interpreter of
        # this run (the virtualenv's). bench/ingest.py's run_child cannot be used: it waits for
        # the child to exit, and this one runs until it is stopped.
        command = [sys.executable, "-m", "amends", "--config", str(config)]
        command += ["--log-format", "json", "--log-level", "debug", "run"]
        with log_path.open("wb") as stderr:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env={**os.environ, **env},
                cwd=ROOT,
            )
        return cls(process, WorkerLog(log_path))

    def alive(self) -> None:
        if self.process.poll() is not None:
            tail = self.log.path.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise SystemExit(f"amends run exited ({self.process.returncode}):\n{tail}")

    def stop(self, timeout: float) -> tuple[int | None, float]:
        """SIGTERM, then wait: the exit code (None: killed after ``timeout``) and seconds."""
        started = time.perf_counter()
        self.process.send_signal(signal.SIGTERM)
        try:
            code: int | None = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            code = None
        return code, time.perf_counter() - started


def measure(
    worker: Worker,
    appender: IMAPClient,
    watcher: DraftWatcher,
    message_id: str,
    raw: bytes,
    timeout: float,
) -> Sample:
    """APPEND one message, wait for its draft, then for its pass to end and the worker to be
    back on IDLE."""
    worker.log.refresh()
    passes = len(worker.log.stages(LAST_STAGE))
    sample = Sample(message_id, time.time())
    started = time.perf_counter()
    appender.append("INBOX", raw)
    seen = watcher.wait_for(message_id, timeout)
    if seen is not None:
        sample.seconds = seen - started
    worker.alive()
    if not worker.log.wait_for_pass_end(passes + 1, timeout):
        print(f"  {message_id}: the pass did not end within {timeout:.0f} s")
    time.sleep(SETTLE_S)
    return sample


def run_benchmark(
    account: ImapAccount, worker: Worker, messages: int, timeout: float
) -> tuple[list[Sample], float, float]:
    """Warm-up, then the measured messages; also the wall-clock start and end of the latter."""
    run = secrets.token_hex(3)
    if not worker.log.wait_for_pass_end(1, 180):
        worker.alive()
        raise SystemExit("amends run did not finish its first pass within 180 s")
    time.sleep(SETTLE_S)
    with account.client() as appender, account.client() as watching:
        watcher = DraftWatcher(watching, "Drafts")
        for number in range(WARM_UP):
            message_id, raw = complaint(number, f"{run}-warm")
            sample = measure(worker, appender, watcher, message_id, raw, timeout)
            if sample.seconds is None:
                raise SystemExit(f"warm-up message {number + 1}: no draft within {timeout:.0f} s")
            print(f"warm-up {number + 1}: {sample.seconds:.3f} s")
        samples = []
        since = time.time()
        for number in range(messages):
            message_id, raw = complaint(number, run)
            sample = measure(worker, appender, watcher, message_id, raw, timeout)
            if sample.seconds is None:
                print(f"  message {number + 1}: no draft within {timeout:.0f} s")
            samples.append(sample)
        until = time.time()
    return samples, since, until


def report(samples: list[Sample], log: WorkerLog, since: float, until: float) -> None:
    seconds = [s.seconds for s in samples if s.seconds is not None]
    print(
        f"messages: {len(samples)}, with their draft: {len(seconds)}, "
        f"timed out: {len(samples) - len(seconds)}"
    )
    if seconds:
        print("APPEND to draft in Drafts, seconds:")
        print(
            f"  median {statistics.median(seconds):.3f}  p95 {percentile(seconds, 0.95):.3f}  "
            f"min {min(seconds):.3f}  max {max(seconds):.3f}  (n = {len(seconds)})"
        )
    print("target: median < 1 s, p95 < 2 s (measured, not asserted)")

    log.refresh()
    attach_passes(samples, log)
    timed = [
        (s.pass_start - s.appended_at, s.seconds) for s in samples if s.pass_start and s.seconds
    ]
    wakes = [wake for wake, _ in timed]
    works = [total - wake for wake, total in timed]
    if wakes:
        print("where the time went (median seconds):")
        rows = [
            ("APPEND to the start of the worker's pass (IDLE wake-up)", wakes),
            ("pass start to the draft seen in Drafts", works),
        ]
        for label, values in rows:
            print(f"  {label:<56}{statistics.median(values):>7.3f}")

    passes, means = stage_means(log, since, until)
    print(f"worker's passes in the measured period: {passes}; mean seconds per stage and pass:")
    for stage, mean in sorted(means.items(), key=lambda kv: -kv[1]):
        print(f"  stage {stage:<10}{mean:>8.3f} s")
    if means:
        print(f"  {'whole pass':<16}{sum(means.values()):>8.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for one message's draft"
    )
    parser.add_argument("--log", type=Path, help="keep a copy of the worker's JSON log here")
    args = parser.parse_args()

    server = DovecotServer()
    server.start()
    worker: Worker | None = None
    try:
        account = server.add_user()
        account.create_folder("Drafts")
        account.create_folder("Sent")
        with tempfile.TemporaryDirectory() as folder:
            config = write_config(account, folder, extra=model_and_agents(folder))
            env = {PASSWORD_ENV: account.password}
            started = time.perf_counter()
            run_child(PREPARE, str(config), env=env)
            print(f"default model trained and registered in {time.perf_counter() - started:.1f} s")

            worker = Worker.start(config, Path(folder) / "worker.log", env)
            try:
                samples, since, until = run_benchmark(account, worker, args.messages, args.timeout)
                rss_mb = tree_rss_kb(worker.process.pid) / 1024
            finally:
                code, stop_s = worker.stop(timeout=60)
            report(samples, worker.log, since, until)
            if args.log is not None:
                shutil.copyfile(worker.log.path, args.log)
            print(f"worker's memory at the end (VmRSS): {rss_mb:.0f} MB")
            stopped = any(
                str(e.get("message", "")).endswith(" stopped")
                and e.get("logger") == "amends.cli_worker"
                for e in worker.log.refresh()
            )
            if code == 0 and stopped:
                print(f"SIGTERM: the worker exited cleanly (0) in {stop_s:.2f} s")
            elif code is None:
                print("SIGTERM: the worker did not exit within 60 s; killed")
            else:
                print(
                    f"SIGTERM: the worker exited with {code} in {stop_s:.2f} s "
                    f"(logged its stop: {stopped})"
                )
    finally:
        if worker is not None and worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()
        server.stop()


if __name__ == "__main__":
    main()
