"""Store-stage throughput: how fast messages, tickets and the folder bookmark reach the database.

Compares one transaction per message (the naive baseline: one fsync or network round trip per
message) with one transaction per batch, on SQLite and PostgreSQL, measured in the same run.
Prints messages per second, the ratio batched/baseline and the process's peak memory.

    .venv/bin/python bench/store.py --messages 5000 --batch 500
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

sys.path.insert(0, str(Path(__file__).parents[1]))

from models import migrate
from models.engine import make_engine
from models.mail import MailboxSync, Message, MessageDirection, MessageKind
from models.tickets import Customer, Ticket

WORDS = [
    "order",
    "parcel",
    "refund",
    "charged",
    "twice",
    "delivery",
    "late",
    "wrong",
    "size",
    "broken",
    "arrived",
    "invoice",
    "account",
    "password",
    "app",
    "crashed",
    "waited",
    "weeks",
    "nobody",
    "answered",
    "promised",
    "replacement",
]


def fake_messages(count: int, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(150, 1200)))
        customer = f"customer{rng.randint(0, count // 3)}@example.net"
        raw = f"{customer}{i}{body}".encode()
        out.append(
            {
                "uid": i + 1,
                "customer": customer,
                "subject": f"Order {4000 + i}: " + " ".join(rng.sample(WORDS, 4)),
                "body": body,
                "message_id": f"<{uuid.UUID(int=rng.getrandbits(128))}@mail.example.net>",
                "hash": hashlib.sha256(raw).hexdigest(),
                "size": len(raw),
            }
        )
    return out


def store(session: Session, batch: list[dict[str, object]], customers: dict[str, int]) -> None:
    """Write one batch the way the store stage does: customer, ticket, message, bookmark."""
    now = datetime.now(UTC)
    for item in batch:
        address = str(item["customer"])
        if address not in customers:
            found = session.exec(select(Customer).where(Customer.address == address)).first()
            if found is None:
                found = Customer(address=address)
                session.add(found)
                session.flush()
            assert found.id is not None
            customers[address] = found.id
        ticket = Ticket(
            mailbox="bench", customer_id=customers[address], subject=str(item["subject"])
        )
        session.add(ticket)
        session.flush()
        session.add(
            Message(
                ticket_id=ticket.id,
                mailbox="bench",
                direction=MessageDirection.INBOUND,
                kind=MessageKind.CUSTOMER,
                message_id=str(item["message_id"]),
                message_id_hash=hashlib.sha256(str(item["message_id"]).encode()).hexdigest(),
                folder="INBOX",
                uidvalidity=1,
                uid=int(str(item["uid"])),
                from_address=address,
                subject=str(item["subject"]),
                body_text=str(item["body"]),
                new_text=str(item["body"]),
                size=int(str(item["size"])),
                content_hash=str(item["hash"]),
                internal_date=now,
            )
        )
    bookmark = session.exec(select(MailboxSync).where(MailboxSync.mailbox == "bench")).first()
    if bookmark is None:
        bookmark = MailboxSync(mailbox="bench", folder="INBOX", uidvalidity=1)
    bookmark.last_uid = int(str(batch[-1]["uid"]))
    bookmark.last_sync_at = now
    session.add(bookmark)
    session.commit()


def run(engine: sa.Engine, messages: list[dict[str, object]], batch_size: int) -> float:
    """Store every message in batches of ``batch_size``; returns messages per second."""
    customers: dict[str, int] = {}
    started = time.perf_counter()
    with Session(engine) as session:
        for start in range(0, len(messages), batch_size):
            store(session, messages[start : start + batch_size], customers)
    return len(messages) / (time.perf_counter() - started)


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{folder}/bench.db"


@contextmanager
def postgres_url(admin_url: str) -> Iterator[str]:
    name = f"amends_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def measure(url: str, messages: list[dict[str, object]], batch_size: int) -> tuple[float, float]:
    rates = []
    for size in (1, batch_size):
        engine = make_engine(url)
        migrate.upgrade(engine)
        try:
            rates.append(run(engine, messages, size))
        finally:
            migrate.downgrade(engine, "base")
            engine.dispose()
    return rates[0], rates[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "AMENDS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
        help="admin URL used to create and drop a throwaway database",
    )
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()

    messages = fake_messages(args.messages)
    total_kb = sum(int(str(m["size"])) for m in messages) / 1024
    print(
        f"{args.messages} messages, {total_kb / args.messages:.1f} KB average, batch {args.batch}"
    )
    print(f"{'backend':<12}{'per message/s':>15}{'batched/s':>12}{'ratio':>8}")
    backends = [("sqlite", sqlite_url())]
    if not args.skip_postgres:
        backends.append(("postgresql", postgres_url(args.postgres_url)))
    for name, url_context in backends:
        with url_context as url:
            single, batched = measure(url, messages, args.batch)
        print(f"{name:<12}{single:>15.0f}{batched:>12.0f}{batched / single:>8.1f}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
