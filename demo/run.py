"""`make demo`: Amends end to end on loopback, in well under two minutes.

A throwaway Dovecot and SMTP server, a handful of complaints (and a bounce and an out-of-office)
in the inbox, one `amends run --once`, the tickets with their owners, a draft from the Drafts
folder, the agent sending it, and a week later the follow-up the worker sent over SMTP.
Everything lives in temporary folders that are removed at the end, also after an error or
Ctrl-C. With ``--serve`` the servers and the worker keep running until Ctrl-C, so the mailbox
can be opened in a mail client.

Run from the repository root: ``python -m demo.run [--serve]`` (it uses the test servers of
``tests/fixtures``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, make_msgid
from pathlib import Path
from types import FrameType

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from demo import samples, views
from demo.config_file import PASSWORD_ENV, write_config
from tests.fixtures.imap import DovecotServer, ImapAccount
from tests.fixtures.smtp import RecordingHandler, start_smtp_server

WORKER_TIMEOUT_S = 120
STOP_TIMEOUT_S = 30
# A week after the agent's reply, the follow-up (3 business days later) is long due.
FOLLOWUP_JUMP = timedelta(days=7)
DRAFT_HEADERS_TO_DROP = ("X-Amends-Lint", "X-Amends-Note", "X-Amends-Owner", "X-Amends-Ticket")
# The draft the demo shows and sends: the first complaint's (English, so anyone can read it).
SHOWN_CUSTOMER = samples.COMPLAINTS[0].address
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class DemoError(Exception):
    """Something the demo needs did not work; the message says what and what to do."""


@dataclass(frozen=True)
class Servers:
    """The demo's mail servers and the mailbox on them."""

    account: ImapAccount
    smtp_host: str
    smtp_port: int
    smtp: RecordingHandler
    dovecot_dir: Path


@dataclass(frozen=True)
class Demo:
    """Where this run keeps its state, and how to call the worker."""

    folder: Path
    config: Path
    servers: Servers

    def environment(self, now: datetime | None = None) -> dict[str, str]:
        """The worker's environment: the IMAP password, and a clock set to ``now`` if given."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AMENDS_")}
        env[PASSWORD_ENV] = self.servers.account.password
        if now is not None:
            env["AMENDS_NOW"] = now.isoformat()
        return env

    def amends(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "amends", "--config", str(self.config), *args]


def check_prerequisites() -> None:
    """Dovecot installed and root rights (its mail processes are started as nobody)."""
    if not (shutil.which("dovecot") and shutil.which("doveadm")):
        raise DemoError(
            "Dovecot is not installed: run `make system-deps` (apt-get install dovecot-imapd)"
        )
    if os.geteuid() != 0:
        raise DemoError("the demo's private Dovecot must be started as root: run it as root")


@contextlib.contextmanager
def running_servers(console: Console) -> Iterator[Servers]:
    """Dovecot and an SMTP server on 127.0.0.1, stopped (and their files removed) on exit."""
    dovecot = DovecotServer()
    with contextlib.ExitStack() as stack:
        stack.callback(_stopped, console, "Dovecot", dovecot.stop)
        try:
            dovecot.start()
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            raise DemoError(f"Dovecot did not start: {exc}") from exc
        account = dovecot.add_user(password=secrets.token_urlsafe(12))
        handler = RecordingHandler()
        try:
            controller = start_smtp_server(handler)
        except (RuntimeError, OSError, TimeoutError) as exc:
            raise DemoError(f"the SMTP server did not start: {exc}") from exc
        stack.callback(_stopped, console, "the SMTP server", controller.stop)
        yield Servers(account, controller.hostname, controller.port, handler, dovecot.base_dir)


def _stopped(console: Console, name: str, stop: Callable[[], None]) -> None:
    """Call ``stop``; a second Ctrl-C meanwhile must not leave the server running."""
    with _signals_ignored():
        stop()
    console.print(f"[dim]stopped {name}[/dim]")


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in _STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def deliver_samples(console: Console, servers: Servers, now: datetime) -> None:
    """APPEND the sample messages to INBOX with their arrival times."""
    deliveries = samples.inbox(now)
    with servers.account.client() as client:
        for delivery in deliveries:
            client.append("INBOX", delivery.raw, msg_time=delivery.arrived)
    table = Table(title="Delivered to INBOX", title_justify="left", box=None, padding=(0, 2))
    table.add_column("arrived (UTC)")
    table.add_column("message")
    for delivery in deliveries:
        table.add_row(f"{delivery.arrived:%a %d %b %H:%M}", Text(delivery.summary))
    console.print(table)


def run_once(console: Console, demo: Demo, now: datetime | None = None) -> None:
    """`amends run --once` as a separate process; DemoError with its output if it fails."""
    started = time.monotonic()
    try:
        result = subprocess.run(
            demo.amends("run", "--once"),
            cwd=demo.folder,
            env=demo.environment(now),
            capture_output=True,
            text=True,
            timeout=WORKER_TIMEOUT_S,
            check=False,
            # Ctrl-C reaches the demo only; it stops the worker itself.
            start_new_session=True,
        )
    except subprocess.TimeoutExpired as exc:
        raise DemoError(f"`amends run --once` did not finish in {WORKER_TIMEOUT_S} s") from exc
    seconds = time.monotonic() - started
    clock = f" with AMENDS_NOW={now.isoformat(timespec='minutes')}" if now else ""
    log_lines = [line for line in result.stderr.splitlines() if line.strip()]
    if result.returncode != 0:
        tail = "\n".join(log_lines[-30:])
        raise DemoError(
            f"`amends run --once`{clock} exited with {result.returncode}:\n"
            f"{result.stdout.strip()}\n{tail}"
        )
    console.print(
        f"[green]✓[/green] amends run --once{clock}: {escape(result.stdout.strip())}, "
        f"{seconds:.1f} s"
    )
    for line in log_lines:
        if "created folder" not in line:  # the label folders, one line each
            console.print(f"  {line}", style="dim", markup=False, highlight=False, soft_wrap=True)


def fetch_drafts(servers: Servers) -> list[bytes]:
    drafts = servers.account.fetch_all("Drafts")
    if not drafts:
        raise DemoError("the worker wrote no draft into the Drafts folder")
    return drafts


def pick_draft(drafts: list[bytes]) -> bytes:
    """The draft answering SHOWN_CUSTOMER, else the first one."""
    for raw in drafts:
        if SHOWN_CUSTOMER in str(views.parse(raw)["To"] or ""):
            return raw
    return drafts[0]


def agent_sends(servers: Servers, draft_raw: bytes, when: datetime) -> str:
    """What a mail client does with a reviewed draft: a copy in Sent under a new Message-ID
    and Date, without the draft's internal X-Amends-* notes. Returns the Message-ID."""
    message = views.parse(draft_raw)
    for header in DRAFT_HEADERS_TO_DROP:
        del message[header]
    del message["Message-ID"]
    del message["Date"]
    message_id = make_msgid(domain="client.example.com")
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(when)
    servers.account.append("Sent", bytes(message), flags=["\\Seen"], msg_time=when)
    return message_id


