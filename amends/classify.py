"""The classify stage: failure type, severity and repeat failure for stored tickets.

A ticket waits for this stage with status ``new`` and no failure type. Afterwards it is either
still ``new`` with its failure type (ready for assignment) or ``unsure`` (the model's probability
was below ``classifier.min_confidence``, or there was no text): a human labels it with
``amends label`` or by moving the mail into an ``Amends/Labels/<label>`` folder.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict, deque
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypedDict, Unpack

from sqlalchemy import Engine, bindparam, insert, update
from sqlmodel import Session, col, select

from amends import clock
from amends.config import Config
from classifier import registry
from classifier.bootstrap import SOURCE, bootstrap_dataset, corpus_fingerprint
from classifier.errors import ModelNotFound, VersionExists
from classifier.model import FailureTypeClassifier, Term
from classifier.registry import LoadedModel
from classifier.severity import SeverityAssessment, assess_severity
from classifier.text import model_text
from classifier.training import TrainingOptions, train
from inbox.parallel import LOST, WorkerProcesses
from inbox.quotes import strip_quotes
from models.classification import Classification
from models.engine import SQLITE_BEGIN_OPTION
from models.mail import Message, MessageDirection, MessageKind
from models.tables import table_of
from models.tickets import Customer, EventLog, Severity, Ticket, TicketStatus

log = logging.getLogger(__name__)

NOT_A_COMPLAINT = "not_a_complaint"
TOP_TERMS = 5
DEFAULT_MODEL_WAIT_S = 120.0


@dataclass(frozen=True)
class ClassifyResult:
    model_version: str
    classified: int = 0
    unsure: int = 0
    severe: int = 0
    repeats: int = 0
    seconds: float = 0.0


def default_version_name() -> str:
    return f"default-{corpus_fingerprint()[:12]}"


def ensure_model(engine: Engine, config: Config) -> LoadedModel:
    """The active model; on first use, the default model trained from the bootstrap corpus.

    Training is deterministic (fixed seeds), so every installation with the same corpus gets
    the same default model.
    """
    loaded = registry.load_active(engine)
    if loaded is not None:
        return loaded
    name = default_version_name()
    known = {v.version for v in registry.list_versions(engine)}
    try:
        if name not in known:
            log.info("no active model: training the default model from the bootstrap corpus")
            train(
                engine,
                bootstrap_dataset(strip_quotes),
                TrainingOptions(
                    model_dir=config.classifier.model_dir,
                    notes=f"default model from the {SOURCE}",
                    version_name=name,
                ),
            )
        else:
            registry.activate(engine, name, reason="no model was active; the default model is")
    except VersionExists:
        # Another worker is registering the same default model: wait for it to be active.
        log.info("another process is registering the default model; waiting for it")
    deadline = time.monotonic() + DEFAULT_MODEL_WAIT_S
    while (loaded := registry.load_active(engine)) is None:
        if time.monotonic() > deadline:
            raise ModelNotFound(
                "no model became active while another process registered the default model",
                hint="run `amends model list` and `amends model activate VERSION`",
            )
        time.sleep(0.5)
    return loaded


class ClassifyOptions(TypedDict, total=False):
    """What to classify and how (every key may be left out)."""

    mailbox: str | None  # one mailbox's tickets; default: every mailbox's
    batch_size: int  # tickets per committed batch; default 500
    limit: int | None  # at most this many tickets; default: all that wait
    assessor: Assessor | None  # the helper processes to share with; default: in-process


def classify_pending(
    engine: Engine, config: Config, **options: Unpack[ClassifyOptions]
) -> ClassifyResult:
    """Classify every waiting ticket (up to ``limit``), one committed batch at a time;
    ``assessor`` shares the model's work with its worker processes (else all in-process)."""
    return Classifying(engine, config, **options).finish()


