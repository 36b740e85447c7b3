"""``amends run`` (the worker daemon) and ``amends status`` (its health, for people and
monitors). Registered on the main ``amends`` group by :mod:`amends.cli`; the work is in
:mod:`amends.worker` and :mod:`amends.health`."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING

import click

from amends import clock
from amends.cli import Context, _console, _rows, _when, cli, fail
from amends.errors import AmendsError

if TYPE_CHECKING:
    from amends.health import Health

log = logging.getLogger(__name__)


@cli.command("run")
@click.option("--once", is_flag=True, help="One full pass over every mailbox, then exit.")
@click.pass_obj
def run(obj: Context, once: bool) -> None:
    """The worker: every mailbox, every stage, until stopped.

    For each configured mailbox, concurrently: sync the inbox (IDLE or polling), classify,
    assign and write drafts; watch Sent and schedule follow-ups; read the label and send
    folders; deliver due outbox messages. The database schema is upgraded first.

    SIGTERM or Ctrl-C finishes the batch in hand and exits 0 within [worker] grace_s; a second
    signal exits at once. Exits 1 when --once met an error (or the grace period ran out).
    """
    from amends.database import connected, upgrade
    from amends.metrics import Metrics
    from amends.worker import Worker

    # Before anything slow (the configuration, a migration): a stop asked for during start-up
    # is honoured too, once the worker is set up, by not taking any mailbox.
    stop = threading.Event()
    _on_signals(stop)
    try:
        config = obj.config()
        if not config.mailboxes:
            raise AmendsError(
                "no [[mailboxes]] in the configuration: there is nothing to work",
                hint="add a mailbox (see config.example.toml), then `amends doctor`",
            )
        with connected(config) as engine:
            upgrade(engine)
            metrics = Metrics()
            try:
                metrics.serve(config.metrics)
            except OSError as exc:
                raise AmendsError(
                    f"cannot serve metrics on {config.metrics.host}:{config.metrics.port}: {exc}",
                    hint="choose a free port in [metrics] port, or remove it",
                ) from exc
            worker = Worker(engine, config, once=once, metrics=metrics, stop=stop)
            log.info(
                "worker %s starting: %d mailbox(es)%s",
                worker.id,
                len(config.mailboxes),
                ", one pass" if once else "",
            )
            try:
                report = worker.run()
            finally:
                metrics.close()
    except AmendsError as exc:
        fail(exc)
    if report.unfinished:
        log.error(
            "the grace period (%.0f s) ran out with %s still working; exiting now — the next "
            "start resumes from the last commit",
            config.worker.grace_s,
            ", ".join(report.unfinished),
        )
        logging.shutdown()
        os._exit(1)
    log.info("worker %s stopped", worker.id)
    if not once:
        # Stopped as asked: the errors of the last passes were logged when they happened.
        sys.exit(0)
    for name, error in sorted(report.errors.items()):
        click.echo(f"{name}: {error}", err=True)
    for name, passes in sorted(report.passes.items()):
        state = "failed" if name in report.errors else "done"
        click.echo(f"{name}: {state} ({passes} pass(es))")
    for name in report.skipped:
        click.echo(f"{name}: skipped (another worker holds it)")
    sys.exit(0 if report.ok else 1)


def _on_signals(stop: threading.Event) -> None:
    """The first SIGTERM/SIGINT asks for a clean stop; a second one exits at once."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            log.warning("%s again: exiting at once (the next start resumes safely)", name)
            logging.shutdown()
            os._exit(128 + signum)
        log.info(
            "%s: finishing the batch in hand, then exiting; send it again to exit at once", name
        )
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handler)


@cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON document, for monitors.")
@click.pass_obj
def status(obj: Context, as_json: bool) -> None:
    """Per mailbox: last sync and its age, backlog, quarantine, `unsure` queue, outbox, errors.

    Exits 1 when anything is unhealthy: a mailbox not synced for [alerts] alert_after_s, a
    refused login, dead outbox messages, no active model, or a database schema behind this
    version. Changes nothing (it does not upgrade the database).
    """
    from amends.database import connected
    from amends.health import age_text, check_health
    from models import migrate

    try:
        config = obj.config()
        now = clock.now()
        with connected(config) as engine:
            pending = migrate.pending_revisions(engine)
            if pending:
                problems = [
                    f"the database schema is {len(pending)} migration(s) behind this version: "
                    "start the worker (it upgrades) or run `amends db upgrade`"
                ]
                _print_problems(problems, as_json)
                sys.exit(1)
            health = check_health(engine, config, now)
    except AmendsError as exc:
        fail(exc)
    if as_json:
        click.echo(json.dumps(_as_json(health, now), indent=2))
        sys.exit(0 if health.healthy else 1)
    console = _console()
    rows = [
        [
            m.mailbox,
            m.worker or "-",
            _when(m.last_sync_at),
            "-" if m.sync_age_s is None else age_text(m.sync_age_s),
            str(m.backlog),
            str(m.quarantined),
            str(m.unsure),
            str(m.outbox["due"]),
            str(m.outbox["waiting"]),
            str(m.outbox["failed"]),
            str(m.outbox["dead"]),
            "ok" if m.healthy else "UNHEALTHY",
        ]
        for m in health.mailboxes
    ]
    columns = ["mailbox", "worker", "last sync", "age", "backlog", "quarantined", "unsure"]
    columns += ["outbox due", "waiting", "retrying", "dead", "health"]
    _rows(console, "mailboxes", columns, rows)
    click.echo(f"model: {health.model or 'none active'}")
    for problem in health.problems:
        click.echo(f"UNHEALTHY: {problem}")
    for m in health.mailboxes:
        if m.last_error and m.healthy:
            click.echo(f"{m.mailbox}: last error: {m.last_error}")
        for problem in m.problems.values():
            click.echo(f"UNHEALTHY {m.mailbox}: {problem}")
    sys.exit(0 if health.healthy else 1)


def _print_problems(problems: list[str], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"healthy": False, "problems": problems, "mailboxes": []}, indent=2))
    else:
        for problem in problems:
            click.echo(f"UNHEALTHY: {problem}")


def _as_json(health: Health, now: datetime) -> dict[str, object]:
    def when(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "healthy": health.healthy,
        "checked_at": now.isoformat(),
        "model": health.model,
        "problems": health.problems,
        "mailboxes": [
            {
                "mailbox": m.mailbox,
                "healthy": m.healthy,
                "worker": m.worker,
                "last_beat_at": when(m.last_beat_at),
                "last_sync_at": when(m.last_sync_at),
                "sync_age_s": m.sync_age_s,
                "stopped_at": when(m.stopped_at),
                "backlog": m.backlog,
                "quarantined": m.quarantined,
                "unsure": m.unsure,
                "outbox": m.outbox,
                "smtp_login_refused": m.smtp_refused,
                "last_error": m.last_error,
                "last_error_kind": m.last_error_kind,
                "problems": {kind.value: text for kind, text in m.problems.items()},
            }
            for m in health.mailboxes
        ],
    }
