"""``amends followups|outbox`` and closing or reopening a ticket by hand.

Registered on the main ``amends`` group by :mod:`amends.cli`; the work is in
:mod:`amends.followups`, :mod:`amends.sending` and :mod:`outbox.queue`.
"""

from __future__ import annotations

from collections.abc import Callable

import click
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from amends import clock
from amends.cli import Context, _console, _rows, _when, cli, tickets_group
from amends.cli_classifier import _on_database
from amends.config import Config
from models.outbox import OutboxItem, OutboxKind, OutboxState
from models.tickets import Customer, Ticket

STATES = [s.value for s in OutboxState]


def _list(
    obj: Context,
    title: str,
    kind: OutboxKind | None,
    state: str | None,
    mailbox: str | None,
    limit: int,
) -> None:
    def work(engine: Engine, config: Config) -> list[list[str]]:
        with Session(engine) as session:
            query = (
                select(OutboxItem, Customer.address)
                .join(Ticket, col(Ticket.id) == col(OutboxItem.ticket_id), isouter=True)
                .join(Customer, col(Customer.id) == col(Ticket.customer_id), isouter=True)
                .order_by(col(OutboxItem.due_at).desc(), col(OutboxItem.id).desc())
                .limit(limit)
            )
            if kind is not None:
                query = query.where(OutboxItem.kind == kind)
            if state is not None:
                query = query.where(OutboxItem.state == OutboxState(state))
            if mailbox is not None:
                query = query.where(OutboxItem.mailbox == mailbox)
            return [
                [
                    str(item.id),
                    str(item.ticket_id or "-"),
                    item.kind.value if kind is None else item.rule,
                    item.state.value,
                    _when(item.sent_at if item.state is OutboxState.SENT else item.due_at),
                    str(item.attempts),
                    item.owner or "-",
                    address or item.recipient,
                    (item.cancelled_reason or item.last_error or "")[:120],
                ]
                for item, address in session.exec(query)
            ]

    rows = _on_database(obj, work)
    console = _console()
    if not rows:
        console.print(f"no {title}" + (f" in state {state}" if state else ""))
        return
    columns = ["id", "ticket", "kind" if kind is None else "rule", "state", "due / sent"]
    columns += ["attempts", "owner", "to", "last error / reason"]
    _rows(console, title, columns, rows)


def _list_options(command: Callable[..., None]) -> Callable[..., None]:
    """The filters both list commands take."""
    command = click.pass_obj(command)
    limit = "At most this many, newest first."
    command = click.option("--limit", default=50, show_default=True, help=limit)(command)
    command = click.option("--mailbox", metavar="NAME", help="Only this mailbox.")(command)
    states = click.Choice(STATES)
    return click.option("--state", type=states, help="Only rows in this state.")(command)


def _ids(values: tuple[int, ...]) -> list[int]:
    if not values:
        raise click.UsageError("give at least one id (see the list command)")
    return list(values)


@cli.group("followups")
def followups_group() -> None:
    """Follow-ups: the check, days after a reply, that the fix held."""


@followups_group.command("run")
@click.option("--mailbox", metavar="NAME", help="Only this mailbox.")
@click.pass_obj
def followups_run(obj: Context, mailbox: str | None) -> None:
    """One pass: find replies in Sent, schedule, cancel, read answers, send what is due.

    The inbox is not synced here (`amends sync --once` does that); the worker runs both.
    """
    from amends.sending import followup_pass

    result = _on_database(obj, lambda engine, config: followup_pass(engine, config, mailbox))
    for report in result.mailboxes:
        click.echo(str(report))
    if result.delivery is not None:
        click.echo(f"outbox: {result.delivery}")
        for error in result.delivery.errors:
            click.echo(f"  {error}", err=True)
    else:
        click.echo("outbox: not sent (no [smtp] in the configuration)")


@followups_group.command("list")
@_list_options
def followups_list(obj: Context, state: str | None, mailbox: str | None, limit: int) -> None:
    """Follow-ups with their state, due (or sent) time, attempts and last error."""
    _list(obj, "follow-ups", OutboxKind.FOLLOWUP, state, mailbox, limit)


