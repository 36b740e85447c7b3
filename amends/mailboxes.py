"""Wire a configured mailbox to the inbox stage: endpoint, store, watcher, progress display."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from sqlalchemy import Engine

from amends.config.schema import Config, MailboxSettings
from amends.endpoints import TokenSource, imap_endpoint
from amends.errors import ConfigError, ConfigProblem
from inbox.connection import ImapEndpoint
from inbox.store import MessageStore
from inbox.sync import Progress as ProgressCallback
from inbox.sync import SyncOptions
from inbox.watch import EndpointFactory, MailboxWatcher, WatchSettings

log = logging.getLogger(__name__)


def find_mailbox(config: Config, name: str | None) -> MailboxSettings:
    """The mailbox called ``name``, or the only one when no name is given."""
    if name is None and len(config.mailboxes) == 1:
        return config.mailboxes[0]
    for mailbox in config.mailboxes:
        if mailbox.name == name:
            return mailbox
    names = ", ".join(m.name for m in config.mailboxes) or "none configured"
    wanted = "a --mailbox" if name is None else f'no mailbox "{name}"'
    problem = f"{wanted}: the configured mailboxes are {names}"
    raise ConfigError([ConfigProblem("mailboxes", problem, config.source)])


def sync_options(config: Config, mailbox: MailboxSettings) -> SyncOptions:
    own = {mailbox.address.lower(), *(m.address.lower() for m in config.mailboxes)}
    return SyncOptions(
        batch_size=mailbox.batch_size,
        max_message_bytes=int(mailbox.max_message_mb * 1024 * 1024),
        since=mailbox.since,
        own_addresses=frozenset(own),
        parse_workers=mailbox.parse_workers,
    )


def build_watcher(
    config: Config,
    mailbox: MailboxSettings,
    engine: Engine,
    *,
    stop: threading.Event | None = None,
    progress: ProgressCallback | None = None,
) -> MailboxWatcher:
    settings = WatchSettings(
        folders=[mailbox.folders.inbox],
        poll_interval_s=mailbox.poll_interval_s,
        sync=sync_options(config, mailbox),
    )
    store = MessageStore(engine, mailbox.name)
    return MailboxWatcher(
        endpoint_factory(config, mailbox), store, settings, stop=stop, progress=progress
    )


def endpoint_factory(config: Config, mailbox: MailboxSettings) -> EndpointFactory:
    """The mailbox's IMAP endpoint, with a fresh OAuth token when asked to refresh."""
    tokens = TokenSource(mailbox.imap, mailbox.name) if mailbox.imap.auth == "xoauth2" else None

    def endpoint(refresh: bool) -> ImapEndpoint:
        if refresh and tokens is not None:
            tokens.refresh()
        return imap_endpoint(config, mailbox, tokens)

    return endpoint


@contextmanager
def sync_progress(console: Console, mailbox: str) -> Iterator[ProgressCallback]:
    """A progress callback: a live bar on a terminal, a log line every 10 s otherwise.

    Small syncs (under 200 messages) show nothing: the summary line says enough.
    """
    if console.is_terminal:
        with Progress(
            TextColumn(f"{mailbox}: syncing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:.0f} msg/s"),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("sync", total=None, rate=0.0, visible=False)
            started = time.monotonic()

            def update(done: int, total: int) -> None:
                rate = done / max(time.monotonic() - started, 1e-6)
                bar.update(task, completed=done, total=total, rate=rate, visible=total >= 200)

            yield update
        return
    state = {"started": time.monotonic(), "logged": 0.0}

    def log_progress(done: int, total: int) -> None:
        now = time.monotonic()
        if total < 200 or (now - state["logged"] < 10 and done < total):
            return
        state["logged"] = now
        rate = done / max(now - state["started"], 1e-6)
        eta = (total - done) / rate if rate else 0
        log.info("%s: %d/%d messages, %.0f msg/s, ETA %.0f s", mailbox, done, total, rate, eta)

    yield log_progress
