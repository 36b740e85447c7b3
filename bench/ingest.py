"""Inbox ingest throughput: `amends sync` against a bare-bones reference, in one run.

Starts a private Dovecot, appends N generated messages, then measures in separate processes:
  (a) reference: plain imapclient FETCH BODY.PEEK[] in batches of 1,000 and stdlib `email`
      parsing (default policy, get_body().get_content()); nothing stored;
  (b) `amends sync --once` from an empty SQLite database.
Prints both rates, the ratio b/a and each run's peak memory: the largest sum of the resident
memory (VmRSS) of the run's process and all its descendants (amends' parse workers), sampled
every 50 ms. (getrusage's ru_maxrss would be wrong here: a child's figure keeps the peak from
before exec, when it still mapped this process and its N generated messages.)

    .venv/bin/python bench/ingest.py --messages 5000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import mailgen  # noqa: E402

from tests.fixtures.imap import DovecotServer, ImapAccount  # noqa: E402

_REFERENCE = """
import email, email.policy, json, sys, time
from email.message import EmailMessage
from imapclient import IMAPClient
host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
started = time.perf_counter()
client = IMAPClient(host, port=port, ssl=False, timeout=120)
client.login(user, password)
client.select_folder("INBOX", readonly=True)
uids = client.search(["UID", "1:*"])
parsed = 0
result = {{}}
{setup}
for start in range(0, len(uids), 1000):
    batch = uids[start:start + 1000]
    for uid, data in client.fetch(batch, ["BODY.PEEK[]"]).items():
        msg = email.message_from_bytes(data[b"BODY[]"], policy=email.policy.default)
        body = msg.get_body(("plain", "html"))
        if body is not None:
            try:
                body.get_content()
            except (LookupError, ValueError):
                pass
        parsed += 1
{per_message}
{per_batch}
client.logout()
seconds = time.perf_counter() - started
print(json.dumps({{"count": parsed, "seconds": seconds, **result}}))
"""


def reference_script(setup: str = "", per_message: str = "", per_batch: str = "") -> str:
    """The bare-bones reference child: plain imapclient FETCH BODY.PEEK[] of INBOX in batches
    of 1,000 and stdlib parsing (default policy), plus ``setup`` code (before the first
    batch), ``per_message`` code (run with ``msg`` after each parse) and ``per_batch`` code
    (after each batch); what they put in the dict ``result`` is printed too."""
    return _REFERENCE.format(
        setup=textwrap.dedent(setup),
        per_message=textwrap.indent(textwrap.dedent(per_message), " " * 8),
        per_batch=textwrap.indent(textwrap.dedent(per_batch), " " * 4),
    )


REFERENCE = reference_script()

AMENDS = textwrap.dedent(
    """
    import json, sys, time
    from amends.cli import cli
    started = time.perf_counter()
    try:
        cli.main(["--config", sys.argv[1], "--log-level", "warning", "sync", "--once"],
                 standalone_mode=False)
    finally:
        seconds = time.perf_counter() - started
        print(json.dumps({"seconds": seconds}))
    """
)


Run = tuple[str, dict[str, float]]  # a label and run_child's result
PASSWORD_ENV = "BENCH_IMAP_PASSWORD"  # noqa: S105 (a variable name)


def write_config(account: ImapAccount, folder: str, *, mailbox: str = "", extra: str = "") -> Path:
    """``folder``/amends.toml: one mailbox "bench" on ``account`` (``mailbox``: extra lines for
    it), an SQLite database in ``folder``, the IMAP password from :data:`PASSWORD_ENV`, and
    ``extra`` at the end."""
    config = Path(folder) / "amends.toml"
    config.write_text(
        account.config_toml(
            database_url=f"sqlite:///{folder}/amends.db",
            name="bench",
            mailbox=mailbox,
            imap="timeout_s = 120",
            password_env=PASSWORD_ENV,
        )
        + extra
    )
    return config


def run_child(
    code: str,
    *args: str,
    env: dict[str, str] | None = None,
    stderr_to: Path | None = None,
    prefix: list[str] | None = None,
) -> dict[str, float]:
    """Run ``code`` in a fresh interpreter; its JSON result plus ``peak_kb`` of its process tree.

    ``stderr_to``: a file for the child's standard error (its log), instead of a pipe.
    ``prefix``: a command the interpreter runs under (a profiler such as ``py-spy record``).
    """
    errors = stderr_to.open("w", encoding="utf-8") if stderr_to else None
    process = subprocess.Popen(
        [*(prefix or []), sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=errors or subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.05):
            peak = max(peak, tree_rss_kb(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    done.set()
    sampler.join()
    if errors is not None:
        errors.close()
        stderr = stderr_to.read_text(encoding="utf-8") if stderr_to else ""
    if process.returncode != 0:
        raise SystemExit(f"child failed ({process.returncode}):\n{stderr[-3000:]}")
    lines = [line for line in stdout.strip().splitlines() if line.strip()]
    for line in lines[:-1]:
        print(f"  {line}")  # amends' own summary, a profiler's messages
    result = next(line for line in reversed(lines) if line.startswith("{"))
    return {**json.loads(result), "peak_kb": peak}


def tree_rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants, in KiB (0 for what has exited)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        proc = Path("/proc") / str(current)
        try:
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in (proc / "task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=500, help="amends sync batch size")
    parser.add_argument(
        "--parse-workers", type=int, default=None, help="parse_workers (default: one per core)"
    )
    args = parser.parse_args()

    server = DovecotServer()
    server.start()
    try:
        account = server.add_user()
        messages = mailgen.generate(args.messages)
        total_mb = sum(len(m) for m in messages) / 1e6
        started = time.perf_counter()
        account.append_many("INBOX", messages)
        print(
            f"{args.messages} messages, {total_mb:.1f} MB, appended in "
            f"{time.perf_counter() - started:.1f} s"
        )

        ref = run_child(
            REFERENCE, account.host, str(account.port), account.username, account.password
        )
        workers = "" if args.parse_workers is None else f"parse_workers = {args.parse_workers}"
        with tempfile.TemporaryDirectory() as folder:
            config = write_config(account, folder, mailbox=f"batch_size = {args.batch}\n{workers}")
            ours = run_child(AMENDS, str(config), env={PASSWORD_ENV: account.password})
    finally:
        server.stop()

    compare(args.messages, ("(a) reference: fetch + parse", ref), ("(b) amends sync --once", ours))
    print("target: b/a >= 0.6")


def compare(messages: int, reference: Run, ours: Run) -> None:
    """The two runs' rates, times and peak memory, and the ratio b/a."""
    width = max(len(reference[0]), len(ours[0])) + 2
    print(f"{'run':<{width}}{'msg/s':>8}{'seconds':>9}{'peak MB':>9}")
    for label, result in (reference, ours):
        rate = messages / result["seconds"]
        print(
            f"{label:<{width}}{rate:>8.0f}{result['seconds']:>9.1f}{result['peak_kb'] / 1024:>9.0f}"
        )
    print(f"ratio b/a: {reference[1]['seconds'] / ours[1]['seconds']:.2f}")


if __name__ == "__main__":
    main()