@followups_group.command("cancel")
@click.argument("item_ids", metavar="ID...", nargs=-1, type=int)
@click.option("--reason", default="cancelled by hand", show_default=True)
@click.pass_obj
def followups_cancel(obj: Context, item_ids: tuple[int, ...], reason: str) -> None:
    """Cancel pending or failed follow-ups (ids from `amends followups list`)."""
    from amends.sending import cancel_by_hand

    ids = _ids(item_ids)
    items = _on_database(obj, lambda engine, config: cancel_by_hand(engine, ids, reason))
    for item in items:
        click.echo(f"follow-up {item.id} (ticket {item.ticket_id}) cancelled: {reason}")


@followups_group.command("send-now")
@click.argument("item_ids", metavar="ID...", nargs=-1, type=int)
@click.pass_obj
def followups_send_now(obj: Context, item_ids: tuple[int, ...]) -> None:
    """Send these follow-ups now instead of at their due time."""
    from amends.sending import deliver, make_due

    ids = _ids(item_ids)

    def work(engine: Engine, config: Config) -> object:
        make_due(engine, ids, clock.now())
        return deliver(engine, config, only=set(ids))

    report = _on_database(obj, work)
    click.echo(f"outbox: {report}")
    for error in getattr(report, "errors", []):
        click.echo(f"  {error}", err=True)


@cli.group("outbox")
def outbox_group() -> None:
    """Everything the worker sends itself: follow-ups, drafts from Amends/Send."""


@outbox_group.command("list")
@_list_options
def outbox_list(obj: Context, state: str | None, mailbox: str | None, limit: int) -> None:
    """Outbox rows with their state, due (or sent) time, attempts and last error."""
    _list(obj, "outbox rows", None, state, mailbox, limit)


@outbox_group.command("retry")
@click.argument("item_ids", metavar="ID...", nargs=-1, type=int)
@click.option("--dead", "all_dead", is_flag=True, help="Every dead row.")
@click.pass_obj
def outbox_retry(obj: Context, item_ids: tuple[int, ...], all_dead: bool) -> None:
    """Give failed or dead rows a fresh set of attempts, due now (after fixing the cause)."""
    from amends.sending import retry_by_hand

    if all_dead == bool(item_ids):
        raise click.UsageError("give row ids or --dead, not both")
    ids = None if all_dead else list(item_ids)
    items = _on_database(obj, lambda engine, config: retry_by_hand(engine, ids, clock.now()))
    click.echo(f"{len(items)} row(s) will be sent on the next pass")


@outbox_group.command("deliver")
@click.pass_obj
def outbox_deliver(obj: Context) -> None:
    """Send what is due now and exit (the worker does this on every pass)."""
    from amends.sending import deliver

    report = _on_database(obj, lambda engine, config: deliver(engine, config))
    click.echo(f"outbox: {report}")
    for error in report.errors:
        click.echo(f"  {error}", err=True)


def _set_status(obj: Context, ticket_id: int, *, reopen: bool) -> None:
    from amends.followups import set_status_by_hand

    cancelled = _on_database(
        obj, lambda engine, config: set_status_by_hand(engine, ticket_id, reopen=reopen)
    )
    done = "reopened" if reopen else "closed"
    click.echo(f"ticket {ticket_id} {done}" + (" (follow-up cancelled)" if cancelled else ""))


@tickets_group.command("close")
@click.argument("ticket_id", type=int)
@click.pass_obj
def tickets_close(obj: Context, ticket_id: int) -> None:
    """Close a ticket by hand; its queued follow-up is cancelled."""
    _set_status(obj, ticket_id, reopen=False)


@tickets_group.command("reopen")
@click.argument("ticket_id", type=int)
@click.pass_obj
def tickets_reopen(obj: Context, ticket_id: int) -> None:
    """Reopen a ticket by hand (the fix did not hold); its queued follow-up is cancelled."""
    _set_status(obj, ticket_id, reopen=True)