class Classifying:
    """A classification under way: creating it reads the first batches of waiting tickets and
    hands them to the assessor (its helper processes predict them meanwhile); ``finish()``
    writes each batch's results, reading and handing over the next batches as it goes.

    The reading and the prediction take no write lock (SQLite has one for the whole
    database); only the writing of each batch's results does. At most :data:`AHEAD` batches
    are read and not yet written, which bounds the memory whatever the backlog.
    """

    AHEAD = 4

    def __init__(self, engine: Engine, config: Config, **options: Unpack[ClassifyOptions]) -> None:
        started = time.monotonic()
        self.engine, self.config = engine, config
        self.mailbox = options.get("mailbox")
        self.batch_size = options.get("batch_size", 500)
        self.limit = options.get("limit")
        self.assessor = options.get("assessor") or Assessor()
        self.loaded = ensure_model(engine, config)
        self.reading = engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
        self.in_flight: deque[tuple[list[Ticket], Pending]] = deque()
        self.after, self.read, self.exhausted = 0, 0, False
        while len(self.in_flight) < self.AHEAD and self._read_next():
            pass
        self.seconds = time.monotonic() - started

    def _read_next(self) -> bool:
        """Read the next batch past the last one read and hand it over; False when none."""
        size = (
            self.batch_size if self.limit is None else min(self.batch_size, self.limit - self.read)
        )
        if self.exhausted or size <= 0:
            return False
        with Session(self.reading) as session:
            query = (
                select(Ticket)
                .where(
                    Ticket.status == TicketStatus.NEW,
                    col(Ticket.failure_type).is_(None),
                    col(Ticket.id) > self.after,
                )
                .order_by(col(Ticket.id))
                .limit(size)
            )
            if self.mailbox:
                query = query.where(Ticket.mailbox == self.mailbox)
            tickets = list(session.exec(query))
            inputs = _inputs(session, tickets) if tickets else []
        if not tickets:
            self.exhausted = True
            return False
        self.after, self.read = tickets[-1].id or self.after, self.read + len(tickets)
        self.in_flight.append((tickets, self.assessor.start(self.loaded, inputs)))
        return True

    def finish(self) -> ClassifyResult:
        started = time.monotonic()
        totals = {"classified": 0, "unsure": 0, "severe": 0, "repeats": 0}
        while self.in_flight:
            if len(self.in_flight) < self.AHEAD:
                self._read_next()
            tickets, pending = self.in_flight.popleft()
            assessed = pending.result()
            with Session(self.engine) as session:
                # Another process may have classified some meanwhile, or be writing them now
                # (PostgreSQL: skipped, not waited for); those are left to it.
                waiting = set(
                    session.exec(
                        select(col(Ticket.id))
                        .where(
                            col(Ticket.id).in_([t.id for t in tickets]),
                            Ticket.status == TicketStatus.NEW,
                            col(Ticket.failure_type).is_(None),
                        )
                        .with_for_update(skip_locked=True)
                    )
                )
                kept = [(t, a) for t, a in zip(tickets, assessed, strict=True) if t.id in waiting]
                counts = _record(session, kept, self.loaded, self.config) if kept else {}
                session.commit()
            for key, value in counts.items():
                totals[key] += value
        seconds = self.seconds + time.monotonic() - started
        version = self.loaded.version.version
        if totals["classified"]:
            # The caller reports it (the CLI on stdout, the worker in its stage line).
            log.debug(
                "classified %d ticket(s) with model %s in %.2fs: %d unsure, %d severe, %d repeat",
                totals["classified"],
                version,
                seconds,
                totals["unsure"],
                totals["severe"],
                totals["repeats"],
            )
        return ClassifyResult(version, seconds=seconds, **totals)


def first_messages(session: Session, ticket_ids: Sequence[int]) -> dict[int, Message]:
    rows = session.exec(
        select(Message)
        .where(
            col(Message.ticket_id).in_(ticket_ids),
            Message.direction == MessageDirection.INBOUND,
            Message.kind == MessageKind.CUSTOMER,
        )
        .order_by(col(Message.received_at), col(Message.id))
    )
    first: dict[int, Message] = {}
    for message in rows:
        assert message.ticket_id is not None
        first.setdefault(message.ticket_id, message)
    return first


class ComplaintHistory:
    """The complaints of a batch's customers within the repeat window, fetched with one query
    per 500 customers instead of one per ticket; complaints classified in the batch are added
    as they are (``add``), so a customer's second complaint in a batch sees the first."""

    def __init__(self, session: Session, tickets: Sequence[Ticket], window_days: int) -> None:
        self.window = timedelta(days=window_days)
        self.known: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
        if not tickets:
            return
        since = min(t.received_at for t in tickets) - self.window
        until = max(t.received_at for t in tickets)
        customers = sorted({t.customer_id for t in tickets})
        for first in range(0, len(customers), 500):
            rows = session.execute(
                select(col(Ticket.customer_id), col(Ticket.received_at), col(Ticket.id)).where(
                    col(Ticket.customer_id).in_(customers[first : first + 500]),
                    col(Ticket.failure_type).is_not(None),
                    Ticket.failure_type != NOT_A_COMPLAINT,
                    col(Ticket.received_at) >= since,
                    col(Ticket.received_at) <= until,
                )
            )
            for customer_id, received_at, ticket_id in rows:
                self.known[customer_id].append((received_at, ticket_id))

    def earlier(self, ticket: Ticket) -> list[int]:
        received = ticket.received_at
        since = received - self.window
        found = sorted(
            (at, i)
            for at, i in self.known.get(ticket.customer_id, ())
            if i != ticket.id and since <= at <= received
        )
        return [i for _, i in found]

    def add(self, ticket: Ticket) -> None:
        if ticket.id is not None:
            self.known[ticket.customer_id].append((ticket.received_at, ticket.id))


