"""Training, the model registry, promotion and classifying stored tickets on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import random
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, update
from sqlmodel import Session, col, select

from amends.classify import (
    PARALLEL_FROM,
    Assessor,
    TicketText,
    classify_pending,
    default_version_name,
    ensure_model,
)
from amends.labels import LabelError, feedback_dataset, label_ticket
from amends.training import Gathered, train_from_sources
from classifier import registry
from classifier.dataset import Dataset, Example, combine
from classifier.errors import (
    ModelIntegrityError,
    ModelNotFound,
    TrainingDataError,
    VersionExists,
)
from classifier.evaluation import holdout_split, text_key
from classifier.model import FailureTypeClassifier
from classifier.training import TrainingOptions, train
from inbox.parallel import WorkerProcesses
from models.classification import Classification, LabelFeedback
from models.columns import utc_now
from models.engine import make_engine
from models.mail import Message, MessageDirection, MessageKind
from models.tables import table_of
from models.tickets import Customer, EventLog, Severity, Ticket, TicketStatus
from tests.fixtures.classifier import classifier_config


def options(tmp_path: Path, **kw: object) -> TrainingOptions:
    return TrainingOptions(model_dir=tmp_path / "models", **kw)  # type: ignore[arg-type]


def subset(data: Dataset, per_label: int, seed: int = 1) -> Dataset:
    """``per_label`` examples of every label, picked at random."""
    rng = random.Random(seed)
    chosen = []
    for label in sorted(set(data.labels)):
        examples = [e for e in data.examples if e.label == label]
        chosen += rng.sample(examples, min(per_label, len(examples)))
    return Dataset(chosen)


def test_first_model_is_promoted_and_registered(
    engine: Engine, tmp_path: Path, bootstrap: Dataset
) -> None:
    report = train(engine, subset(bootstrap, 20), options(tmp_path, cv_folds=3))
    assert report.activated and report.decision is not None
    assert report.decision.reason == "there is no active model"
    assert report.cross_validation is not None and report.cross_validation.size == 240
    version = registry.active_version(engine)
    assert version is not None and version.version == report.version.version  # type: ignore[union-attr]
    path = Path(version.path)
    assert path.is_file() and path.stat().st_mode & 0o777 == 0o600
    assert version.file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    # Registered as trained: on the training side only (the held-out texts stay unseen).
    assert version.metrics["data"]["size"] == 240 and len(version.labels) == 12
    assert version.training_size == version.metrics["data"]["trained_on"] < 240
    seen = registry.seen_texts(version)
    assert seen is not None and len(seen) == version.training_size
    assert version.metrics["holdout"]["macro_f1"] > 0
    assert version.metrics["data"]["labels"]["delay"] == 20
    assert path.with_suffix(".json").is_file()
    assert report.confusion_png is not None and report.confusion_png.read_bytes()[:4] == b"\x89PNG"


def test_a_worse_model_is_kept_out_and_a_better_one_promoted(
    engine: Engine, tmp_path: Path, bootstrap: Dataset
) -> None:
    with pytest.raises(TrainingDataError, match="every label needs at least 7 examples"):
        train(engine, subset(bootstrap, 6), options(tmp_path))
    small = train(engine, subset(bootstrap, 8), options(tmp_path))
    assert small.activated
    better = train(engine, bootstrap, options(tmp_path))
    assert better.activated, better.decision
    compared = better.candidate_compared
    assert compared is not None and better.active is not None
    assert compared.size == better.active.size == better.compared_on  # the same texts
    assert compared.macro_f1 > better.active.macro_f1
    # Trained on a sliver of the data, the candidate scores below the active model.
    worse = train(engine, subset(bootstrap, 10, seed=5), options(tmp_path))
    assert not worse.activated and worse.decision is not None
    assert "more than the allowed 0.010 (classifier.max_regression)" in worse.decision.reason
    assert registry.active_version(engine).version == better.version.version  # type: ignore[union-attr]
    forced = train(engine, subset(bootstrap, 10, seed=5), options(tmp_path, force=True))
    assert forced.activated and not forced.decision.promote  # type: ignore[union-attr]
    assert len(registry.list_versions(engine)) == 4


def test_activate_and_rollback_walk_the_history(
    engine: Engine, tmp_path: Path, bootstrap: Dataset
) -> None:
    with pytest.raises(ModelNotFound, match="no earlier active model"):
        registry.rollback(engine)
    a = train(engine, subset(bootstrap, 10, seed=1), options(tmp_path)).version
    b = train(engine, subset(bootstrap, 10, seed=2), options(tmp_path, force=True)).version
    c = train(engine, subset(bootstrap, 10, seed=3), options(tmp_path, force=True)).version
    assert a and b and c
    assert registry.rollback(engine).version == b.version
    assert registry.rollback(engine).version == a.version
    with pytest.raises(ModelNotFound):
        registry.rollback(engine)
    registry.activate(engine, c.version, reason="by hand")
    assert registry.rollback(engine).version == a.version
    with Session(engine) as session:
        kinds = [e.kind for e in session.exec(select(EventLog).order_by(col(EventLog.id)))]
    assert kinds.count(registry.ROLLED_BACK) == 3


def test_a_tampered_active_model_is_refused(
    engine: Engine, tmp_path: Path, bootstrap: Dataset
) -> None:
    version = train(engine, subset(bootstrap, 10), options(tmp_path)).version
    assert version is not None
    path = Path(version.path)
    path.write_bytes(path.read_bytes() + b"tampered")
    registry._cache.clear()
    with pytest.raises(ModelIntegrityError, match="has changed since it was registered"):
        registry.load_active(engine)
    with pytest.raises(ModelIntegrityError):
        registry.activate(engine, version.version, reason="again")


def add_ticket(
    session: Session, address: str, subject: str, body: str, *, days_ago: float = 0
) -> Ticket:
    customer = session.exec(select(Customer).where(Customer.address == address)).first()
    if customer is None:
        customer = Customer(address=address)
        session.add(customer)
        session.flush()
    when = utc_now() - timedelta(days=days_ago)
    ticket = Ticket(mailbox="support", customer_id=customer.id, subject=subject, received_at=when)
    session.add(ticket)
    session.flush()
    digest = hashlib.sha256(f"{address}{subject}{body}{days_ago}".encode()).hexdigest()
    session.add(
        Message(
            ticket_id=ticket.id,
            mailbox="support",
            direction=MessageDirection.INBOUND,
            kind=MessageKind.CUSTOMER,
            message_id=f"{digest[:16]}@example.net",
            message_id_hash=digest,
            from_address=address,
            subject=subject,
            body_text=body,
            new_text=body,
            content_hash=digest,
            received_at=when,
        )
    )
    session.commit()
    return ticket


def test_classify_stored_tickets(engine: Engine, tmp_path: Path, db_url: str) -> None:
    config = classifier_config(tmp_path, db_url)
    with Session(engine, expire_on_commit=False) as session:
        old = add_ticket(
            session,
            "ana@example.net",
            "Where is my parcel",
            "Order 4411 never arrived; tracking says it was handed over.",
            days_ago=20,
        )
        old.failure_type, old.status = "lost_item", TicketStatus.ASSIGNED
        session.add(old)
        session.commit()
        again = add_ticket(
            session,
            "ana@example.net",
            "Charged TWICE again!!!",
            "This is the THIRD TIME you take money twice for one order. I will dispute the "
            "charge with my bank and my lawyer hears about it today!!!",
        )
        thanks = add_ticket(
            session,
            "bo@example.net",
            "Thank you",
            "Just wanted to say the new router works great, thanks for the help.",
        )
        empty = add_ticket(session, "cy@example.net", "", "")
        huge = add_ticket(
            session, "dee@example.net", "Log dump", "The app crashes at checkout. " * 350_000
        )
    result = classify_pending(engine, config)
    assert result.classified == 4 and result.model_version == default_version_name()
    assert classify_pending(engine, config).classified == 0  # nothing is classified twice
    with Session(engine) as session:
        t_again = session.get(Ticket, again.id)
        t_thanks = session.get(Ticket, thanks.id)
        t_empty = session.get(Ticket, empty.id)
        assert t_again and t_thanks and t_empty
        assert t_again.failure_type == "billing_error" and t_again.status == TicketStatus.NEW
        assert t_again.repeat_failure and t_again.severity == Severity.SEVERE
        assert t_thanks.failure_type == "not_a_complaint" and not t_thanks.repeat_failure
        assert t_empty.status == TicketStatus.UNSURE and t_empty.failure_type is None
        rows = {c.ticket_id: c for c in session.exec(select(Classification))}
        assert rows[again.id].repeat_of == [old.id]
        assert rows[again.id].top_terms and rows[again.id].top_terms[0]["weight"] > 0
        assert any("legal" in r for r in rows[again.id].severity_reasons)
        assert rows[empty.id].unsure and rows[empty.id].label == ""
        # A 10 MB body is read up to its first 20,000 characters, like any other.
        assert rows[huge.id].label == "website_or_app"
        customer = session.exec(select(Customer).where(Customer.address == "ana@example.net")).one()
        assert customer.failure_count == 1


def test_repeat_failures_are_found_within_a_batch_and_across_batches(
    engine: Engine, tmp_path: Path, db_url: str
) -> None:
    config = classifier_config(tmp_path, db_url)
    late = "The parcel is two weeks late and tracking has not moved since Monday."
    with Session(engine, expire_on_commit=False) as session:
        # Outside the 90-day window: no repeat.
        ancient = add_ticket(session, "ana@example.net", "Late", late, days_ago=120)
        ancient.failure_type, ancient.status = "delay", TicketStatus.CLOSED
        session.add(ancient)
        session.commit()
        first = add_ticket(session, "ana@example.net", "Late again", late, days_ago=3)
        second = add_ticket(session, "ana@example.net", "Still late", late, days_ago=1)
        other = add_ticket(session, "bo@example.net", "Late", late, days_ago=2)
    # One batch: the second complaint sees the first, classified moments before it.
    assert classify_pending(engine, config).classified == 3
    with Session(engine, expire_on_commit=False) as session:
        later = add_ticket(session, "ana@example.net", "Where is it", late)
    assert classify_pending(engine, config, batch_size=1).classified == 1
    with Session(engine) as session:
        rows = {c.ticket_id: c for c in session.exec(select(Classification))}
        assert rows[first.id].repeat_of == []
        assert rows[second.id].repeat_of == [first.id]
        assert rows[other.id].repeat_of == []
        assert rows[later.id].repeat_of == [first.id, second.id]
        tickets = {t.id: t for t in session.exec(select(Ticket))}
        assert [tickets[t.id].repeat_failure for t in (first, second, other, later)] == [
            False,
            True,
            False,
            True,
        ]
        assert {tickets[t.id].failure_type for t in (first, second, other, later)} == {"delay"}
        events = session.exec(select(EventLog).where(EventLog.ticket_id == later.id)).all()
        assert any(f"#{first.id}, #{second.id}" in (e.detail or "") for e in events)
        ana = session.exec(select(Customer).where(Customer.address == "ana@example.net")).one()
        assert ana.failure_count == 3


def test_others_can_write_while_a_batch_is_predicted(
    engine: Engine, tmp_path: Path, db_url: str, bootstrap_model: FailureTypeClassifier
) -> None:
    """Prediction holds no write lock: on SQLite one lock covers the whole database, and a
    batch of long mails held it for seconds, failing the other mailboxes' stages with
    "database is locked" (bench/mailboxes.py)."""
    config = classifier_config(tmp_path, db_url)
    version = registry.register(
        engine, bootstrap_model, tmp_path / "models", metrics={}, training_size=1
    )
    registry.activate(engine, version.version, reason="test")
    rant = "The parcel is late again and nobody answers my emails about it. " * 80
    with Session(engine) as session:
        for number in range(300):
            add_ticket(session, f"c{number}@example.net", f"Order {number} late", rant)
    outcome: list[object] = []
    worker = threading.Thread(target=lambda: outcome.append(classify_pending(engine, config)))
    # Another mailbox's writes, giving up after a second of waiting for a lock.
    impatient = make_engine(db_url)
    if impatient.dialect.name == "sqlite":
        event.listen(
            impatient, "connect", lambda dbapi, _: dbapi.execute("PRAGMA busy_timeout=1000")
        )
    customers = table_of(Customer)
    writes = 0
    worker.start()
    while worker.is_alive():
        with impatient.begin() as connection:
            connection.execute(
                update(customers)
                .where(customers.c.address == "c0@example.net")
                .values(display_name=f"write {writes}")
            )
        writes += 1
        time.sleep(0.05)
    worker.join()
    impatient.dispose()
    [result] = outcome
    assert result.classified == 300  # type: ignore[attr-defined]
    assert writes > 1


def test_low_confidence_goes_to_the_unsure_queue_and_a_label_brings_it_back(
    engine: Engine, tmp_path: Path, db_url: str
) -> None:
    config = classifier_config(tmp_path, db_url, "min_confidence = 0.999")
    with Session(engine, expire_on_commit=False) as session:
        ticket = add_ticket(session, "di@example.net", "Hmm", "Something about my account maybe.")
        angry = add_ticket(
            session, "ed@example.net", "Enough", "My lawyer will contact you. Third time now!!"
        )
    result = classify_pending(engine, config)
    assert (result.unsure, result.severe) == (2, 1)
    with Session(engine) as session:
        waiting = session.get(Ticket, angry.id)
        # Unsure of the failure type, but its severity is known: escalated once labelled.
        assert waiting is not None and waiting.status == TicketStatus.UNSURE
        assert waiting.severity == Severity.SEVERE and waiting.failure_type is None
    with pytest.raises(LabelError, match="not a configured failure type"):
        label_ticket(engine, config, ticket.id or 0, "late_pizza")
    with pytest.raises(LabelError, match="no ticket 999"):
        label_ticket(engine, config, 999, "delay")
    done = label_ticket(engine, config, ticket.id or 0, "account_or_data", given_by="ana")
    assert done.changed and done.old_label is None
    with Session(engine) as session:
        row = session.get(Ticket, ticket.id)
        assert row is not None and row.status == TicketStatus.NEW
        assert row.failure_type == "account_or_data"
    feedback = feedback_dataset(engine)
    assert [(e.label, e.ticket_id) for e in feedback.dataset.examples] == [
        ("account_or_data", ticket.id)
    ]
    assert "Something about my account" in feedback.dataset.examples[0].text
    report = train_from_sources(
        engine,
        Gathered(_with_corpus(feedback.dataset), feedback.feedback_ids),
        options(tmp_path),
        lambda *_: None,
    )
    with Session(engine) as session:
        used = session.exec(select(LabelFeedback)).one()
        assert report.version is not None and used.used_in_model_version_id == report.version.id


def _with_corpus(team: Dataset) -> Dataset:
    from classifier.bootstrap import bootstrap_dataset
    from classifier.dataset import combine

    return combine([subset(bootstrap_dataset(), 8), team])


def test_default_model_is_trained_once_and_reused(
    engine: Engine, tmp_path: Path, db_url: str
) -> None:
    config = classifier_config(tmp_path, db_url)
    first = ensure_model(engine, config)
    assert first.version.version == default_version_name() and first.version.active
    assert "default model" in (first.version.notes or "")
    assert ensure_model(engine, config).version.id == first.version.id
    assert len(registry.list_versions(engine)) == 1


def test_a_version_name_is_registered_once(
    engine: Engine, tmp_path: Path, bootstrap: Dataset
) -> None:
    data = subset(bootstrap, 8)
    first = train(engine, data, options(tmp_path, version_name="v1")).version
    assert first is not None
    before = Path(first.path).read_bytes()
    with pytest.raises(VersionExists, match="model version v1 already exists"):
        train(engine, data, options(tmp_path, version_name="v1"))
    assert Path(first.path).read_bytes() == before
    assert [v.version for v in registry.list_versions(engine)] == ["v1"]
    registry._cache.clear()
    assert registry.load_active(engine) is not None  # the file still matches its hash


def test_workers_starting_together_share_one_default_model(
    engine: Engine, tmp_path: Path, db_url: str
) -> None:
    config = classifier_config(tmp_path, db_url)
    with ThreadPoolExecutor(max_workers=2) as pool:
        loaded = list(pool.map(lambda _: ensure_model(engine, config), range(2)))
    assert {m.version.version for m in loaded} == {default_version_name()}
    assert len(registry.list_versions(engine)) == 1


def test_doctor_checks_the_active_model(
    engine: Engine, tmp_path: Path, db_url: str, bootstrap: Dataset
) -> None:
    from amends.doctor import Outcome, run_doctor

    config = classifier_config(tmp_path, db_url)

    def finding() -> tuple[Outcome, str]:
        found = [f for f in run_doctor(config) if f.check == "active model"]
        return found[0].outcome, found[0].detail

    assert finding() == (
        Outcome.OK,
        "none yet: the default model is trained from the bootstrap corpus on first use",
    )
    version = train(engine, subset(bootstrap, 8), options(tmp_path)).version
    assert version is not None
    outcome, detail = finding()
    expected = f"{version.version} ({version.training_size} examples, 12 labels"
    assert outcome is Outcome.OK and detail.startswith(expected)
    Path(version.path).write_bytes(b"not the model any more")
    registry._cache.clear()
    outcome, detail = finding()
    assert outcome is Outcome.FAIL and "has changed since it was registered" in detail


def test_the_active_model_is_judged_only_on_texts_it_never_saw(
    engine: Engine, tmp_path: Path, bootstrap: Dataset
) -> None:
    data = subset(bootstrap, 30)
    # Held out 5%: the active model trains on the other 95% of the texts.
    active = train(engine, data, options(tmp_path, holdout_fraction=0.05)).version
    assert active is not None
    seen = registry.seen_texts(active)
    assert seen is not None
    report = train(engine, data, options(tmp_path, holdout_fraction=0.25))
    assert report.candidate is not None and report.compared_on is not None
    # Only the texts held out now that were also outside the active model's 95% count.
    assert 0 < report.compared_on < report.candidate.size
    assert report.compared_on == sum(text_key(t) not in seen for t in _held_texts(data, 0.25))
    assert (
        report.decision is not None
        and "held-out texts new to both models" in report.decision.reason
    )


def _held_texts(data: Dataset, fraction: float) -> set[str]:
    from classifier.model import MIN_EXAMPLES_PER_LABEL

    _train, test = holdout_split(data.texts, data.labels, fraction, MIN_EXAMPLES_PER_LABEL)
    return {data.texts[i] for i in test}


def test_retraining_with_the_bootstrap_corpus_is_compared_fairly(
    engine: Engine, tmp_path: Path, db_url: str, bootstrap: Dataset
) -> None:
    """The default model saw the corpus' training side only, so a candidate trained on the
    corpus plus the team's labels is compared with it on every held-out text."""
    config = classifier_config(tmp_path, db_url)
    default = ensure_model(engine, config).version
    team = Dataset(
        [Example("Your courier left my fridge in the rain", "damaged_or_defective", "team")]
    )
    report = train(engine, combine([bootstrap, team]), options(tmp_path))
    assert report.active_version == default.version
    assert report.candidate is not None and report.compared_on == report.candidate.size
    assert report.activated, report.decision


