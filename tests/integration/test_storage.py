"""The schema on real SQLite and PostgreSQL: migrations, round trips, constraints, concurrency."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session, SQLModel, col, select

from models import migrate
from models.classification import Classification, FeedbackSource, LabelFeedback, ModelVersion
from models.engine import make_engine
from models.errors import MigrationError
from models.mail import MailboxSync, Message, MessageDirection, MessageKind, QuarantineEntry
from models.operations import (
    AgentSchedule,
    Alert,
    AlertKind,
    AppSecret,
    ChangeMarker,
    WorkerHeartbeat,
)
from models.outbox import (
    Draft,
    DraftState,
    OutboxItem,
    OutboxKind,
    OutboxState,
    Reply,
    ReplySource,
    SatisfactionAnswer,
)
from models.tables import metadata
from models.tickets import Assignment, Customer, EventLog, Severity, Ticket, TicketStatus

CEST = timezone(timedelta(hours=2))
UIDVALIDITY_MAX = 2**32 - 1  # does not fit a PostgreSQL integer


def at(day: int, hour: int = 9) -> datetime:
    """A timestamp with a non-UTC offset and microseconds, to prove both survive."""
    return datetime(2024, 3, day, hour, 30, 15, 123456, tzinfo=CEST)


def full_graph(db: Session) -> list[SQLModel]:
    """One realistic row in every table, every column set, inserted parent first."""
    sync = MailboxSync(
        mailbox="support",
        folder="INBOX",
        uidvalidity=UIDVALIDITY_MAX,
        last_uid=4_000_000_000,
        highest_modseq=2**62,
        last_sync_at=at(1),
        updated_at=at(1, 10),
    )
    customer = Customer(
        address="jane.doe@example.com",
        display_name="Jane Doe",
        first_seen_at=at(1),
        failure_count=2,
        ticket_count=3,
        opted_out=True,
        opted_out_at=at(2),
        bounced=True,
        bounced_at=at(3),
        language="de",
    )
    model = ModelVersion(
        version="2024-03-01.1",
        created_at=at(1),
        path="/var/lib/amends/models/2024-03-01.1.skops",
        file_sha256="a" * 64,
        labels=["late_delivery", "damaged_item", "billing_error"],
        metrics={"macro_f1": 0.81, "per_label": {"late_delivery": {"f1": 0.9}}},
        training_size=1200,
        active=True,
        promoted_at=at(2),
        notes="first model trained on the team's own labels",
    )
    db.add_all([sync, customer, model])
    db.flush()
    assert customer.id is not None
    ticket = Ticket(
        mailbox="support",
        customer_id=customer.id,
        subject="Parcel arrived broken — Bestellung 4711",
        status=TicketStatus.FOLLOWUP_SCHEDULED,
        failure_type="damaged_item",
        confidence=0.87,
        severity=Severity.SEVERE,
        repeat_failure=True,
        owner="alice",
        owner_keyword="alice",
        language="de",
        escalated=True,
        received_at=at(4),
        first_response_at=at(4, 11),
        followup_at=at(9),
        closed_at=at(12),
        rating=4,
        reopen_count=1,
        purged_at=at(30),
        updated_at=at(4, 12),
    )
    db.add(ticket)
    db.flush()
    assert ticket.id is not None
    inbound = Message(
        ticket_id=ticket.id,
        mailbox="support",
        direction=MessageDirection.INBOUND,
        kind=MessageKind.CUSTOMER,
        message_id="<CAF1234@mail.example.com>",
        message_id_hash="b" * 64,
        in_reply_to="<earlier@mail.example.com>",
        references="<first@mail.example.com> <earlier@mail.example.com>",
        folder="INBOX",
        uidvalidity=UIDVALIDITY_MAX,
        uid=4_000_000_000,
        from_address="jane.doe@example.com",
        from_name="Jane Doe",
        to_addresses="support@shop.example",
        cc_addresses="boss@example.com",
        subject="Parcel arrived broken — Bestellung 4711",
        date_header=at(4, 8),
        internal_date=at(4),
        headers="From: Jane Doe <jane.doe@example.com>\nSubject: Parcel arrived broken\n",
        body_text="Hallo,\nthe vase was broken.\n\n> quoted\n-- \nJane",
        new_text="Hallo,\nthe vase was broken.",
        language="de",
        attachments=[{"filename": "photo.jpg", "content_type": "image/jpeg", "size": 20480}],
        size=34567,
        content_hash="c" * 64,
        thread_reason="In-Reply-To <earlier@mail.example.com> matched ticket",
        received_at=at(4),
        purged_at=at(30),
    )
    answer_message = Message(
        ticket_id=ticket.id,
        mailbox="support",
        direction=MessageDirection.INBOUND,
        kind=MessageKind.CUSTOMER,
        message_id="<answer@mail.example.com>",
        message_id_hash="d" * 64,
        in_reply_to="<followup-1@amends.shop.example>",
        references="<followup-1@amends.shop.example>",
        folder="INBOX",
        uidvalidity=UIDVALIDITY_MAX,
        uid=4_000_000_001,
        from_address="jane.doe@example.com",
        from_name="Jane Doe",
        to_addresses="support@shop.example",
        cc_addresses="",
        subject="Re: How did we do?",
        date_header=at(10),
        internal_date=at(10),
        headers="Subject: Re: How did we do?\n",
        body_text="4 - the new vase is fine",
        new_text="4 - the new vase is fine",
        language="en",
        attachments=[],
        size=900,
        content_hash="e" * 64,
        thread_reason="our Message-ID <followup-1@amends.shop.example>",
        received_at=at(10),
        purged_at=at(30),
    )
    db.add_all([inbound, answer_message])
    db.flush()
    assert inbound.id is not None and model.id is not None
    draft = Draft(
        ticket_id=ticket.id,
        inbound_message_id=inbound.id,
        revision=2,
        owner="alice",
        note="escalated: severe",
        template="damaged_item",
        language="de",
        message_id="<draft-1.ticket-1@amends.shop.example>",
        subject="Re: Parcel arrived broken — Bestellung 4711",
        body_text="Liebe Jane, es tut uns leid …",
        body_html="<p>Liebe Jane, es tut uns leid …</p>",
        lint_findings=[{"rule": "apology-first", "severity": "info", "detail": "ok"}],
        state=DraftState.SENT_DETECTED,
        folder="Drafts",
        appended_uid=17,
        uidvalidity=UIDVALIDITY_MAX,
        appended_at=at(4, 10),
        sent_detected_at=at(4, 11),
        sent_diff_ratio=0.12,
        created_at=at(4, 10),
        updated_at=at(4, 11),
    )
    db.add(draft)
    db.flush()
    assert draft.id is not None
    followup = OutboxItem(
        kind=OutboxKind.FOLLOWUP,
        ticket_id=ticket.id,
        draft_id=draft.id,
        rule="satisfaction-3-business-days",
        key="followup:ticket-1:satisfaction-3-business-days",
        state=OutboxState.SENT,
        due_at=at(9),
        attempts=2,
        last_error="421 4.7.0 try again later",
        recipient="jane.doe@example.com",
        subject="Re: Parcel arrived broken — how did we do?",
        body_text="Is the new vase all right?",
        message_id="<followup-1@amends.shop.example>",
        sent_at=at(9, 10),
        filed_at=at(9, 11),
        mailbox="support",
        raw=b"From: support@shop.example\r\n\r\nIs the new vase all right?\r\n",
        owner="alice",
        smtp_code=421,
        source_uid=7,
        source_uidvalidity=UIDVALIDITY_MAX,
        cancelled_reason="not cancelled (set to prove the column round-trips)",
        locked_by="worker-a:1234",
        locked_until=at(9, 11),
        created_at=at(4, 11),
        updated_at=at(9, 10),
    )
    db.add(followup)
    db.flush()
    assert followup.id is not None and answer_message.id is not None
    rows: list[SQLModel] = [
        sync,
        customer,
        model,
        ticket,
        inbound,
        answer_message,
        draft,
        followup,
        QuarantineEntry(
            mailbox="support",
            folder="INBOX",
            uidvalidity=UIDVALIDITY_MAX,
            uid=99,
            reason="parse failed: header line too long",
            error_class="inbox.errors.ParseError",
            attempts=3,
            first_seen_at=at(5),
            last_seen_at=at(6),
            resolved=True,
            resolved_at=at(7),
        ),
        Classification(
            ticket_id=ticket.id,
            message_id=inbound.id,
            model_version_id=model.id,
            model_version=model.version,
            label="damaged_item",
            probability=0.87,
            top_terms=[{"term": "broken", "weight": 1.25}, {"term": "vase", "weight": 0.5}],
            unsure=True,
            severity_score=0.85,
            severity_reasons=["threatens legal action: “my lawyer”"],
            repeat_of=[7],
            created_at=at(4, 9),
        ),
        LabelFeedback(
            ticket_id=ticket.id,
            old_label="late_delivery",
            new_label="damaged_item",
            source=FeedbackSource.FOLDER,
            given_by="alice",
            created_at=at(5),
            used_in_model_version_id=model.id,
        ),
        Assignment(
            ticket_id=ticket.id,
            owner="alice",
            team="logistics",
            rule="team-per-failure-type",
            reason="damaged_item goes to the logistics team; alice has the fewest open tickets",
            manual=True,
            assigned_by="bob",
            created_at=at(4, 9),
        ),
        SatisfactionAnswer(
            ticket_id=ticket.id,
            outbox_item_id=followup.id,
            message_id=answer_message.id,
            rating=4,
            satisfied=True,
            fix_held=False,
            excerpt="4 - the new vase is fine",
            opt_out=True,
            failure_type="damaged_item",
            reopened=True,
            notified_at=at(10, 5),
            created_at=at(10),
        ),
        Reply(
            ticket_id=ticket.id,
            message_id=answer_message.id,
            draft_id=draft.id,
            source=ReplySource.AGENT,
            sent_by="alice@shop.example",
            agent="alice",
            sent_at=at(4, 12),
            response_s=1234.5,
            diff_ratio=0.125,
            created_at=at(4, 13),
        ),
        EventLog(
            ticket_id=ticket.id,
            mailbox="support",
            kind="assigned",
            detail="assigned to alice by rule team-per-failure-type",
            data={"owner": "alice", "rule": "team-per-failure-type", "load": [3, 5]},
            created_at=at(4, 9),
        ),
        WorkerHeartbeat(
            mailbox="support",
            worker_id="worker-a:1234",
            started_at=at(1),
            last_beat_at=at(11),
            lease_until=at(11, 10),
            last_sync_at=at(11),
            last_error="IMAP timeout after 30 s",
            last_error_at=at(10),
            last_error_kind="connection",
            last_pass_at=at(11),
            last_pass_s=2.5,
            stopped_at=at(12),
        ),
        Alert(
            mailbox="support",
            kind=AlertKind.AUTH,
            detail="login refused: AUTHENTICATIONFAILED",
            opened_at=at(10),
            resolved_at=at(12),
            notified_at=at(10, 1),
            attempts=1,
            last_error="SMTP server down",
        ),
        ChangeMarker(
            name="new packaging supplier",
            at=at(8),
            detail="bubble wrap for all glass items",
            mailbox="support",
            created_at=at(8, 10),
        ),
        AgentSchedule(
            agent="ana",
            timezone="Europe/Belgrade",
            working_hours=["mon-fri 09:00-17:00", "sat 10:00-14:00"],
            valid_from=at(2),
        ),
        AppSecret(name="message_id_hmac", value="q" * 43, created_at=at(1, 1)),
    ]
    db.add_all(rows)
    db.commit()
    return rows


def test_upgrade_from_empty_creates_every_table(engine: Engine) -> None:
    inspector = sa.inspect(engine)
    assert set(inspector.get_table_names()) == set(metadata.tables) | {"alembic_version"}
    for name, table in metadata.tables.items():
        columns = {column["name"] for column in inspector.get_columns(name)}
        assert columns == set(table.columns.keys()), name
        indexes = {index["name"] for index in inspector.get_indexes(name)}
        assert {index.name for index in table.indexes} <= indexes, name


def test_constraint_names_follow_the_convention(engine: Engine) -> None:
    inspector = sa.inspect(engine)
    uniques = {u["name"] for u in inspector.get_unique_constraints("message")}
    assert uniques == {
        "uq_message_mailbox_folder_uidvalidity_uid",
        "uq_message_mailbox_message_id_hash_content_hash",
    }
    fks = {fk["name"] for fk in inspector.get_foreign_keys("draft")}
    assert fks == {"fk_draft_ticket_id_ticket", "fk_draft_inbound_message_id_message"}


def test_database_is_at_head_after_upgrade(engine: Engine) -> None:
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert migrate.pending_revisions(engine) == []
    migrate.ensure_up_to_date(engine)
    migrate.upgrade(engine)  # a second upgrade is a no-op
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_migrations_match_the_models(engine: Engine) -> None:
    assert migrate.schema_drift(engine) == []


def test_schema_drift_notices_a_missing_index(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_ticket_owner")
    drift = migrate.schema_drift(engine)
    assert [(d[0], d[1].name) for d in drift] == [("add_index", "ix_ticket_owner")]


def test_empty_database_is_not_up_to_date(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert migrate.current_revision(engine) is None
        assert migrate.pending_revisions(engine) == [
            "0001",
            "0002",
            "0003",
            "0004",
            "0005",
            "0006",
            "0007",
            "0008",
        ]
        with pytest.raises(MigrationError) as caught:
            migrate.ensure_up_to_date(engine)
        assert "not initialised" in str(caught.value)
        assert caught.value.hint is not None and "amends db upgrade" in caught.value.hint
    finally:
        engine.dispose()


def test_database_from_a_newer_version_is_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffff_from_the_future'")
    with pytest.raises(MigrationError) as caught:
        migrate.ensure_up_to_date(engine)
    assert "ffff_from_the_future" in str(caught.value)
    assert caught.value.hint is not None and "newer Amends" in caught.value.hint


def test_upgrade_to_an_unknown_revision_is_a_migration_error(engine: Engine) -> None:
    with pytest.raises(MigrationError, match="upgrading to nope failed"):
        migrate.upgrade(engine, "nope")


def test_every_table_round_trips(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as db:
        rows = full_graph(db)
    assert {row.__tablename__ for row in rows} == set(metadata.tables)

    with Session(engine) as db:
        for row in rows:
            expected = row.model_dump()
            assert None not in expected.values(), f"{type(row).__name__} has an unset column"
            loaded = db.get(type(row), sa.inspect(row).identity)
            assert loaded is not None
            got = loaded.model_dump()
            assert got == expected, type(row).__name__
            for name, value in got.items():
                if isinstance(value, datetime):
                    assert value.tzinfo is UTC, f"{type(row).__name__}.{name}"

        ticket = db.exec(select(Ticket)).one()
        assert type(ticket.status) is TicketStatus and type(ticket.severity) is Severity
        assert ticket.received_at == datetime(2024, 3, 4, 7, 30, 15, 123456, tzinfo=UTC)


def test_naive_datetimes_are_refused(session: Session) -> None:
    session.add(Customer(address="naive@example.com", first_seen_at=datetime(2024, 1, 1)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.commit()


def test_unknown_enum_values_are_refused(session: Session) -> None:
    customer = Customer(address="x@example.com")
    session.add(customer)
    session.flush()
    assert customer.id is not None
    lost: Any = "lost"
    session.add(Ticket(mailbox="support", customer_id=customer.id, status=lost))
    with pytest.raises(StatementError, match="'lost' is not a valid TicketStatus"):
        session.commit()


def _ticket(db: Session, address: str = "jane@example.com") -> Ticket:
    customer = Customer(address=address)
    db.add(customer)
    db.flush()
    assert customer.id is not None
    ticket = Ticket(mailbox="support", customer_id=customer.id, subject="broken")
    db.add(ticket)
    db.commit()
    return ticket


def _message(ticket: Ticket | None, **overrides: Any) -> Message:
    values: dict[str, Any] = {
        "ticket_id": ticket.id if ticket else None,
        "mailbox": "support",
        "direction": MessageDirection.INBOUND,
        "kind": MessageKind.CUSTOMER,
        "message_id": "<m1@example.com>",
        "message_id_hash": "1" * 64,
        "folder": "INBOX",
        "uidvalidity": 7,
        "uid": 1,
        "content_hash": "2" * 64,
    }
    values.update(overrides)
    return Message(**values)


def _rejected(db: Session, row: SQLModel) -> bool:
    db.add(row)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        return True
    return False


def test_a_message_is_stored_once_per_mailbox(session: Session) -> None:
    ticket = _ticket(session)
    session.add(_message(ticket))
    session.commit()
    # the same UID again
    assert _rejected(session, _message(ticket, message_id_hash="3" * 64, content_hash="4" * 64))
    # the same message under another UID (a COPY into another folder)
    assert _rejected(session, _message(ticket, folder="Archive", uid=1))
    # another mailbox may hold the same message
    assert not _rejected(session, _message(ticket, mailbox="sales"))
    # two messages we sent over SMTP (no folder, no UID) with different content are fine
    assert not _rejected(
        session, _message(ticket, folder=None, uidvalidity=None, uid=None, content_hash="5" * 64)
    )
    assert not _rejected(
        session, _message(ticket, folder=None, uidvalidity=None, uid=None, content_hash="6" * 64)
    )


def _draft(ticket: Ticket, inbound: Message, message_id: str) -> Draft:
    assert ticket.id is not None and inbound.id is not None
    return Draft(
        ticket_id=ticket.id,
        inbound_message_id=inbound.id,
        template="damaged_item",
        language="en",
        message_id=message_id,
        subject="Re: broken",
        body_text="We are sorry.",
    )


def test_one_draft_per_inbound_message(session: Session) -> None:
    ticket = _ticket(session)
    inbound = _message(ticket)
    session.add(inbound)
    session.commit()
    session.add(_draft(ticket, inbound, "<d1@amends.example>"))
    session.commit()
    assert _rejected(session, _draft(ticket, inbound, "<d2@amends.example>"))


def _outbox(ticket: Ticket | None, key: str, rule: str = "satisfaction") -> OutboxItem:
    return OutboxItem(
        kind=OutboxKind.FOLLOWUP if ticket else OutboxKind.ADMIN_ALERT,
        ticket_id=ticket.id if ticket else None,
        rule=rule,
        key=key,
        due_at=datetime(2024, 3, 9, tzinfo=UTC),
        recipient="jane@example.com",
    )


def test_one_followup_per_ticket_and_rule(session: Session) -> None:
    ticket = _ticket(session)
    session.add(_outbox(ticket, "followup:1:satisfaction"))
    session.commit()
    assert _rejected(session, _outbox(ticket, "followup:1:satisfaction:again"))
    assert not _rejected(session, _outbox(ticket, "followup:1:fix-held", rule="fix-held"))
    # rows without a ticket (admin alerts) never collide on (ticket, kind, rule)
    assert not _rejected(session, _outbox(None, "alert:1", rule="mailbox-down"))
    assert not _rejected(session, _outbox(None, "alert:2", rule="mailbox-down"))


def test_outbox_keys_are_unique(session: Session) -> None:
    session.add(_outbox(None, "alert:disk-full", rule="disk"))
    session.commit()
    assert _rejected(session, _outbox(None, "alert:disk-full", rule="disk-again"))


def test_only_one_active_model(session: Session) -> None:
    session.add(ModelVersion(version="v1", path="/m/v1", active=True))
    session.add(ModelVersion(version="v2", path="/m/v2", active=False))
    session.commit()
    assert _rejected(session, ModelVersion(version="v3", path="/m/v3", active=True))


def test_foreign_keys_are_enforced(session: Session) -> None:
    assert _rejected(session, Ticket(mailbox="support", customer_id=12345))
    assert _rejected(session, _message(None, ticket_id=12345))


def test_deletes_cascade_or_detach_as_designed(session: Session) -> None:
    ticket = _ticket(session)
    inbound = _message(ticket)
    model = ModelVersion(version="v1", path="/m/v1")
    session.add_all([inbound, model])
    session.commit()
    assert model.id is not None and ticket.id is not None and inbound.id is not None
    session.add(
        Classification(
            ticket_id=ticket.id,
            message_id=inbound.id,
            model_version_id=model.id,
            model_version="v1",
            label="damaged_item",
            probability=0.9,
        )
    )
    session.commit()

    # pruning a model keeps the classifications made with it
    session.exec(sa.delete(ModelVersion).where(col(ModelVersion.id) == model.id))
    session.commit()
    kept = session.exec(select(Classification)).one()
    session.refresh(kept)
    assert kept.model_version_id is None and kept.model_version == "v1"

    # erasing a customer erases their tickets and everything that hangs off them
    session.exec(sa.delete(Customer))
    session.commit()
    for table in (Ticket, Message, Classification):
        assert session.exec(select(table)).all() == [], table.__name__


def test_downgrade_to_base_and_upgrade_again(engine: Engine) -> None:
    migrate.downgrade(engine, "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    assert migrate.current_revision(engine) is None

    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert migrate.schema_drift(engine) == []


def test_concurrent_upgrades_both_succeed(db_url: str) -> None:
    """Two workers starting at once on an empty database: one migrates, the other waits."""
    engines = [make_engine(db_url) for _ in range(2)]
    start = threading.Barrier(len(engines))
    errors: list[BaseException] = []

    def run(engine: Engine) -> None:
        try:
            start.wait(timeout=30)
            migrate.upgrade(engine)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(engine,)) for engine in engines]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
        assert errors == []
        assert migrate.current_revision(engines[0]) == migrate.head_revision()
        assert migrate.schema_drift(engines[0]) == []
    finally:
        for engine in engines:
            engine.dispose()


UPGRADE_AT = """
import sys, time
from models.engine import make_engine
from models.migrate import upgrade

engine = make_engine(sys.argv[1])
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
upgrade(engine)
engine.dispose()
"""


def test_concurrent_upgrades_from_two_processes(db_url: str) -> None:
    """Two worker processes: only the database lock keeps them apart."""
    start_at = time.time() + 3  # both have imported everything by then
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", UPGRADE_AT, db_url, str(start_at)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        results = [worker.communicate(timeout=60) for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()
    for worker, (_, stderr) in zip(workers, results, strict=True):
        assert worker.returncode == 0, stderr
    engine = make_engine(db_url)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert migrate.schema_drift(engine) == []
    finally:
        engine.dispose()


def test_upgrade_0002_keeps_existing_messages_and_marks_them_whole(db_url: str) -> None:
    """An installation with mail stored under 0001 upgrades in place; old rows get truncated=false."""
    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine, "0001")
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO message (mailbox, direction, kind, message_id_hash, size, "
                "content_hash, received_at) VALUES ('support', 'inbound', 'customer', "
                "'h', 10, 'c', CURRENT_TIMESTAMP)"
            )
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT truncated FROM message").scalar_one() in (False, 0)
        assert migrate.schema_drift(engine) == []
    finally:
        migrate.downgrade(engine, "base")
        engine.dispose()