_CLASSIFICATIONS, _EVENTS = table_of(Classification), table_of(EventLog)
_TICKETS, _CUSTOMERS = table_of(Ticket), table_of(Customer)
_INSERT_CLASSIFICATIONS = insert(_CLASSIFICATIONS)
_INSERT_EVENTS = insert(_EVENTS)
_UPDATE_TICKETS = (
    update(_TICKETS)
    .where(_TICKETS.c.id == bindparam("ticket"))
    .values(
        confidence=bindparam("confidence"),
        severity=bindparam("severity"),
        repeat_failure=bindparam("repeat_failure"),
        status=bindparam("status"),
        failure_type=bindparam("failure_type"),
    )
)
_COUNT_FAILURES = (
    update(_CUSTOMERS)
    .where(_CUSTOMERS.c.id == bindparam("customer"))
    .values(failure_count=_CUSTOMERS.c.failure_count + bindparam("failures"))
)


@dataclass(frozen=True)
class TicketText:
    """The text a ticket is classified by: its first customer message's subject and new text."""

    message_id: int | None
    subject: str
    body: str


Prediction = tuple[str, float, list[Term]]


@dataclass(frozen=True)
class _Assessment:
    """What the model and the severity rules say about one ticket's first message."""

    message_id: int | None
    prediction: Prediction | None  # None: no text to classify
    severity: SeverityAssessment


def _inputs(session: Session, tickets: list[Ticket]) -> list[TicketText]:
    messages = first_messages(session, [t.id for t in tickets if t.id is not None])
    inputs = []
    for ticket in tickets:
        message = messages.get(ticket.id or 0)
        if message is None:
            inputs.append(TicketText(None, ticket.subject or "", ""))
        else:
            inputs.append(TicketText(message.id, message.subject or "", message.new_text or ""))
    return inputs


def assess_here(
    model: FailureTypeClassifier, inputs: Sequence[TicketText]
) -> list[tuple[Prediction | None, SeverityAssessment]]:
    """Predict the failure type (one batched prediction) and assess severity, per input."""
    texts = [model_text(i.subject, i.body) for i in inputs]
    with_text = [n for n, text in enumerate(texts) if text.strip()]
    predictions = dict(
        zip(
            with_text,
            model.predict_explained([texts[n] for n in with_text], top_k=TOP_TERMS),
            strict=True,
        )
    )
    return [(predictions.get(n), assess_severity(i.subject, i.body)) for n, i in enumerate(inputs)]


def preload(path: str, sha256: str | None) -> None:
    """In a helper process at the worker's start: load the model before the first batch
    needs it (a failure shows again, and is reported, when a batch does)."""
    registry.load_file(Path(path), sha256)


def _assess_piece(
    path: str, sha256: str | None, inputs: list[TicketText]
) -> list[tuple[Prediction | None, SeverityAssessment]]:
    """In a worker process: the model comes from its file, loaded once per version."""
    return assess_here(registry.load_file(Path(path), sha256), inputs)


# Batches smaller than this are classified in the calling thread: handing texts to a worker
# process would cost more than it saves.
PARALLEL_FROM = 20
# Tickets per piece at least, and pieces per worker process at most (evens out their speed).
MIN_PIECE = 10
PIECES_PER_WORKER = 2