def test_worker_processes_classify_as_the_calling_process_does(
    engine: Engine,
    tmp_path: Path,
    db_url: str,
    bootstrap: Dataset,
    bootstrap_model: FailureTypeClassifier,
) -> None:
    """A batch is classified by a worker process that loads the model file itself: the
    results are the same, in the same order; a worker that dies loses nothing."""
    config = classifier_config(tmp_path, db_url)
    version = registry.register(
        engine, bootstrap_model, tmp_path / "models", metrics={}, training_size=1
    )
    registry.activate(engine, version.version, reason="test")
    loaded = registry.load_active(engine)
    assert loaded is not None
    texts = bootstrap.texts[::7][:150]
    assert len(texts) >= PARALLEL_FROM
    inputs = [TicketText(n, *text.partition("\n")[::2]) for n, text in enumerate(texts)]
    here = Assessor().assess(loaded, inputs)
    assert len({a.prediction[0] for a in here if a.prediction}) > 3, "varied labels"
    with WorkerProcesses(1, "classifying") as processes:
        assessor = Assessor(processes)
        assert assessor.assess(loaded, inputs) == here
        assert processes.workers == 1, "no worker died"
        children = multiprocessing.active_children()
        assert children, "the batch went to a worker process"
        for child in children:
            os.kill(child.pid or 0, signal.SIGKILL)
        assert assessor.assess(loaded, inputs) == here
        assert processes.workers == 0, "the rest is classified in-process"
    # Through the stage: tickets classified with a worker process are recorded as predicted.
    with Session(engine) as session:
        for n, text in enumerate(texts):
            subject, _, body = text.partition("\n")
            add_ticket(session, f"c{n}@example.net", subject, body)
    with WorkerProcesses(1, "classifying") as processes:
        result = classify_pending(engine, config, assessor=Assessor(processes))
    assert result.classified == len(texts)
    expected = Counter(a.prediction[0] if a.prediction else "" for a in here)
    with Session(engine) as session:
        recorded = Counter(c.label for c in session.exec(select(Classification)))
    assert recorded == expected