def show_results(console: Console, demo: Demo) -> None:
    engine = views.open_database(demo.folder / "amends.db")
    try:
        tickets = views.read_tickets(engine)
        others = views.read_other_mail(engine)
    finally:
        engine.dispose()
    if not tickets:
        raise DemoError("the worker made no tickets from the inbox")
    console.print(views.ticket_table(tickets))
    console.print(views.other_mail_table(others))


def show_followup(console: Console, servers: Servers) -> None:
    received = servers.smtp.messages
    if not received:
        raise DemoError("the SMTP server received no follow-up")
    last = received[-1]
    envelope = f"MAIL FROM:<{last.mail_from}> RCPT TO:<{'>, <'.join(last.rcpt_tos)}>"
    console.print(
        views.message_panel(last.message, "The follow-up, as the SMTP server got it", envelope)
    )


def step(console: Console, title: str) -> None:
    console.print()
    console.rule(f"[bold]{title}", align="left")


def demo_once(console: Console, demo: Demo) -> None:
    """The whole story: triage, a draft, the agent's reply, the follow-up a week later."""
    step(console, "3. The worker's first pass: sync, classify, assign, draft")
    run_once(console, demo)
    show_results(console, demo)

    step(console, "4. A draft, exactly as it sits in the Drafts folder")
    draft = pick_draft(fetch_drafts(demo.servers))
    console.print(views.message_panel(views.parse(draft), "In the Drafts folder"))

    step(console, "5. The agent sends it; a week later the worker follows up")
    replied_at = datetime.now(UTC).replace(microsecond=0)
    message_id = agent_sends(demo.servers, draft, replied_at)
    console.print(f"The agent's mail client put the reply {message_id} into Sent.")
    run_once(console, demo, now=replied_at + FOLLOWUP_JUMP)
    show_followup(console, demo.servers)


def serve(console: Console, demo: Demo) -> None:
    """Keep the servers and `amends run` going until Ctrl-C; then stop the worker, gently."""
    step(console, "Serving: open the mailbox in your mail client")
    console.print(mailbox_panel(demo))
    worker = subprocess.Popen(
        demo.amends("run"),
        cwd=demo.folder,
        env=demo.environment(),
        start_new_session=True,  # Ctrl-C is for the demo, which sends SIGTERM itself
    )
    try:
        _watch(console, demo, worker)
    except KeyboardInterrupt:
        console.print("\nStopping everything.")
    finally:
        with _signals_ignored():
            _stop_worker(console, worker)


