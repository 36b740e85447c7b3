"""``amends assign|drafts|lint``: owners and recovery drafts.

Registered on the main ``amends`` group by :mod:`amends.cli`; the work is in
:mod:`amends.assignment`, :mod:`amends.drafting` and :mod:`outbox`.
"""

from __future__ import annotations

import email.parser
import email.policy
import sys
from email.message import EmailMessage
from pathlib import Path

import click
from rich.markup import escape
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from amends.cli import Context, _console, _rows, _when, cli, fail
from amends.cli_classifier import _on_database
from amends.config import Config
from amends.errors import AmendsError
from models.outbox import Draft, DraftState
from models.tickets import Assignment, Ticket


@cli.command("assign")
@click.argument("ticket_id", type=int, required=False)
@click.argument("agent", required=False)
@click.option("--by", metavar="NAME", help="Who reassigns (kept with the assignment).")
@click.option("--note", metavar="TEXT", help="Why (kept with the assignment).")
@click.option("--mailbox", metavar="NAME", help="Without arguments: only this mailbox's tickets.")
@click.pass_obj
def assign(
    obj: Context,
    ticket_id: int | None,
    agent: str | None,
    by: str | None,
    note: str | None,
    mailbox: str | None,
) -> None:
    """Give TICKET to AGENT by hand; without arguments, assign every waiting ticket by the rules.

    A ticket assigned by hand keeps its owner when it is labelled later. A draft already
    written is signed by the previous owner: `amends drafts regenerate TICKET` rewrites it.
    """
    from amends.assignment import assign_by_hand, assign_pending

    if ticket_id is None:
        result = _on_database(
            obj, lambda engine, config: assign_pending(engine, config, mailbox=mailbox)
        )
        click.echo(
            f"assigned {result.assigned} ticket(s) by rule, {result.triaged} to triage "
            f"({result.escalated} escalated); {result.kept} kept their manual owner"
        )
        return
    if agent is None:
        raise click.UsageError("give both TICKET and AGENT, or neither")

    def work(engine: Engine, config: Config) -> str | None:
        from amends.drafting import latest_draft

        _, previous = assign_by_hand(engine, config, ticket_id, agent, by=by, note=note)
        with Session(engine) as session:
            draft = latest_draft(session, ticket_id)
            if draft is not None and draft.state is DraftState.APPENDED and draft.owner != agent:
                return (
                    f"its draft is signed by {draft.owner}: `amends drafts regenerate {ticket_id}`"
                )
        return None if previous != agent else "it already had that owner"

    hint = _on_database(obj, work)
    click.echo(f"ticket {ticket_id} → {agent}" + (f" ({hint})" if hint else ""))


@cli.group("drafts")
def drafts_group() -> None:
    """Recovery drafts: write them, list them, show one, write one again."""


@drafts_group.command("write")
@click.option("--mailbox", "mailbox_name", metavar="NAME", help="Only this mailbox.")
@click.pass_obj
def drafts_write(obj: Context, mailbox_name: str | None) -> None:
    """Write the drafts of assigned complaints and put them in each mailbox's Drafts folder."""
    from amends.drafting import write_drafts

    def work(engine: Engine, config: Config) -> list[str]:
        mailboxes = [m for m in config.mailboxes if mailbox_name in (None, m.name)]
        if not mailboxes:
            raise click.UsageError(f"no mailbox {mailbox_name!r} in the configuration")
        return [str(write_drafts(engine, config, m)) for m in mailboxes]

    for line in _on_database(obj, work):
        click.echo(line)


@drafts_group.command("list")
@click.option("--mailbox", metavar="NAME", help="Only this mailbox.")
@click.option("--owner", metavar="AGENT", help="Only this owner's drafts.")
@click.option(
    "--state", type=click.Choice([s.value for s in DraftState]), help="Only drafts in this state."
)
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@click.pass_obj
def drafts_list(
    obj: Context, mailbox: str | None, owner: str | None, state: str | None, limit: int
) -> None:
    """The newest drafts: ticket, owner, language, template, state and lint findings."""

    def work(engine: Engine, config: Config) -> list[list[str]]:
        with Session(engine) as session:
            query = (
                select(Draft, Ticket.mailbox)
                .join(Ticket, col(Ticket.id) == col(Draft.ticket_id))
                .order_by(col(Draft.id).desc())
                .limit(limit)
            )
            if mailbox:
                query = query.where(Ticket.mailbox == mailbox)
            if owner:
                query = query.where(Draft.owner == owner)
            if state:
                query = query.where(Draft.state == DraftState(state))
            return [
                [
                    str(d.ticket_id),
                    str(d.revision),
                    box,
                    d.owner or "-",
                    d.language,
                    d.template or "-",
                    d.state.value,
                    str(len(d.lint_findings)) if d.lint_findings else "ok",
                    _when(d.created_at),
                    d.note or "",
                ]
                for d, box in session.exec(query)
            ]

    rows = _on_database(obj, work)
    columns = ["ticket", "rev", "mailbox", "owner", "lang", "template", "state", "lint"]
    _rows(_console(), "drafts", [*columns, "written", "note"], rows)


