"""The ``amends`` command line: argument parsing and output only; the work is in library code.

Exit codes: 0 fine, 1 a check failed or an operation could not be done, 2 usage error.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from amends import __version__
from amends.config import Config, config_path, inspect_config, load_config
from amends.config.secrets import secret_problems
from amends.errors import AmendsError, ConfigError
from amends.logs import redact, setup_logging

log = logging.getLogger(__name__)


class Context:
    def __init__(self, config_option: str | None) -> None:
        self.config_option = config_option

    @property
    def path(self) -> Path:
        return config_path(self.config_option)

    def config(self) -> Config:
        return load_config(self.path)


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def fail(error: AmendsError) -> NoReturn:
    """Print an expected error (no traceback) with its hint, and exit 1."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    # Messages quote config keys like [classifier.labels]: escaped, not read as markup.
    err.print(f"[bold red]error:[/] {escape(redact(str(error)))}", markup=True)
    if error.hint:
        err.print(f"[bold]what to do:[/] {escape(redact(error.hint))}", markup=True)
    sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_option",
    metavar="FILE",
    help="Configuration file (default: $AMENDS_CONFIG, else ./amends.toml).",
)
@click.option(
    "--log-format",
    type=click.Choice(["human", "json"]),
    default="human",
    show_default=True,
    help="json writes one object per line, for daemons and log collectors.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False),
    default="info",
    show_default=True,
)
@click.version_option(__version__, prog_name="amends")
@click.pass_context
def cli(ctx: click.Context, config_option: str | None, log_format: str, log_level: str) -> None:
    """Amends: complaint triage, service-recovery drafts and follow-ups for a shared inbox."""
    setup_logging("json" if log_format == "json" else "human", log_level)
    ctx.obj = Context(config_option)


@cli.group("config")
def config_group() -> None:
    """Inspect the configuration file."""


@config_group.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.pass_obj
def config_check(obj: Context, file: str | None) -> None:
    """Validate FILE (default: the --config file) and list every problem with its line.

    Exits 0 when the file is usable, 1 otherwise. Secrets that cannot be read here (an unset
    environment variable, say) are shown as warnings: they must be readable where the worker
    runs, which may be another machine.
    """
    path = Path(file) if file else obj.path
    config, problems = inspect_config(path)
    if config is not None:
        problems = [*problems, *(p.as_warning() for p in secret_problems(config))]
    console = _console()
    errors = [p for p in problems if not p.warning]
    for problem in problems:
        label = "[yellow]warning[/]" if problem.warning else "[red]error[/]"
        console.print(f"{label}: {escape(str(problem))}", markup=True)
    if errors or config is None:
        console.print(f"{path}: {len(errors)} error(s); the configuration cannot be used")
        sys.exit(1)
    console.print(
        f"{path}: OK ({len(config.mailboxes)} mailbox(es), {len(config.teams)} team(s), "
        f"{len(config.agents)} agent(s))"
    )


@cli.group("db")
def db_group() -> None:
    """Database schema: show and upgrade."""


@db_group.command("upgrade")
@click.pass_obj
def db_upgrade(obj: Context) -> None:
    """Create or migrate the database to the schema this version needs (safe to run twice)."""
    from amends.database import connected, upgrade

    try:
        with connected(obj.config()) as engine:
            before, after = upgrade(engine)
    except AmendsError as exc:
        fail(exc)
    if before == after:
        click.echo(f"database already at revision {after} (newest)")
    else:
        click.echo(f"database upgraded from {before or 'empty'} to {after}")


@db_group.command("current")
@click.pass_obj
def db_current(obj: Context) -> None:
    """Print the database's schema revision; exit 1 when it is not the newest."""
    from amends.database import connected
    from models import migrate

    try:
        with connected(obj.config()) as engine:
            current = migrate.current_revision(engine)
            pending = migrate.pending_revisions(engine)
    except AmendsError as exc:
        fail(exc)
    head = migrate.head_revision()
    if not pending:
        click.echo(f"{current} (newest)")
        return
    click.echo(f"{current or 'empty'}: {len(pending)} migration(s) pending up to {head}")
    click.echo("run: amends db upgrade", err=True)
    sys.exit(1)