class Assessor:
    """Runs the model and the severity rules over a batch of tickets' texts: in ``processes``
    (worker processes, which load the model file themselves and keep it) when there are any
    and the batch is large enough, else in the calling thread.

    Prediction and severity are pure functions of the text, so the results are those of one
    process, in the batch's order. A worker that dies takes nothing with it: its share is
    done in the calling thread.
    """

    def __init__(self, processes: WorkerProcesses | None = None) -> None:
        self.processes = processes

    def assess(self, loaded: LoadedModel, inputs: list[TicketText]) -> list[_Assessment]:
        return self.start(loaded, inputs).result()

    def start(self, loaded: LoadedModel, inputs: list[TicketText]) -> Pending:
        """Hand ``inputs`` to the helper processes (when worth it) and return at once; the
        result waits for them, or does the work here."""
        processes = self.processes
        executor = processes.executor() if processes and len(inputs) >= PARALLEL_FROM else None
        if processes is None or executor is None:
            return Pending(loaded, inputs, [(inputs, None)])
        count = max(1, min(len(inputs) // MIN_PIECE, processes.workers * PIECES_PER_WORKER))
        size = -(-len(inputs) // count)
        version = loaded.version
        pieces: list[tuple[list[TicketText], Future[list[Any]] | None]] = []
        for first in range(0, len(inputs), size):
            piece, future = inputs[first : first + size], None
            try:
                future = executor.submit(_assess_piece, version.path, version.file_sha256, piece)
            except (BrokenProcessPool, RuntimeError):
                processes.broken(executor)
            pieces.append((piece, future))
        return Pending(loaded, inputs, pieces, processes, executor)


class Pending:
    """A batch being assessed: ``result()`` collects the pieces, in order, doing here any
    piece whose helper died (or that no helper took)."""

    def __init__(
        self,
        loaded: LoadedModel,
        inputs: list[TicketText],
        pieces: list[tuple[list[TicketText], Future[list[Any]] | None]],
        processes: WorkerProcesses | None = None,
        executor: ProcessPoolExecutor | None = None,
    ) -> None:
        self.loaded, self.inputs, self.pieces = loaded, inputs, pieces
        self.processes, self.executor = processes, executor

    def result(self) -> list[_Assessment]:
        results: list[tuple[Prediction | None, SeverityAssessment]] = []
        for piece, future in self.pieces:
            if future is not None:
                try:
                    results.extend(future.result())
                    continue
                except LOST:
                    if self.processes is not None:
                        self.processes.broken(self.executor)
            results.extend(assess_here(self.loaded.model, piece))
        return [
            _Assessment(i.message_id, prediction, severity)
            for i, (prediction, severity) in zip(self.inputs, results, strict=True)
        ]


def _record(
    session: Session,
    batch: Sequence[tuple[Ticket, _Assessment]],
    loaded: LoadedModel,
    config: Config,
) -> dict[str, int]:
    """Write the batch's classifications with one statement per table (the ORM's unit of
    work costs more than the prediction for a batch of 500)."""
    settings = config.classifier
    history = ComplaintHistory(session, [t for t, _ in batch], settings.repeat_window_days)
    counts = {"classified": 0, "unsure": 0, "severe": 0, "repeats": 0}
    now = clock.now()
    classifications: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    failures: Counter[int] = Counter()
    for ticket, assessment in batch:
        severity, prediction = assessment.severity, assessment.prediction
        if prediction is None:
            label, probability, terms = "", 0.0, list[Term]()
            unsure, detail = True, "no text to classify: waiting for a human label"
        else:
            label, probability, terms = prediction
            unsure = probability < settings.min_confidence
            detail = (
                f"{label} ({probability:.0%}) by model {loaded.version.version}"
                + (
                    f"; below {settings.min_confidence:.0%}: waiting for a human label"
                    if unsure
                    else ""
                )
                + (f"; terms: {', '.join(t.term for t in terms)}" if terms else "")
            )
        is_complaint = bool(label) and label != NOT_A_COMPLAINT and not unsure
        # Severity and history do not depend on the failure type: an unsure ticket gets them
        # too, so it is escalated as soon as someone labels it. Only a confident
        # not_a_complaint is spared.
        maybe_complaint = unsure or label != NOT_A_COMPLAINT
        repeat_of = history.earlier(ticket) if maybe_complaint else []
        severe = maybe_complaint and severity.is_severe(settings.severe_at)
        classifications.append(
            {
                "ticket_id": ticket.id,
                "message_id": assessment.message_id,
                "model_version_id": loaded.version.id,
                "model_version": loaded.version.version,
                "label": label,
                "probability": probability,
                "top_terms": [t.as_dict() for t in terms],
                "unsure": unsure,
                "severity_score": severity.score,
                "severity_reasons": [str(r) for r in severity.reasons],
                "repeat_of": repeat_of,
                "created_at": now,
            }
        )
        updates.append(
            {
                "ticket": ticket.id,
                "confidence": probability,
                "severity": Severity.SEVERE if severe else Severity.NORMAL,
                "repeat_failure": bool(repeat_of),
                "status": TicketStatus.UNSURE if unsure else TicketStatus.NEW,
                "failure_type": None if unsure else label,
            }
        )
        if is_complaint:
            failures[ticket.customer_id] += 1
            history.add(ticket)
        notes = [detail]
        if severe:
            notes.append("severe: " + "; ".join(str(r) for r in severity.reasons))
        if repeat_of:
            notes.append(
                f"repeat failure: earlier complaint(s) {', '.join(f'#{i}' for i in repeat_of)}"
            )
        events.append(
            {
                "ticket_id": ticket.id,
                "mailbox": ticket.mailbox,
                "kind": "classified",
                "detail": "; ".join(notes),
                "data": {"label": label, "probability": round(probability, 4), "unsure": unsure},
                "created_at": now,
            }
        )
        counts["classified"] += 1
        counts["unsure"] += unsure
        counts["severe"] += severe
        counts["repeats"] += bool(repeat_of)
    connection = session.connection()
    connection.execute(_INSERT_CLASSIFICATIONS, classifications)
    connection.execute(_UPDATE_TICKETS, updates)
    connection.execute(_INSERT_EVENTS, events)
    if failures:
        connection.execute(
            _COUNT_FAILURES, [{"customer": c, "failures": n} for c, n in failures.items()]
        )
    return counts
