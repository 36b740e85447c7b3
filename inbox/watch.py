"""Keep one mailbox in sync: connect, sync, wait for new mail (IDLE or polling), reconnect.

Failures of the server (timeouts, dropped connections, refused logins) are logged and retried
after a jittered exponential backoff; the bookmark in the database makes every retry resume
exactly where the last committed batch ended.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from inbox.backoff import Backoff
from inbox.connection import IMAPClient, ImapEndpoint, capabilities, connect, logout, session_errors
from inbox.errors import MailboxAuthError, MailboxError
from inbox.store import MessageStore
from inbox.sync import Progress, SyncOptions, SyncReport, sync_folder

log = logging.getLogger(__name__)

# RFC 2177: servers may drop an IDLE after 30 minutes; re-issue well before.
IDLE_RENEW_S = 25 * 60
# How often an IDLE wakes up to notice a stop request.
IDLE_CHECK_S = 1.0

EndpointFactory = Callable[[bool], ImapEndpoint]  # argument: refresh credentials (OAuth token)


@dataclass(frozen=True)
class WatchSettings:
    folders: Sequence[str]
    poll_interval_s: float = 60.0
    sync: SyncOptions = field(default_factory=SyncOptions)
    use_idle: bool = True


class MailboxWatcher:
    """Runs the sync loop of one mailbox until ``stop`` is set (or once, with ``run_once``)."""

    def __init__(
        self,
        endpoint: EndpointFactory,
        store: MessageStore,
        settings: WatchSettings,
        *,
        stop: threading.Event | None = None,
        backoff: Backoff | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.store = store
        self.settings = settings
        self.stop = stop or threading.Event()
        self.backoff = backoff or Backoff()
        self.progress = progress
        self.last_error: MailboxError | None = None

    def run_once(self) -> list[SyncReport]:
        """Connect, sync every folder once and log out; errors propagate to the caller."""
        client = self.connect()
        try:
            return self._sync_all(client)
        finally:
            logout(client)

    def run(self) -> None:
        """Sync, then wait for new mail and sync again, until ``stop`` is set."""
        while not self.stop.is_set():
            try:
                client = self.connect()
            except MailboxError as exc:
                self._failed(exc)
                continue
            try:
                idle = self.settings.use_idle and "IDLE" in capabilities(client)
                while not self.stop.is_set():
                    reports = self._sync_all(client)
                    for report in reports:
                        if report.found:
                            log.info("%s %s", self.store.mailbox, report)
                    self.backoff.reset()
                    self.last_error = None
                    self._wait_for_mail(client, idle, reports[0].uidnext)
            except MailboxError as exc:
                self._failed(exc)
            finally:
                logout(client)

    def connect(self) -> IMAPClient:
        return connect_refreshing(self.endpoint, self.store.mailbox)

    def _sync_all(self, client: IMAPClient) -> list[SyncReport]:
        return [
            sync_folder(
                client, self.store, folder, self.settings.sync, self.progress, self.stop.is_set
            )
            for folder in self.settings.folders
        ]

    def _failed(self, exc: MailboxError) -> None:
        self.last_error = exc
        delay = self.backoff.next_delay()
        level = logging.ERROR if isinstance(exc, MailboxAuthError) else logging.WARNING
        log.log(level, "%s: %s; retrying in %.1f s", self.store.mailbox, exc, delay)
        self.stop.wait(delay)

    def _wait_for_mail(self, client: IMAPClient, idle: bool, uidnext: int | None) -> None:
        if not idle:
            self.stop.wait(self.settings.poll_interval_s)
            return
        folder = self.settings.folders[0]
        wait_for_mail(client, folder, IDLE_RENEW_S, self.stop.is_set, uidnext)


def connect_refreshing(endpoint: EndpointFactory, mailbox: str) -> IMAPClient:
    """A logged-in client; a refused login is retried once with refreshed credentials."""
    try:
        return connect(endpoint(False))
    except MailboxAuthError:
        # An expired OAuth access token is the common cause: fetch a fresh one, try again.
        log.info("%s: login refused; retrying once with refreshed credentials", mailbox)
        return connect(endpoint(True))


def wait_for_mail(
    client: IMAPClient,
    folder: str,
    timeout_s: float,
    stop: Callable[[], bool],
    known_uidnext: int | None = None,
) -> bool:
    """IDLE on ``folder`` until new mail arrives (True), ``timeout_s`` passes or ``stop()``.

    ``known_uidnext`` is the folder's UIDNEXT when it was last synced: mail that arrived
    since then, before the IDLE began, is never announced by it, so a different UIDNEXT
    returns True at once. The wait ends before the server's 30-minute IDLE limit.
    """
    with session_errors(client, f"waiting for new mail in {folder!r} (IDLE)"):
        info = client.select_folder(folder, readonly=True)
        uidnext = info.get(b"UIDNEXT")
        if known_uidnext is not None and uidnext is not None and int(uidnext) != known_uidnext:
            return True
        client.idle()
        try:
            end = time.monotonic() + min(timeout_s, IDLE_RENEW_S)
            while not stop() and time.monotonic() < end:
                responses = client.idle_check(
                    timeout=max(0.01, min(IDLE_CHECK_S, end - time.monotonic()))
                )
                if any(_announces_mail(r) for r in responses):
                    return True
        finally:
            client.idle_done()
    return False


def _announces_mail(response: object) -> bool:
    """An untagged ``* n EXISTS`` (or RECENT) during IDLE means new mail arrived."""
    return (
        isinstance(response, tuple) and len(response) >= 2 and response[1] in (b"EXISTS", b"RECENT")
    )