@cli.command("doctor")
@click.pass_obj
def doctor(obj: Context) -> None:
    """Check configuration, database, every mailbox and SMTP; exit 1 if anything fails."""
    from amends.doctor import Outcome, run_doctor

    try:
        config = obj.config()
    except ConfigError as exc:
        fail(exc)
    findings = run_doctor(config)
    console = _console()
    style = {Outcome.OK: "green", Outcome.WARN: "yellow", Outcome.FAIL: "bold red"}
    if console.is_terminal:
        table = Table(title="amends doctor", title_justify="left")
        for column in ("area", "check", "result", "detail"):
            table.add_column(column, overflow="fold")
        for f in findings:
            detail = redact(f.detail + (f"\n→ {f.hint}" if f.hint else ""))
            table.add_row(f.area, f.check, f"[{style[f.outcome]}]{f.outcome}[/]", detail)
        console.print(table)
    else:
        # Piped into a log or a monitor: one unwrapped line per finding is easier to grep.
        for f in findings:
            hint = f" (what to do: {f.hint})" if f.hint else ""
            click.echo(redact(f"{f.outcome:<4} {f.area}: {f.check}: {f.detail}{hint}"))
    failed = sum(f.outcome is Outcome.FAIL for f in findings)
    if failed:
        console.print(f"[bold red]{failed} check(s) failed[/]")
        sys.exit(1)
    console.print("[green]all checks passed[/]")


def main() -> None:
    # Importing these modules registers their commands on `cli`.
    import amends.cli_classifier
    import amends.cli_drafts
    import amends.cli_followups
    import amends.cli_reports
    import amends.cli_retention
    import amends.cli_worker  # noqa: F401

    cli(prog_name="amends")


def _rows(console: Console, title: str, columns: list[str], rows: list[list[str]]) -> None:
    """A table on a terminal; tab-separated lines when piped (easy to grep and cut). Cells are
    plain text, shown as given."""
    if console.is_terminal:
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            # Cells hold customer text ("[#42]", "[mx.example.net]"): never read as markup.
            table.add_row(*(escape(cell) for cell in row))
        console.print(table)
    else:
        for row in rows:
            click.echo("\t".join(row))


def _text(value: str | None, purged_at: object) -> str:
    """A stored text, or when data retention removed it."""
    if purged_at is not None:
        return f"(removed {_when(purged_at)}, data retention)"
    return value if value is not None else "-"


def _when(value: object) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value is not None else "-"


@cli.command("sync")
@click.option("--mailbox", "mailbox_name", metavar="NAME", help="Mailbox to sync (its name).")
@click.option("--once", is_flag=True, help="Sync what is there now and exit (for cron and tests).")
@click.pass_obj
def sync(obj: Context, mailbox_name: str | None, once: bool) -> None:
    """Fetch new mail of one mailbox into the database, and keep doing so (IDLE or polling).

    Only this stage runs: messages are stored, threaded into tickets and quarantined when they
    cannot be; classification and drafts come from the full worker. SIGTERM or Ctrl-C finishes
    the batch in hand and exits 0.
    """
    import signal
    import threading

    from amends.database import connected, upgrade
    from amends.mailboxes import build_watcher, find_mailbox, sync_progress

    console = _console()
    try:
        config = obj.config()
        mailbox = find_mailbox(config, mailbox_name)
        with connected(config) as engine:
            upgrade(engine)
            stop = threading.Event()
            with sync_progress(console, mailbox.name) as progress:
                watcher = build_watcher(config, mailbox, engine, stop=stop, progress=progress)
                if once:
                    reports = watcher.run_once()
                else:
                    for signum in (signal.SIGTERM, signal.SIGINT):
                        signal.signal(signum, lambda *_: stop.set())
                    log.info("%s: watching %s", mailbox.name, mailbox.folders.inbox)
                    watcher.run()
                    reports = []
    except AmendsError as exc:
        fail(exc)
    for report in reports:
        click.echo(f"{mailbox.name} {report}")


