"""Outbox delivery speed: the durable queue against plain aiosmtplib, on a loopback aiosmtpd.

N messages (the bytes of a follow-up, fixed in advance) to N recipients:
  (a) reference: aiosmtplib sends them one after another, one SMTP connection each (what the
      queue does, without the database);
  (b) reference: aiosmtplib sends them all over one connection (the floor of SMTP itself);
  (c) amends: outbox rows in SQLite delivered by outbox.queue.Delivery: claimed with a
      compare-and-set, sent, recorded as sent; the Sent-folder hooks do nothing here (filing
      a copy is one IMAP APPEND, measured with the drafts in bench/e2e.py).
Prints messages per second for each and the ratio c/a.

    .venv/bin/python bench/sending.py --n 500
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

import aiosmtplib  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from models.engine import make_engine  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from models.outbox import OutboxItem, OutboxKind, OutboxState  # noqa: E402
from outbox.queue import Delivery, Prepared, QueuePolicy  # noqa: E402
from outbox.smtp import SmtpEndpoint  # noqa: E402

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SENDER = "support@example.com"


class Counter:
    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.received += 1
        return "250 2.0.0 Queued"


def messages(n: int, tag: str) -> list[tuple[str, bytes]]:
    out = []
    for i in range(n):
        message = EmailMessage()
        message["From"] = f"Ana Petrović, Example Shop <{SENDER}>"
        message["To"] = f"customer{i}@example.net"
        message["Subject"] = f"Re: Broken blender [#{i}]"
        message["Message-ID"] = f"<amends.followup.t{i}.{tag}@example.com>"
        message["Auto-Submitted"] = "auto-generated"
        message.set_content("Dear Jane,\n\nHas the replacement arrived?\n\n" * 20)
        out.append((f"customer{i}@example.net", message.as_bytes()))
    return out


async def one_connection_each(port: int, batch: list[tuple[str, bytes]]) -> None:
    for recipient, raw in batch:
        await aiosmtplib.send(
            raw, sender=SENDER, recipients=[recipient], hostname="127.0.0.1", port=port
        )


async def one_connection(port: int, batch: list[tuple[str, bytes]]) -> None:
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
    await client.connect()
    for recipient, raw in batch:
        await client.sendmail(SENDER, [recipient], raw)
    await client.quit()


def queue_run(port: int, batch: list[tuple[str, bytes]], folder: Path) -> float:
    engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
    upgrade(engine)
    with Session(engine) as session:
        for i, (recipient, raw) in enumerate(batch):
            session.add(
                OutboxItem(
                    kind=OutboxKind.DRAFT_SEND,
                    mailbox="support",
                    rule=f"bench-{i}",
                    key=f"bench-{i}",
                    due_at=NOW,
                    recipient=recipient,
                    message_id=f"bench-{i}@example.com",
                    raw=raw,
                )
            )
        session.commit()

    def prepare(session: Session, item: OutboxItem, now: datetime) -> Prepared:
        return Prepared(item.raw, SENDER, (item.recipient,))

    async def nothing_in_sent(item: OutboxItem) -> bool:
        return False

    async def no_filing(item: OutboxItem) -> None:
        return None

    delivery = Delivery(
        engine,
        SmtpEndpoint("127.0.0.1", port, "none", timeout_s=10),
        QueuePolicy(per_minute=10**6, per_recipient_per_day=10),
        worker="bench",
        prepare=prepare,
        in_sent=nothing_in_sent,
        file_copy=no_filing,
        on_outcome=lambda session, item, now: None,
    )
    started = time.perf_counter()
    report = asyncio.run(delivery.run(lambda: NOW, limit=len(batch) + 1))
    seconds = time.perf_counter() - started
    with Session(engine) as session:
        sent = len(
            session.exec(select(OutboxItem).where(OutboxItem.state == OutboxState.SENT)).all()
        )
    engine.dispose()
    assert report.sent == sent == len(batch), (report, sent)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=500)
    args = parser.parse_args()
    handler = Counter()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        timings: dict[str, float] = {}
        started = time.perf_counter()
        asyncio.run(one_connection_each(port, messages(args.n, "a")))
        timings["(a) aiosmtplib, a connection each"] = time.perf_counter() - started
        started = time.perf_counter()
        asyncio.run(one_connection(port, messages(args.n, "b")))
        timings["(b) aiosmtplib, one connection"] = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as folder:
            timings["(c) amends outbox (SQLite)"] = queue_run(
                port, messages(args.n, "c"), Path(folder)
            )
    finally:
        controller.stop()
    assert handler.received == 3 * args.n, handler.received
    print(f"{args.n} messages to a loopback aiosmtpd, {args.n} recipients")
    for name, seconds in timings.items():
        print(f"  {name:38} {args.n / seconds:8.0f} msg/s  ({seconds:.2f} s)")
    reference = timings["(a) aiosmtplib, a connection each"]
    ours = timings["(c) amends outbox (SQLite)"]
    print(f"  ratio (c)/(a): {reference / ours:.2f}")


if __name__ == "__main__":
    main()