def mailbox_panel(demo: Demo) -> Panel:
    """How to reach the demo mailbox from a mail client, and what to try there."""
    account, servers = demo.servers.account, demo.servers
    settings = Table.grid(padding=(0, 2))
    settings.add_column(style="bold")
    settings.add_column()
    settings.add_row("IMAP", f"{account.host} port {account.port}, no encryption, normal password")
    settings.add_row("", f"user [bold]{account.username}[/bold]")
    settings.add_row("", f"password [bold]{account.password}[/bold]")
    settings.add_row(
        "SMTP",
        f"{servers.smtp_host} port {servers.smtp_port}, no encryption, no login; what it "
        "receives is printed here and never delivered",
    )
    help_text = Text.from_markup(
        "\nIn Thunderbird, add a mail account and set it up by hand with these settings. "
        "The recovery drafts are in Drafts: edit one and send it, and the worker finds the "
        "reply in Sent and schedules the follow-up for 3 business days later. Put a new "
        "complaint into INBOX and its draft appears within seconds; copy a complaint into "
        "Amends/Labels/<failure type> to correct its label.\n\n"
        "The command line works on the same database, from another shell:\n"
        f"  {PASSWORD_ENV}={account.password} .venv/bin/amends --config {demo.config} "
        "tickets list\n\n"
        "Press [bold]Ctrl-C[/bold] to stop everything and remove the demo's files."
    )
    return Panel(Group(settings, help_text), title="Demo mailbox", title_align="left")


def _watch(console: Console, demo: Demo, worker: subprocess.Popen[bytes]) -> None:
    """Print every message the SMTP server receives while the worker runs."""
    seen = len(demo.servers.smtp.messages)
    while worker.poll() is None:
        time.sleep(1)
        received = demo.servers.smtp.messages
        for message in received[seen:]:
            console.print(views.message_panel(message.message, "Received by the SMTP server"))
        seen = len(received)
    raise DemoError(f"`amends run` stopped on its own with exit code {worker.returncode}")


def _stop_worker(console: Console, worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is not None:
        return
    console.print("stopping the worker (SIGTERM)…")
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
    console.print(f"[dim]the worker exited with {worker.returncode}[/dim]")


def run_demo(console: Console, folder: Path, serve_mode: bool) -> None:
    """Set everything up in ``folder``, run the story (or serve), and tear the servers down."""
    check_prerequisites()
    now = datetime.now(UTC).replace(microsecond=0)
    step(console, "1. A throwaway Dovecot (IMAP) and SMTP server on 127.0.0.1")
    with running_servers(console) as servers:
        console.print(
            f"IMAP 127.0.0.1:{servers.account.port} (user {servers.account.username}), "
            f"SMTP {servers.smtp_host}:{servers.smtp_port}\n"
            f"Dovecot's files: {servers.dovecot_dir}"
        )
        config = write_config(folder, servers.account, servers.smtp_host, servers.smtp_port)
        demo = Demo(folder, config, servers)
        console.print(f"Configuration: {config}")

        step(console, "2. Complaints arrive in the shared inbox")
        deliver_samples(console, servers, now)
        if serve_mode:
            step(console, "3. The worker's first pass: sync, classify, assign, draft")
            run_once(console, demo)
            show_results(console, demo)
            serve(console, demo)
        else:
            demo_once(console, demo)


def _interrupt_on_sigterm() -> None:
    """SIGTERM cleans up like Ctrl-C does."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def make_console() -> Console:
    """Rich's console; output to a pipe (CI logs, the tests) gets 120 columns, not 80."""
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=120)
    return console


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.run", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--serve",
        action="store_true",
        help="keep the servers and the worker running until Ctrl-C, to use a mail client",
    )
    args = parser.parse_args(argv)
    console = make_console()
    _interrupt_on_sigterm()
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="amends-demo-"))
    console.print(f"Demo state: {folder}")
    code = 0
    try:
        run_demo(console, folder, args.serve)
    except DemoError as exc:
        console.print(Panel(Text(str(exc)), title="The demo failed", border_style="red"))
        code = 1
    except KeyboardInterrupt:
        console.print("\nInterrupted.")
        code = 130
    except Exception as exc:  # a bug or an unforeseen failure: say what, with the traceback
        console.print_exception()
        message = f"{type(exc).__name__}: {exc}"
        console.print(Panel(Text(message), title="The demo failed", border_style="red"))
        code = 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        console.print(f"[dim]removed {folder}[/dim]")
    if code == 0 and not args.serve:
        console.print()
        console.print(
            f"Done in {time.monotonic() - started:.0f} s. To keep the demo mailbox running and "
            "open it in a mail client: [bold]make demo-serve[/bold]"
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