@cli.group("tickets")
def tickets_group() -> None:
    """Show tickets, their messages and how each message was threaded."""


@tickets_group.command("list")
@click.option("--mailbox", metavar="NAME")
@click.option("--status", metavar="STATUS", help="e.g. new, unsure, assigned, replied, closed")
@click.option("--limit", default=50, show_default=True)
@click.pass_obj
def tickets_list(obj: Context, mailbox: str | None, status: str | None, limit: int) -> None:
    """The newest tickets first."""
    from amends.database import connected
    from amends.tickets import list_tickets

    try:
        with connected(obj.config()) as engine:
            rows = list_tickets(engine, mailbox=mailbox, status=status, limit=limit)
    except AmendsError as exc:
        fail(exc)
    _rows(
        _console(),
        "tickets",
        ["id", "received", "status", "customer", "msgs", "language", "subject"],
        [
            [
                str(r.ticket.id),
                _when(r.ticket.received_at),
                r.ticket.status.value,
                r.customer,
                str(r.messages),
                r.ticket.language or "-",
                r.ticket.subject or "",
            ]
            for r in rows
        ],
    )


@tickets_group.command("show")
@click.argument("ticket_id", type=int)
@click.pass_obj
def tickets_show(obj: Context, ticket_id: int) -> None:
    """One ticket: its customer, every message with its kind and threading reason, the timeline."""
    from amends.database import connected
    from amends.tickets import ticket_detail

    try:
        with connected(obj.config()) as engine:
            detail = ticket_detail(engine, ticket_id)
    except AmendsError as exc:
        fail(exc)
    if detail is None:
        click.echo(f"no ticket {ticket_id}", err=True)
        sys.exit(1)
    t = detail.ticket
    click.echo(f"ticket {t.id} [{t.status.value}] in mailbox {t.mailbox}")
    click.echo(f"  customer: {detail.customer.address} ({detail.customer.display_name or '-'})")
    click.echo(f"  subject:  {_text(t.subject, t.purged_at)}")
    click.echo(f"  received: {_when(t.received_at)}   language: {t.language or '-'}")
    click.echo(f"  owner:    {t.owner or '-'}   failure type: {t.failure_type or '-'}")
    click.echo(
        f"  severity: {t.severity.value}   repeat failure: {'yes' if t.repeat_failure else 'no'}"
    )
    for c in detail.classifications:
        verdict = "unsure, waiting for a human label" if c.unsure else "sure"
        click.echo(
            f"  classified {_when(c.created_at)} by model {c.model_version}: "
            f"{c.label or '(no text)'} {c.probability:.0%} ({verdict})"
        )
        if c.top_terms:
            terms = ", ".join(f"{t['term']} ({t['weight']:+.2f})" for t in c.top_terms)
            click.echo(f"      terms that drove it: {terms}")
        click.echo(
            f"      severity score {c.severity_score or 0:.2f}"
            + (f": {'; '.join(c.severity_reasons)}" if c.severity_reasons else "")
        )
        if c.repeat_of:
            earlier = ", ".join(f"#{i}" for i in c.repeat_of)
            click.echo(f"      repeat failure: earlier complaint(s) {earlier}")
    for f in detail.labels:
        click.echo(
            f"  labelled {_when(f.created_at)}: {f.old_label or 'no label'} → {f.new_label} "
            f"({f.source.value}{', by ' + f.given_by if f.given_by else ''})"
        )
    click.echo("messages:")
    for m in detail.messages:
        click.echo(f"  #{m.id} {_when(m.received_at)} {m.kind.value} from {m.from_address}")
        click.echo(f"      subject: {_text(m.subject, m.purged_at)}")
        click.echo(f"      threading: {m.thread_reason}")
        click.echo(
            f"      imap: {m.folder} UID {m.uid} (UIDVALIDITY {m.uidvalidity}), {m.size} bytes"
            + (
                ", above [mailboxes] max_message_mb: headers and structure only"
                if m.truncated
                else ""
            )
        )
    click.echo("timeline:")
    for e in detail.events:
        click.echo(f"  {_when(e.created_at)} {e.kind}: {e.detail or ''}")


