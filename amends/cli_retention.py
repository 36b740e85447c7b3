"""``amends purge``, ``amends export --customer`` and ``amends forget --customer``: how long
text is kept, and a customer's access and erasure requests.

Registered on the main ``amends`` group by :mod:`amends.cli`; the work is in
:mod:`amends.retention`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from sqlalchemy import Engine

from amends import clock
from amends.cli import Context, _console, _rows, cli, fail
from amends.cli_classifier import _on_database
from amends.config import Config
from amends.errors import AmendsError
from amends.retention import (
    ForgetReport,
    PurgeReport,
    RetentionError,
    export_customer,
    forget_customer,
    parse_age,
    purge,
)

_JOURNAL_BUSY = (
    "a running worker is reading the database: the removed text leaves the SQLite journal "
    "at its next checkpoint (within minutes), or now if you run this again once it is idle"
)


def _go_ahead(question: str, yes: bool) -> None:
    """Destructive commands ask first; without a terminal, --yes must say so."""
    if yes:
        return
    if not sys.stdin.isatty():
        fail(RetentionError("nothing was changed: this cannot be undone", hint="add --yes"))
    if not click.confirm(question, default=False):
        fail(RetentionError("nothing was changed", hint="answer y to go ahead, or add --yes"))


@cli.command("purge")
@click.option(
    "--older-than",
    "age",
    required=True,
    metavar="AGE",
    help="Cases quiet, and mail outside a case, for this long: 365d, 52w or 2y.",
)
@click.option("--mailbox", help="Only this mailbox (default: every mailbox).")
@click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask (for scripts and cron).")
@click.pass_obj
def purge_command(obj: Context, age: str, mailbox: str | None, dry_run: bool, yes: bool) -> None:
    """Remove the text of old mail and cases, keeping the figures reports count.

    Subjects, names, headers, bodies, attachment names, drafts, answers' excerpts and the words
    behind each prediction go; tickets with their failure type, times, owner, status and
    rating stay, and so do addresses (opt-outs and bounces keep being honoured). The mail on
    the IMAP server is not touched. [retention] keep_text_days does this daily in the worker.
    """
    try:
        period = parse_age(age)
    except AmendsError as exc:
        fail(exc)

    def work(engine: Engine, config: Config) -> PurgeReport:
        if mailbox is not None and all(m.name != mailbox for m in config.mailboxes):
            raise RetentionError(
                f"no mailbox named {mailbox!r} in {obj.path}",
                hint="give a name from [[mailboxes]], or leave --mailbox out",
            )
        now = clock.now()
        cutoff = now - period
        preview = purge(engine, cutoff, now, mailbox=mailbox, dry_run=True)
        _purge_table(preview, "would lose their text" if dry_run else "to lose their text")
        if dry_run or preview.total == 0:
            return preview
        _go_ahead(f"Remove this text for good (quiet since {cutoff:%Y-%m-%d})?", yes)
        return purge(engine, cutoff, now, mailbox=mailbox)

    report = _on_database(obj, work)
    if dry_run:
        click.echo("dry run: nothing was changed")
    elif report.total == 0:
        click.echo(f"nothing is older than {report.cutoff:%Y-%m-%d %H:%M} UTC; nothing changed")
    else:
        click.echo(f"removed the text of {report.total} row(s); the figures stay")
        if not report.journal_emptied:
            click.echo(f"note: {_JOURNAL_BUSY}")


def _purge_table(report: PurgeReport, what: str) -> None:
    scope = f"mailbox {report.mailbox}" if report.mailbox else "every mailbox"
    _rows(
        _console(),
        f"quiet since {report.cutoff:%Y-%m-%d %H:%M} UTC, {scope}: rows that {what}",
        ["kind", "rows"],
        [[kind, str(n)] for kind, n in report.counts().items()],
    )


@cli.command("export")
@click.option("--customer", "address", required=True, metavar="ADDRESS")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the JSON here (created owner-only) instead of to standard output.",
)
@click.pass_obj
def export_command(obj: Context, address: str, output: Path | None) -> None:
    """Everything stored about one customer, as JSON (an access request).

    Their customer row, tickets with owners, predictions, labels, drafts, replies, answers and
    timeline, every message from or to them, and the mail Amends sent them.
    """
    data = _on_database(obj, lambda engine, _config: export_customer(engine, address, clock.now()))
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        # Personal data: readable by the owner only, like the database itself.
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fail(RetentionError(f"{output} exists; not overwritten", hint="choose another file"))
    except OSError as exc:
        fail(RetentionError(f"cannot write {output}: {exc.strerror}", hint="check the path"))
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
    click.echo(
        f"wrote {output}: {len(data['tickets'])} ticket(s), {len(data['messages'])} message(s)",
        err=True,
    )


@cli.command("forget")
@click.option("--customer", "address", required=True, metavar="ADDRESS")
@click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask (for scripts).")
@click.pass_obj
def forget_command(obj: Context, address: str, dry_run: bool, yes: bool) -> None:
    """Erase everything stored about one customer (an erasure request).

    Their tickets, mail, drafts, predictions, labels, answers and timeline go, as does mail
    to them waiting in the outbox; their tickets leave the reports' figures. Their mail on the
    IMAP server (inbox, Drafts, Sent) is not touched: delete it there too.
    """

    def work(engine: Engine, _config: Config) -> ForgetReport:
        now = clock.now()
        preview = forget_customer(engine, address, now, dry_run=True)
        _rows(
            _console(),
            f"stored about {preview.address}: rows to erase",
            ["kind", "rows"],
            [[kind, str(n)] for kind, n in preview.counts.items()],
        )
        if dry_run:
            return preview
        _go_ahead(f"Erase everything stored about {preview.address}?", yes)
        return forget_customer(engine, address, now)

    report = _on_database(obj, work)
    if dry_run:
        click.echo("dry run: nothing was changed")
        return
    click.echo(f"erased {report.address}: {report.total} row(s) and the customer")
    click.echo(
        "still to do by hand: delete their mail on the IMAP server, and retrain the classifier "
        "(amends train) if their tickets were labelled"
    )
    if not report.journal_emptied:
        click.echo(f"note: {_JOURNAL_BUSY}")
