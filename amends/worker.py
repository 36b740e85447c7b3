"""``amends run``: one process that works every configured mailbox through every stage.

Each mailbox gets a thread of its own (a slow or failing mailbox never delays the others) that
keeps one IMAP connection and runs passes: sync the inbox → classify → assign → draft → label
folders → Sent, follow-ups, answers and the send folder → deliver due outbox rows. A pass takes
at most ``[worker] pass_messages`` new messages, so a large backlog flows through every stage
slice by slice; between passes the thread waits for new mail (IDLE, else polling) or for the
next outbox row to fall due.

Every stage commits as it goes and is safe to repeat, so a stop at any point — a signal, a
crash, a lost lock — loses nothing and doubles nothing: the next pass, by this worker or
another, resumes where the last commit left off.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Engine

from amends import clock
from amends.assignment import assign_pending
from amends.classify import Assessor, Classifying, ClassifyResult, ensure_model, preload
from amends.config import Config
from amends.config.schema import MailboxSettings
from amends.drafting import Drafter, DraftReport
from amends.errors import AmendsError
from amends.followups import FollowupReport, MailboxPass
from amends.health import (
    AUTH,
    INTERNAL,
    beat,
    check_health,
    describe,
    due_soon,
    error_kind,
    update_alerts,
)
from amends.label_folders import sync_label_folders
from amends.locks import MailboxLocks, open_locks
from amends.logs import redact
from amends.mailboxes import endpoint_factory, sync_options
from amends.metrics import Metrics
from amends.reports.schedules import record_schedules
from amends.reports.weekly import queue_weekly_report
from amends.retention import PURGE_EVERY, PurgeReport, last_purge, purge_if_due
from amends.sending import deliver, followup_steps, worker_name
from inbox.backoff import Backoff
from inbox.connection import IMAPClient, capabilities, logout
from inbox.errors import MailboxError
from inbox.language import identifier
from inbox.parallel import WorkerProcesses, default_workers
from inbox.store import MessageStore
from inbox.sync import SyncReport, sync_folder
from inbox.watch import connect_refreshing, wait_for_mail
from models.errors import DatabaseUnavailable
from outbox.errors import SmtpAuthError
from outbox.queue import DeliveryReport, has_due
from outbox.render import Templates

log = logging.getLogger(__name__)

T = TypeVar("T")

# A sync of this many new messages or more is parsed by the worker's processes.
SHARED_PARALLEL_FROM = 50
# Times the worker's processes are replaced after one died, before it works without them.
PROCESS_RESTARTS = 3


@dataclass
class PassOutcome:
    """One pass over one mailbox: the stages that failed, and whether work is left."""

    mailbox: str
    seconds: float = 0.0
    failed: dict[str, BaseException] = field(default_factory=dict)
    synced: bool = False
    more: bool = False
    uidnext: int | None = None  # the inbox's, when it was synced


@dataclass
class RunReport:
    """What ``amends run`` did: per mailbox, its passes and last error; mailboxes it skipped."""

    passes: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)  # still running when the grace ran out

    @property
    def ok(self) -> bool:
        return not self.errors and not self.unfinished


class MailboxRunner(threading.Thread):
    """Works one mailbox until told to halt (or, with ``once``, for one full pass)."""

    def __init__(self, worker: Worker, mailbox: MailboxSettings) -> None:
        super().__init__(name=f"amends-{mailbox.name}", daemon=True)
        self.worker = worker
        self.engine = worker.engine
        self.config = worker.config
        self.mailbox = mailbox
        self.box = mailbox.name
        self.halt = threading.Event()
        self.backoff = Backoff()
        self.store = MessageStore(self.engine, mailbox.name)
        # The worker's processes are started once and shared: worth using for smaller syncs
        # than processes started for one sync.
        self.options = replace(
            sync_options(self.config, mailbox),
            processes=worker.processes,
            parallel_from=SHARED_PARALLEL_FROM,
        )
        self.endpoint = endpoint_factory(self.config, mailbox)
        self.drafter: Drafter | None = None
        # The last pass left its slice's drafts to this one (a backlog is being worked).
        self.drafts_left = False
        self.passes = 0
        self.last_error: BaseException | None = None
        # When [retention] is next due for this mailbox (None: ask the database).
        self.next_purge_at: datetime | None = None

    def stopping(self) -> bool:
        return self.halt.is_set() or self.worker.stop.is_set()

    def run(self) -> None:
        now = self.worker.now
        try:
            beat(self.engine, self.box, self.worker.id, now(), started=True)
        except Exception as exc:  # the database is down: the first pass will say so too
            log.warning("%s: cannot record the heartbeat: %s", self.box, describe(exc))
        try:
            self._loop()
        finally:
            try:
                beat(self.engine, self.box, self.worker.id, now(), stopped=True)
            except Exception as exc:
                log.warning("%s: cannot record the stop: %s", self.box, describe(exc))
            log.info("%s: let go of the mailbox after %d pass(es)", self.box, self.passes)

    def _loop(self) -> None:
        while not self.stopping():
            try:
                client = connect_refreshing(self.endpoint, self.box)
            except Exception as exc:  # refused, unreachable, a token command that failed…
                self._failed(exc)
                if self.worker.once:
                    return
                continue
            try:
                idle = self.config.worker.idle and "IDLE" in capabilities(client)
                while self._take_slot():
                    try:
                        outcome = self.one_pass(client)
                    finally:
                        self.worker.pass_slots.release()
                    if self.worker.once and not outcome.more:
                        return
                    if not outcome.synced:
                        self._backoff_wait()
                    elif not outcome.more:
                        # A later stage's failure does not hold up new mail: it is logged,
                        # shown by `amends status`, and tried again with the next pass.
                        self._wait(client, idle, outcome.uidnext)
            except Exception as exc:
                # The connection is gone or unusable (or something no stage expected): log in
                # again after a backoff.
                self._failed(exc)
                if self.worker.once:
                    return
            finally:
                logout(client)

    def _take_slot(self) -> bool:
        """Wait for a turn to run a pass (``[worker] parallel_passes``); False when stopping."""
        while not self.stopping():
            if self.worker.pass_slots.acquire(timeout=0.5):
                return True
        return False

    # --- one pass --------------------------------------------------------------------------

    def one_pass(self, client: IMAPClient) -> PassOutcome:
        started = time.monotonic()
        outcome = PassOutcome(self.box)
        mailbox, engine, config, now = self.mailbox, self.engine, self.config, self.worker.now
        done = [0]

        def slice_done() -> bool:
            return self.stopping() or done[0] >= config.worker.pass_messages

        def progress(count: int, _total: int) -> None:
            done[0] = count

        def sync() -> SyncReport:
            return sync_folder(
                client, self.store, mailbox.folders.inbox, self.options, progress, slice_done
            )

        inbox = self._stage(outcome, "sync", sync, _sync_counts)
        if inbox is not None:
            outcome.synced, outcome.uidnext = True, inbox.uidnext
            outcome.more = done[0] < inbox.found
            if self.worker.metrics is not None:
                self.worker.metrics.last_sync.labels(self.box).set(time.time())
        if not self.stopping():
            self._triage_and_draft(client, outcome)
        steps: list[tuple[str, Callable[[], Any], Callable[[Any], dict[str, int]]]] = [
            (
                "labels",
                lambda: sync_label_folders(engine, config, mailbox, client),
                lambda r: {"labelled": r.labelled, "confirmed": r.confirmed},
            ),
            ("followups", lambda: self._followups(client), _followup_counts),
        ]
        if config.smtp is not None and config.reports.weekly.to:
            steps.append(
                (
                    "report",
                    lambda: queue_weekly_report(engine, config, mailbox, now()),
                    lambda queued: {"queued": queued},
                )
            )
        if config.retention.keep_text_days is not None:
            steps.append(("retention", self._retention, _purge_counts))
        if config.smtp is not None:
            steps.append(
                (
                    "outbox",
                    self._deliver,
                    lambda r: {"sent": r.sent, "retried": r.retried, "dead": r.dead},
                )
            )
        for name, work, counts in steps:
            if self.stopping():
                break
            result = self._stage(outcome, name, work, counts)
            auth_error = getattr(result, "auth_error", None)
            if auth_error:
                # The rows wait; the mailbox's health says why.
                outcome.failed[name] = SmtpAuthError(auth_error)
        outcome.seconds = time.monotonic() - started
        self.passes += 1
        self._after_pass(outcome)
        return outcome

    def _triage_and_draft(self, client: IMAPClient, outcome: PassOutcome) -> None:
        """Classify, assign and draft what the sync brought.

        During a backlog (``outcome.more``) a slice's drafts are left for the next pass, which
        writes them while the helper processes classify its own slice: classifying is their
        work, drafting this thread's, and the two overlap without sharing a thread. The last
        slice is drafted at once. A stop in between loses nothing: the drafts stage takes
        every assigned ticket that has no draft.
        """
        engine, config, mailbox, now = self.engine, self.config, self.mailbox, self.worker.now
        started = time.monotonic()
        classifying: Classifying | Exception
        try:
            classifying = Classifying(
                engine, config, mailbox=mailbox.name, assessor=self.worker.assessor
            )
        except Exception as exc:  # reported by the classify stage below
            classifying = exc
        reading = time.monotonic() - started
        if self.drafts_left and not self.stopping():
            self._stage(outcome, "drafts", lambda: self._drafts(client), _draft_counts)

        def classify() -> ClassifyResult:
            if isinstance(classifying, Exception):
                raise classifying
            return classifying.finish()

        self._stage(
            outcome,
            "classify",
            classify,
            lambda r: {"classified": r.classified, "unsure": r.unsure, "severe": r.severe},
            earlier_seconds=reading,
        )
        if self.stopping():
            return
        self._stage(
            outcome,
            "assign",
            lambda: assign_pending(engine, config, mailbox=mailbox.name, now=now()),
            lambda r: {"assigned": r.assigned, "triaged": r.triaged},
        )
        self.drafts_left = outcome.more
        if not outcome.more and not self.stopping():
            self._stage(outcome, "drafts", lambda: self._drafts(client), _draft_counts)

    def _stage(
        self,
        outcome: PassOutcome,
        stage: str,
        work: Callable[[], T],
        counts: Callable[[T], dict[str, int]],
        *,
        earlier_seconds: float = 0.0,
    ) -> T | None:
        """Run one stage, time it, log one line and count it; a failure other than the IMAP
        connection's is recorded and the pass goes on with the next stage.
        ``earlier_seconds``: time the stage spent before (started ahead of another stage)."""
        if any(isinstance(e, DatabaseUnavailable) for e in outcome.failed.values()):
            # Every later stage would fail alike: one line a pass says it, the backoff waits.
            log.debug("%s %s: skipped, the database is unavailable", self.box, stage)
            return None
        started = time.monotonic() - earlier_seconds
        metrics = self.worker.metrics
        try:
            result = work()
        except MailboxError:
            raise
        except Exception as exc:
            seconds = time.monotonic() - started
            kind = error_kind(exc)
            outcome.failed[stage] = exc
            level = logging.ERROR
            extra = {"mailbox": self.box, "stage": stage, "seconds": round(seconds, 3)}
            if isinstance(exc, AmendsError):
                hint = f"; what to do: {redact(exc.hint)}" if exc.hint else ""
                log.log(
                    level,
                    "%s %s: failed after %.2f s: %s%s",
                    self.box,
                    stage,
                    seconds,
                    describe(exc),
                    hint,
                    extra={**extra, "outcome": "failed"},
                )
            else:
                log.exception(
                    "%s %s: failed after %.2f s",
                    self.box,
                    stage,
                    seconds,
                    extra={**extra, "outcome": "failed"},
                )
            if metrics is not None:
                metrics.stage_errors.labels(self.box, stage, kind).inc()
                metrics.stage_seconds.labels(self.box, stage).observe(seconds)
            return None
        seconds = time.monotonic() - started
        numbers = counts(result)
        if metrics is not None:
            metrics.stage_seconds.labels(self.box, stage).observe(seconds)
            metrics.count(self.box, stage, numbers)
        did = ", ".join(f"{n} {what}" for what, n in numbers.items() if n) or "nothing to do"
        # The sync and drafts stages time their steps (fetch, parse, store; render, append).
        steps: dict[str, float] = getattr(result, "stages", None) or {}
        log.log(
            logging.INFO if any(numbers.values()) else logging.DEBUG,
            "%s %s: %s in %.2f s%s",
            self.box,
            stage,
            did,
            seconds,
            f" ({', '.join(f'{name} {s:.2f} s' for name, s in steps.items())})" if steps else "",
            extra={
                "mailbox": self.box,
                "stage": stage,
                "seconds": round(seconds, 3),
                "outcome": did,
                **({"step_seconds": {n: round(s, 3) for n, s in steps.items()}} if steps else {}),
            },
        )
        return result

    def _drafts(self, client: IMAPClient) -> DraftReport:
        if self.drafter is None:
            self.drafter = Drafter(self.engine, self.config, self.mailbox, self.worker.templates)
        drafter, report = self.drafter, DraftReport(self.box)
        steps: list[tuple[str, Callable[[], None]]] = [
            ("render", lambda: drafter.render_pending(report)),
            ("append", lambda: drafter.deliver(client, report)),
            ("keywords", lambda: drafter.sync_keywords(client, report)),
        ]
        for step, work in steps:
            started = time.monotonic()
            try:
                work()
            finally:
                report.stages[step] = time.monotonic() - started
        return report

    def _deliver(self) -> DeliveryReport:
        # Nothing due: no SMTP connection, no IMAP pool, no OAuth token fetched this pass.
        if not has_due(self.engine, self.worker.now(), self.box):
            return DeliveryReport()
        return deliver(
            self.engine, self.config, self.worker.now, mailbox=self.box, stop=self.stopping
        )

    def _followups(self, client: IMAPClient) -> FollowupReport:
        report = FollowupReport(self.box)
        followup_steps(
            MailboxPass(self.engine, self.config, self.mailbox, client, report, self.worker.now)
        )
        return report

    def _retention(self) -> PurgeReport | None:
        """[retention], once a day: asked on every pass, it reads the database once a day."""
        now = self.worker.now()
        if self.next_purge_at is not None and now < self.next_purge_at:
            return None
        report = purge_if_due(self.engine, self.config, self.box, now)
        last = last_purge(self.engine, self.box) if report is None else now
        self.next_purge_at = (last or now) + PURGE_EVERY
        return report

    def _after_pass(self, outcome: PassOutcome) -> None:
        now = self.worker.now()
        error = next(iter(outcome.failed.values()), None)
        # A refused login anywhere in the pass is what the health must show.
        kind = AUTH if any(error_kind(e) == AUTH for e in outcome.failed.values()) else None
        if self.worker.metrics is not None:
            self.worker.metrics.passes.labels(self.box).inc()
        self.last_error = error
        if outcome.synced:
            self.backoff.reset()
        try:
            beat(
                self.engine,
                self.box,
                self.worker.id,
                now,
                synced=outcome.synced,
                pass_s=outcome.seconds,
                error=error,
                kind=kind,
            )
            self._alerts(now)
        except Exception as exc:
            log.warning("%s: cannot record the heartbeat: %s", self.box, describe(exc))

    def _alerts(self, now: datetime) -> None:
        health = check_health(self.engine, self.config, now, mailbox=self.box)
        update_alerts(self.engine, self.config, self.mailbox, health.mailboxes[0], now)

    # --- waiting ---------------------------------------------------------------------------

    def _wait(self, client: IMAPClient, idle: bool, uidnext: int | None) -> None:
        """Until new mail arrives, the poll interval passes or an outbox row falls due."""
        timeout = self.mailbox.poll_interval_s
        if self.config.smtp is not None:
            due = due_soon(self.engine, self.box, self.worker.now(), timedelta(seconds=timeout))
            if due is not None:
                timeout = max(1.0, due)
        if idle:
            wait_for_mail(client, self.mailbox.folders.inbox, timeout, self.stopping, uidnext)
        else:
            self.halt.wait(timeout)

    def _failed(self, exc: BaseException) -> None:
        self.last_error = exc
        delay = self.backoff.next_delay()
        kind = error_kind(exc)
        level = logging.ERROR if kind == AUTH else logging.WARNING
        log.log(
            level,
            "%s: %s; retrying in %.1f s",
            self.box,
            describe(exc),
            delay,
            extra={"mailbox": self.box, "outcome": "failed", "kind": kind},
            # A failure nobody foresaw needs its traceback to be fixed.
            exc_info=exc if kind == INTERNAL else None,
        )
        try:
            beat(self.engine, self.box, self.worker.id, self.worker.now(), error=exc)
            self._alerts(self.worker.now())
        except Exception as db_exc:
            log.warning("%s: cannot record the failure: %s", self.box, describe(db_exc))
        if not self.worker.once:
            self.halt.wait(delay)

    def _backoff_wait(self) -> None:
        if not self.worker.once:
            self.halt.wait(self.backoff.next_delay())


class Worker:
    """Holds the mailboxes it may work (locks), runs a thread per mailbox, takes over the
    mailboxes of dead workers, and shuts down within the grace period."""

    def __init__(
        self,
        engine: Engine,
        config: Config,
        *,
        once: bool = False,
        metrics: Metrics | None = None,
        now: Callable[[], datetime] = clock.now,
        stop: threading.Event | None = None,
    ) -> None:
        self.engine = engine
        self.config = config
        self.once = once
        self.metrics = metrics
        self.now = now
        self.id = worker_name()
        # Set to stop (by a signal handler): each mailbox finishes its batch in hand.
        self.stop = stop or threading.Event()
        self.runners: dict[str, MailboxRunner] = {}
        # Passes are mostly CPU: a few at a time finish sooner than all at once.
        self.pass_slots = threading.BoundedSemaphore(
            config.worker.parallel_passes or 2 * max(1, default_workers())
        )
        # Shared by the mailboxes: processes that parse and classify (keeping the model
        # loaded), started once; a few deaths are made good with new ones.
        workers = config.worker.processes
        self.processes = WorkerProcesses(
            default_workers() if workers is None else workers,
            "parsing and classifying",
            restarts=PROCESS_RESTARTS,
        )
        self.assessor = Assessor(self.processes)
        self.templates: Templates | None = None  # loaded by run(), shared by the drafters
        self.report = RunReport()
        self.takeover_s = config.worker.takeover_check_s
        # Mailbox → until when this worker leaves it to others after handing it over.
        self.handed_over: dict[str, float] = {}

    def run(self) -> RunReport:
        locks = open_locks(self.engine, self.id)
        try:
            self._prepare()
            while True:
                try:
                    self._take_mailboxes(locks)
                except Exception as exc:
                    # The database is away (restarting, say): the next check sees whether the
                    # locks survived; the mailboxes' threads go on meanwhile.
                    log.warning("cannot check the mailbox locks: %s", describe(exc))
                    if self.once:
                        raise
                if self.once or self.stop.wait(self.takeover_s):
                    break
            if self.once:
                # Until every mailbox had its pass, or a stop was asked for.
                while any(r.is_alive() for r in self.runners.values()):
                    if self.stop.wait(0.5):
                        break
            self._shutdown(locks)
        finally:
            self.processes.close()
            for runner in self.runners.values():
                self.report.passes[runner.mailbox.name] = runner.passes
                if runner.last_error is not None:
                    self.report.errors[runner.mailbox.name] = describe(runner.last_error)
            if not self.report.unfinished:
                locks.close()
        return self.report

    def _halt_all(self) -> None:
        for runner in self.runners.values():
            runner.halt.set()

    def _prepare(self) -> None:
        # Once here rather than in every mailbox's thread: the first start trains the default.
        loaded = None
        try:
            loaded = ensure_model(self.engine, self.config)
        except AmendsError as exc:
            log.error("no model to classify with: %s (tickets wait unclassified)", exc)
        # What the first message would otherwise wait for: the helper processes (loading the
        # model meanwhile), the language identifier and the compiled templates (together
        # about 1.5 s).
        executor = self.processes.executor()
        if executor is not None and loaded is not None:
            for _ in range(self.processes.workers):
                executor.submit(preload, loaded.version.path, loaded.version.file_sha256)
        identifier()
        try:
            self.templates = Templates(self.config.drafts.templates_dir)
            self.templates.load_all()
        except AmendsError as exc:
            log.error("the draft templates cannot be used: %s (drafts wait)", describe(exc))
        # Reports attribute complaints to the shifts of their time: keep the history.
        if record_schedules(self.engine, self.config, self.now()):
            log.info("agents' working hours recorded for reports")

    def _take_mailboxes(self, locks: MailboxLocks) -> None:
        """Let go of mailboxes whose lock was lost or that are more than this worker's fair
        share, and take free ones up to it (all of them with ``once``)."""
        for name in locks.check():
            runner = self.runners.get(name)
            if runner is not None:
                runner.halt.set()
        working = [r for r in self.runners.values() if r.is_alive() and not r.halt.is_set()]
        share = len(self.config.mailboxes)
        if not self.once:
            share = math.ceil(share / locks.live_workers())
            # Another worker joined: hand over the surplus (finished with its batch first).
            for runner in working[share:]:
                log.info("%s: handing over to another worker (fair share %d)", runner.box, share)
                runner.halt.set()
                self.handed_over[runner.box] = time.monotonic() + 5 * self.takeover_s
            working = working[:share]
        for mailbox in self.config.mailboxes:
            runner = self.runners.get(mailbox.name)
            if runner is not None and (runner.is_alive() or self.once):
                continue
            if runner is not None:
                # It halted (lock lost or handed over): release what may be left of its lock.
                locks.release(mailbox.name)
                del self.runners[mailbox.name]
            if self.stop.is_set() or len(working) >= share:
                continue
            if self.handed_over.get(mailbox.name, 0) > time.monotonic():
                continue  # give the other workers the first chance at it
            if not locks.acquire(mailbox.name):
                if self.once:
                    log.info("%s: another worker holds it; skipped", mailbox.name)
                    self.report.skipped.append(mailbox.name)
                continue
            log.info("%s: working this mailbox (worker %s)", mailbox.name, self.id)
            runner = MailboxRunner(self, mailbox)
            self.runners[mailbox.name] = runner
            working.append(runner)
            runner.start()

    def _shutdown(self, locks: MailboxLocks) -> None:
        self._halt_all()
        deadline = time.monotonic() + self.config.worker.grace_s
        for runner in self.runners.values():
            runner.join(timeout=max(0.0, deadline - time.monotonic()))
        self.report.unfinished = sorted(
            r.mailbox.name for r in self.runners.values() if r.is_alive()
        )
        for name, runner in self.runners.items():
            if not runner.is_alive():
                locks.release(name)


def _purge_counts(report: PurgeReport | None) -> dict[str, int]:
    return {} if report is None else {f"purged {k}": n for k, n in report.counts().items()}


def _sync_counts(report: SyncReport) -> dict[str, int]:
    o = report.outcome
    return {
        "stored": o.stored,
        "new tickets": o.tickets_created,
        "threaded": o.threaded,
        "duplicates": o.duplicates,
        "quarantined": o.quarantined,
    }


def _draft_counts(report: DraftReport) -> dict[str, int]:
    return {"rendered": report.rendered, "appended": report.appended, "keywords": report.keywords}


def _followup_counts(report: FollowupReport) -> dict[str, int]:
    return {
        "replies": report.replies,
        "scheduled": report.scheduled,
        "cancelled": sum(report.cancelled.values()),
        "answers": report.answers,
        "reopened": report.reopened,
        "queued from send folder": report.queued_from_send_folder,
        "filed": report.filed,
    }