@cli.group("quarantine")
def quarantine_group() -> None:
    """Messages that could not be stored: why, and try again."""


@quarantine_group.command("list")
@click.option("--all", "include_resolved", is_flag=True, help="Include resolved entries.")
@click.pass_obj
def quarantine_list(obj: Context, include_resolved: bool) -> None:
    """Quarantined messages, newest first; exits 0 either way."""
    from amends.database import connected
    from amends.quarantine import list_entries

    try:
        with connected(obj.config()) as engine:
            entries = list_entries(engine, include_resolved=include_resolved)
    except AmendsError as exc:
        fail(exc)
    _rows(
        _console(),
        "quarantine",
        ["id", "mailbox", "folder", "uid", "attempts", "last seen", "resolved", "reason"],
        [
            [
                str(e.id),
                e.mailbox,
                e.folder,
                str(e.uid),
                str(e.attempts),
                _when(e.last_seen_at),
                "yes" if e.resolved else "no",
                e.reason,
            ]
            for e in entries
        ],
    )
    if not entries:
        click.echo("quarantine is empty", err=True)


@quarantine_group.command("show")
@click.argument("entry_id", type=int)
@click.pass_obj
def quarantine_show(obj: Context, entry_id: int) -> None:
    """One entry with its full reason and where the message is on the server."""
    from amends.database import connected
    from amends.quarantine import get_entry

    try:
        with connected(obj.config()) as engine:
            entry = get_entry(engine, entry_id)
    except AmendsError as exc:
        fail(exc)
    if entry is None:
        click.echo(f"no quarantine entry {entry_id}", err=True)
        sys.exit(1)
    click.echo(f"entry {entry.id}: mailbox {entry.mailbox}, folder {entry.folder}")
    click.echo(f"  message: UID {entry.uid} (UIDVALIDITY {entry.uidvalidity}), left on the server")
    click.echo(f"  error:   {entry.error_class}: {entry.reason}")
    click.echo(
        f"  seen:    {_when(entry.first_seen_at)} to {_when(entry.last_seen_at)}, "
        f"{entry.attempts} attempt(s)"
    )
    click.echo(f"  resolved: {'yes, ' + _when(entry.resolved_at) if entry.resolved else 'no'}")


@quarantine_group.command("retry")
@click.argument("entry_ids", type=int, nargs=-1)
@click.option("--all", "retry_all", is_flag=True, help="Retry every unresolved entry.")
@click.pass_obj
def quarantine_retry(obj: Context, entry_ids: tuple[int, ...], retry_all: bool) -> None:
    """Fetch quarantined messages again and store them; exit 1 if any still fails."""
    from amends.database import connected
    from amends.quarantine import get_entry, list_entries, retry_entry

    if not entry_ids and not retry_all:
        raise click.UsageError("name entry ids, or --all")
    failed = 0
    try:
        config = obj.config()
        with connected(config) as engine:
            entries = (
                list_entries(engine)
                if retry_all
                else [e for e in (get_entry(engine, i) for i in entry_ids) if e is not None]
            )
            for entry in entries:
                try:
                    result = retry_entry(config, engine, entry)
                except AmendsError as exc:
                    click.echo(f"entry {entry.id}: {exc}")
                    failed += 1
                    continue
                click.echo(f"entry {entry.id}: {result.outcome}")
                failed += result.outcome.startswith("still failing")
    except AmendsError as exc:
        fail(exc)
    sys.exit(1 if failed else 0)