@drafts_group.command("show")
@click.argument("ticket_id", type=int)
@click.option("--html", "show_html", is_flag=True, help="Print the HTML part instead of the text.")
@click.pass_obj
def drafts_show(obj: Context, ticket_id: int, show_html: bool) -> None:
    """TICKET's latest draft: headers, internal note, lint findings and the text."""
    from amends.drafting import DraftError, latest_draft

    def work(engine: Engine, config: Config) -> tuple[Draft, list[Assignment]]:
        with Session(engine) as session:
            draft = latest_draft(session, ticket_id)
            if draft is None:
                raise DraftError(
                    f"ticket {ticket_id} has no draft",
                    hint="drafts are written for assigned complaints: `amends drafts write`",
                )
            assignments = list(
                session.exec(
                    select(Assignment)
                    .where(Assignment.ticket_id == ticket_id)
                    .order_by(col(Assignment.id))
                )
            )
            return draft, assignments

    draft, assignments = _on_database(obj, work)
    console = _console()
    console.print(f"[bold]ticket {ticket_id}[/], draft revision {draft.revision}: {draft.state}")
    for name, value in [
        ("Subject", draft.subject),
        ("Message-ID", f"<{draft.message_id}>"),
        ("Owner", draft.owner or "-"),
        ("Template", draft.template or "-"),
        ("Language", draft.language),
        ("Folder", f"{draft.folder} (UID {draft.appended_uid})" if draft.folder else "-"),
        ("Note", draft.note or "-"),
    ]:
        console.print(f"[bold]{name}:[/] {escape(value)}")
    for a in assignments:
        how = f"by hand ({a.assigned_by})" if a.manual and a.assigned_by else a.rule
        console.print(
            f"[bold]Assigned:[/] {_when(a.created_at)} {a.owner}, {how}: {escape(a.reason)}"
        )
    if draft.lint_findings:
        for finding in draft.lint_findings:
            excerpt = f" “{finding['excerpt']}”" if finding.get("excerpt") else ""
            console.print(
                f"[bold yellow]lint {finding['level']}:[/] {finding['code']}{escape(excerpt)}: "
                f"{escape(finding['message'])}"
            )
    else:
        console.print("[bold]Lint:[/] ok")
    console.print()
    body = draft.body_html if show_html else draft.body_text
    console.print(escape(body or "(no HTML part)"), markup=True)


@drafts_group.command("regenerate")
@click.argument("ticket_id", type=int)
@click.pass_obj
def drafts_regenerate(obj: Context, ticket_id: int) -> None:
    """Write TICKET's draft again (after a relabel or reassignment) and put it in Drafts.

    The earlier draft stays in the mail client (Amends never deletes mail); the new draft's
    X-Amends-Note header says which one it replaces.
    """
    from amends.drafting import regenerate

    draft, _ = _on_database(obj, lambda engine, config: regenerate(engine, config, ticket_id))
    where = f" in {draft.folder}" if draft.folder else ""
    if draft.state is DraftState.DISCARDED:
        click.echo(f"ticket {ticket_id}: no draft: {draft.note}")
        return
    findings = len(draft.lint_findings)
    click.echo(
        f"ticket {ticket_id}: revision {draft.revision} ({draft.template}){where}; "
        + (f"{findings} lint finding(s)" if findings else "lint ok")
    )


def _body_of(message: EmailMessage) -> str:
    from inbox.html_render import html_to_text

    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # unknown charset, broken transfer encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    return html_to_text(content) if part.get_content_type() == "text/html" else content


def _text_of(raw: bytes) -> str:
    """The agent's words in a file: a plain text, or the text part of a saved .eml."""
    from outbox.lint import reply_text

    text = raw.decode("utf-8", errors="replace")
    head = text.lstrip()[:2000]
    looks_like_mail = any(
        line.lower().startswith(("from:", "subject:", "to:", "message-id:", "content-type:"))
        for line in head.splitlines()[:20]
    )
    if looks_like_mail:
        parsed = email.parser.BytesParser(policy=email.policy.default).parsebytes(raw)
        assert isinstance(parsed, EmailMessage)
        text = _body_of(parsed)
    return reply_text(text)


@cli.command("lint")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.pass_obj
def lint_command(obj: Context, files: tuple[str, ...]) -> None:
    """Check reply texts against the service-recovery rules (FILE: text or .eml; - for stdin).

    Flags "anything else I can do?" and its equivalents, excuses and blame, "company policy",
    sending the customer elsewhere, stock apologies, "unfortunately" as an opener, and a
    missing apology, satisfaction question or concrete action, in all six languages.
    Exits 1 when any file has an error-level finding.
    """
    from outbox.lint import lint

    console = _console()
    errors = 0
    for name in files:
        try:
            raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            fail(AmendsError(f"cannot read {name}: {exc.strerror}"))
        findings = lint(_text_of(raw))
        shown = "stdin" if name == "-" else name
        if not findings:
            console.print(f"{escape(shown)}: [green]ok[/]")
            continue
        for finding in findings:
            colour = "red" if finding.level == "error" else "yellow"
            console.print(f"{escape(shown)}: [{colour}]{escape(str(finding))}[/]")
        errors += any(f.level == "error" for f in findings)
    if errors:
        sys.exit(1)
