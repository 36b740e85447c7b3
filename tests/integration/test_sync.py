"""Inbox sync against the real Dovecot and both databases: exactly once, threading, faults."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from inbox.backoff import Backoff
from inbox.connection import connect, logout
from inbox.errors import MailboxAuthError, MailboxUnavailable
from inbox.fetch import FetchedMessage, examine
from inbox.store import MessageStore, prepare
from inbox.sync import SyncOptions, sync_folder
from inbox.threads import make_message_id, subject_token
from inbox.watch import MailboxWatcher, WatchSettings
from models.mail import MailboxSync, Message, MessageDirection, MessageKind, QuarantineEntry
from models.tickets import Customer, Ticket
from tests.fixtures.imap import ImapAccount
from tests.fixtures.proxy import CuttingProxy


def mail(
    sender: str,
    subject: str,
    body: str = "My order 4411 arrived broken and nobody answers the phone.",
    *,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    extra: dict[str, str] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@example.com"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 11, 2, 9, 30, tzinfo=UTC))
    msg["Message-ID"] = message_id or make_msgid(domain="customer.example")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (extra or {}).items():
        msg[name] = value
    msg.set_content(body)
    return bytes(msg)


def sync(account: ImapAccount, engine: Engine, **options: object) -> tuple[MessageStore, object]:
    store = MessageStore(engine, "support")
    client = connect(account.endpoint())
    try:
        report = sync_folder(client, store, "INBOX", SyncOptions(**options))  # type: ignore[arg-type]
    finally:
        logout(client)
    return store, report


def count(engine: Engine, model: type, *where: object) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_every_message_is_stored_once_and_flags_stay_untouched(
    imap_account: ImapAccount, engine: Engine
) -> None:
    raws = [mail(f"customer{i}@example.net", f"Order {i} problem") for i in range(30)]
    imap_account.append_many("INBOX", raws)

    _, report = sync(imap_account, engine, batch_size=7)
    assert report.found == 30 and report.outcome.stored == 30  # type: ignore[attr-defined]
    assert count(engine, Message) == 30
    assert count(engine, Ticket) == 30
    assert count(engine, Customer) == 30

    _, again = sync(imap_account, engine, batch_size=7)
    assert again.found == 0  # type: ignore[attr-defined]
    assert count(engine, Message) == 30

    with imap_account.client() as client:
        client.select_folder("INBOX", readonly=True)
        flags = client.get_flags(client.search("ALL"))
        assert all(b"\\Seen" not in f for f in flags.values()), "the \\Seen flag was changed"
        uids = client.search("ALL")
    with Session(engine) as session:
        bookmark = session.exec(select(MailboxSync)).one()
        assert bookmark.last_uid == max(uids)
        stored = session.exec(select(Message).order_by(col(Message.uid))).all()
        assert [m.uid for m in stored] == sorted(uids)
        assert all(m.kind is MessageKind.CUSTOMER for m in stored)
        assert stored[0].new_text and "4411" in stored[0].new_text


def test_duplicates_and_same_message_id_with_other_content(
    imap_account: ImapAccount, engine: Engine
) -> None:
    same = mail("ana@example.net", "Refund missing", message_id="<fixed-1@example.net>")
    other = mail(
        "ana@example.net", "Refund missing", "A different text.", message_id="<fixed-1@example.net>"
    )
    imap_account.append_many("INBOX", [same, same, other])
    _, report = sync(imap_account, engine)
    assert report.outcome.stored == 2 and report.outcome.duplicates == 1  # type: ignore[attr-defined]
    assert count(engine, Message) == 2


def test_uidvalidity_change_rescans_without_duplicates(
    imap_account: ImapAccount, engine: Engine
) -> None:
    raws = [mail(f"c{i}@example.net", f"Delay {i}") for i in range(5)]
    imap_account.create_folder("Support")
    imap_account.append_many("Support", raws)
    store = MessageStore(engine, "support")
    client = connect(imap_account.endpoint())
    try:
        first = sync_folder(client, store, "Support")
    finally:
        logout(client)
    # The folder is deleted and recreated with the same messages: a new UIDVALIDITY.
    with imap_account.client() as admin:
        admin.delete_folder("Support")
        admin.create_folder("Support")
    imap_account.append_many("Support", [*raws, mail("new@example.net", "New one")])
    client = connect(imap_account.endpoint())
    try:
        second = sync_folder(client, store, "Support")
    finally:
        logout(client)
    assert second.uidvalidity != first.uidvalidity
    assert second.rescanned
    assert second.outcome.duplicates == 5 and second.outcome.stored == 1
    assert count(engine, Message) == 6
    with Session(engine) as session:
        validities = set(session.exec(select(Message.uidvalidity)).all())
    assert validities == {second.uidvalidity}, "stored messages point at their new UIDs"


def test_threading_in_a_real_mailbox(imap_account: ImapAccount, engine: Engine) -> None:
    first_id = "<order-4411@customer.example>"
    imap_account.append_many(
        "INBOX", [mail("ana@example.net", "Blender broken", message_id=first_id)]
    )
    store, _ = sync(imap_account, engine)
    with Session(engine) as session:
        ticket = session.exec(select(Ticket)).one()
    assert ticket.id is not None
    ours = make_message_id(ticket.id, key=store.key, domain="example.com")
    imap_account.append_many(
        "INBOX",
        [
            # Outlook: only References, pointing at the customer's first mail.
            mail("Ana@Example.net", "RE: Blender broken", references=first_id),
            # A reply to our draft, with the subject tag stripped.
            mail("ana@example.net", "Still broken", in_reply_to=f"<{ours}>"),
            # A stranger replying to Ana's message: never threaded into Ana's ticket.
            mail("eve@example.org", "Re: Blender broken", in_reply_to=first_id),
            # A stranger quoting the subject token.
            mail("eve@example.org", f"Re: {subject_token(ticket.id)} Blender"),
            # Ana forwarding with only the token.
            mail("ana@example.net", f"Fwd: {subject_token(ticket.id)} Blender broken"),
        ],
    )
    sync(imap_account, engine)
    with Session(engine) as session:
        messages = session.exec(select(Message).order_by(col(Message.uid))).all()
        tickets = {m.from_address: m.ticket_id for m in messages}
        assert [m.ticket_id == ticket.id for m in messages] == [
            True,
            True,
            True,
            False,
            False,
            True,
        ]
        assert tickets["eve@example.org"] != ticket.id
        reasons = [m.thread_reason or "" for m in messages]
    assert "References" in reasons[1]
    assert "In-Reply-To" in reasons[2] or "our message-id" in reasons[2].lower()
    assert "another customer" in reasons[3]
    assert count(engine, Ticket) == 3


def test_message_above_the_size_limit_is_stored_as_headers_and_structure(
    imap_account: ImapAccount, engine: Engine
) -> None:
    msg = EmailMessage()
    msg["From"] = "big@example.net"
    msg["To"] = "support@example.com"
    msg["Subject"] = "Photos of the damage"
    msg["Message-ID"] = "<big-1@example.net>"
    msg.set_content("See the attached photos.")
    msg.add_attachment(
        b"\x89PNG" + b"x" * 300_000, maintype="image", subtype="png", filename="damage.png"
    )
    imap_account.append_many("INBOX", [bytes(msg)])
    _, report = sync(imap_account, engine, max_message_bytes=100_000)
    assert report.outcome.stored == 1  # type: ignore[attr-defined]
    with Session(engine) as session:
        stored = session.exec(select(Message)).one()
        assert stored.truncated
        assert stored.size > 300_000
        assert stored.subject == "Photos of the damage"
        assert stored.ticket_id is not None
        assert any(a["filename"] == "damage.png" for a in stored.attachments or [])


def test_batches_are_cut_by_weight_so_big_messages_are_never_held_together(
    imap_account: ImapAccount, engine: Engine
) -> None:
    """Ten messages of 90 KB under a 100 KB limit, with 250 KB a batch: two bodies at a time
    (a third would weigh 270 KB); one above the limit weighs nothing, as only its headers come."""
    big = [mail(f"c{i}@example.net", f"Order {i}", "x" * 90_000 + f" order {i}") for i in range(10)]
    too_big = mail("huge@example.net", "Huge", "y" * 200_000)
    imap_account.append_many("INBOX", [*big[:5], too_big, *big[5:]])
    store = MessageStore(engine, "support")
    done: list[int] = []
    client = connect(imap_account.endpoint())
    try:
        options = SyncOptions(batch_size=500, max_message_bytes=100_000, batch_bytes=250_000)
        report = sync_folder(client, store, "INBOX", options, lambda n, _total: done.append(n))
    finally:
        logout(client)
    assert report.outcome.stored == 11
    # After each stored batch, the number of messages done so far.
    assert done == [0, 2, 4, 7, 9, 11]
    assert count(engine, Message) == 11 and count(engine, Message, col(Message.truncated)) == 1
    with Session(engine) as session:
        bookmark = session.exec(select(MailboxSync)).one()
        assert bookmark.last_uid == max(m.uid or 0 for m in session.exec(select(Message)))


def test_customer_mail_without_sender_is_quarantined_and_the_rest_flows(
    imap_account: ImapAccount, engine: Engine
) -> None:
    nobody = b"Subject: no sender here\r\nMessage-ID: <nobody@x>\r\n\r\nWhere is my parcel?\r\n"
    imap_account.append_many(
        "INBOX", [mail("a@example.net", "one"), nobody, mail("b@example.net", "three")]
    )
    _, report = sync(imap_account, engine)
    assert report.outcome.stored == 2 and report.outcome.quarantined == 1  # type: ignore[attr-defined]
    with Session(engine) as session:
        entry = session.exec(select(QuarantineEntry)).one()
        bookmark = session.exec(select(MailboxSync)).one()
    assert "sender" in entry.reason
    assert bookmark.last_uid == 3, "the queue moved past the bad message"
    assert len(imap_account.fetch_all("INBOX")) == 3, "the message stays on the server"


def test_a_message_the_database_refuses_is_quarantined_alone(
    imap_account: ImapAccount, engine: Engine
) -> None:
    imap_account.append_many(
        "INBOX", [mail(f"c{i}@example.net", f"order {i}") for i in range(1, 6)]
    )
    client = connect(imap_account.endpoint())
    try:
        uidvalidity = examine(client, "INBOX").uidvalidity
    finally:
        logout(client)
    # Another row already holds UID 3's place, so the batch's set-based insert fails as a
    # whole; the store must fall back to one message at a time and refuse only UID 3.
    with Session(engine) as session:
        session.add(
            Message(
                mailbox="support",
                direction=MessageDirection.INBOUND,
                kind=MessageKind.CUSTOMER,
                message_id_hash="0" * 64,
                content_hash="0" * 64,
                folder="INBOX",
                uidvalidity=uidvalidity,
                uid=3,
            )
        )
        session.commit()

    _, report = sync(imap_account, engine)

    assert report.outcome.stored == 4 and report.outcome.quarantined == 1  # type: ignore[attr-defined]
    with Session(engine) as session:
        entry = session.exec(select(QuarantineEntry)).one()
        customers = session.exec(select(Customer).order_by(col(Customer.address))).all()
        bookmark = session.exec(select(MailboxSync)).one()
    assert (entry.uid, entry.error_class) == (3, "IntegrityError")
    assert "database refused it" in entry.reason
    # Nothing of the rolled-back attempt survives: one ticket per stored message, counted once.
    assert count(engine, Ticket) == 4
    assert [(c.address, c.ticket_count) for c in customers] == [
        (f"c{i}@example.net", 1) for i in (1, 2, 4, 5)
    ]
    assert bookmark.last_uid == 5


def test_a_customer_another_worker_is_adding_is_taken_not_quarantined(engine: Engine) -> None:
    """Two mailboxes hear from the same new customer at once: the address is unique, so the
    second store waits for the first one's row and takes it (it used to fail on the duplicate
    and quarantine the message)."""
    raw = mail("Jane <jane@example.net>", "Broken kettle")
    store = MessageStore(engine, "support")
    batch = [prepare(FetchedMessage(1, len(raw), None, (), raw))]
    outcome: list[object] = []

    def store_it() -> None:
        outcome.append(store.store_batch("INBOX", 7, batch, last_uid=1))

    with Session(engine) as other_worker:
        other_worker.add(Customer(address="jane@example.net", display_name="Jane"))
        other_worker.flush()  # written, not yet committed
        thread = threading.Thread(target=store_it)
        thread.start()
        time.sleep(1.0)  # the store now waits for that row (PostgreSQL) or the lock (SQLite)
        other_worker.commit()
    thread.join(timeout=60)
    [result] = outcome
    assert (result.stored, result.quarantined, result.tickets_created) == (1, 0, 1)  # type: ignore[attr-defined]
    with Session(engine) as session:
        [customer] = session.exec(select(Customer)).all()
        ticket = session.exec(select(Ticket)).one()
        assert ticket.customer_id == customer.id and customer.ticket_count == 1


def test_a_sync_with_nothing_new_still_records_the_check(
    imap_account: ImapAccount, engine: Engine
) -> None:
    imap_account.append_many("INBOX", [mail("a@example.net", "one")])
    sync(imap_account, engine)
    with Session(engine) as session:
        first = session.exec(select(MailboxSync)).one()
    time.sleep(0.05)

    _, report = sync(imap_account, engine)

    with Session(engine) as session:
        second = session.exec(select(MailboxSync)).one()
    assert report.found == 0  # type: ignore[attr-defined]
    assert second.last_uid == first.last_uid == 1
    assert first.last_sync_at is not None and second.last_sync_at is not None
    assert second.last_sync_at > first.last_sync_at, "the check itself is recorded"
    assert count(engine, Message) == 1


def test_mail_through_the_teams_own_group_opens_tickets(
    imap_account: ImapAccount, engine: Engine
) -> None:
    group = {
        "List-Id": "<support.example.com>",
        "List-Post": "<mailto:support@example.com>",
        "Precedence": "list",
    }
    newsletter = {"List-Id": "<news.shop.example>", "List-Unsubscribe": "<mailto:u@shop.example>"}
    imap_account.append_many(
        "INBOX",
        [
            mail("ana@example.net", "Broken blender", extra=group),
            mail("news@shop.example", "Our deals", extra=newsletter),
        ],
    )
    _, report = sync(imap_account, engine, own_addresses=frozenset({"support@example.com"}))
    assert report.outcome.tickets_created == 1  # type: ignore[attr-defined]
    with Session(engine) as session:
        kinds = session.exec(select(Message.kind).order_by(col(Message.uid))).all()
    assert kinds == [MessageKind.CUSTOMER, MessageKind.LIST]


def test_since_limits_the_initial_sync(imap_account: ImapAccount, engine: Engine) -> None:
    old = datetime(2020, 1, 5, tzinfo=UTC)
    imap_account.append("INBOX", mail("old@example.net", "old"), msg_time=old)
    imap_account.append("INBOX", mail("new@example.net", "new"))
    _, report = sync(imap_account, engine, since=datetime(2025, 1, 1).date())
    assert report.outcome.stored == 1  # type: ignore[attr-defined]
    with Session(engine) as session:
        assert session.exec(select(Message.from_address)).all() == ["new@example.net"]


def test_dropped_connection_mid_fetch_resumes_without_loss_or_doubles(
    imap_account: ImapAccount, engine: Engine, imap_proxy: CuttingProxy
) -> None:
    raws = [mail(f"p{i}@example.net", f"Parcel {i}", "x" * 3000) for i in range(60)]
    imap_account.append_many("INBOX", raws)
    store = MessageStore(engine, "support")
    endpoint = imap_account.endpoint(host=imap_proxy.host, port=imap_proxy.port, timeout_s=5.0)
    settings = WatchSettings(folders=["INBOX"], sync=SyncOptions(batch_size=10))
    watcher = MailboxWatcher(
        lambda refresh: endpoint, store, settings, backoff=Backoff(initial_s=0.05, max_s=0.2)
    )
    # The server's replies are cut off part-way through the bodies of the first batches.
    imap_proxy.cut_after(40_000)
    with pytest.raises(MailboxUnavailable):
        watcher.run_once()
    stored_before = count(engine, Message)
    assert stored_before < 60
    imap_proxy.cut_after(120_000)
    with pytest.raises(MailboxUnavailable):
        watcher.run_once()
    watcher.run_once()
    assert imap_proxy.cuts >= 2
    assert count(engine, Message) == 60
    with Session(engine) as session:
        ids = session.exec(select(Message.message_id)).all()
    assert len(set(ids)) == 60


def test_watcher_backs_off_on_refused_login_then_recovers(
    imap_account: ImapAccount, engine: Engine
) -> None:
    imap_account.append_many("INBOX", [mail("late@example.net", "hello")])
    attempts: list[bool] = []

    def endpoint(refresh: bool):  # type: ignore[no-untyped-def]
        attempts.append(refresh)
        wrong = len(attempts) <= 3
        return imap_account.endpoint(password="wrong" if wrong else imap_account.password)

    stop = threading.Event()
    watcher = MailboxWatcher(
        endpoint,
        MessageStore(engine, "support"),
        WatchSettings(folders=["INBOX"], poll_interval_s=0.2),
        stop=stop,
        backoff=Backoff(initial_s=0.05, max_s=0.1),
    )
    runner = threading.Thread(target=watcher.run)
    runner.start()
    try:
        deadline = time.monotonic() + 30
        while count(engine, Message) == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        runner.join(10)
    assert not runner.is_alive()
    assert count(engine, Message) == 1
    assert True in attempts, "a refused login asks for refreshed credentials"
    with pytest.raises(MailboxAuthError):
        MailboxWatcher(
            lambda refresh: imap_account.endpoint(password="wrong"),
            MessageStore(engine, "support"),
            WatchSettings(folders=["INBOX"]),
        ).run_once()


def test_idle_picks_up_new_mail_and_stops_on_request(
    imap_account: ImapAccount, engine: Engine
) -> None:
    stop = threading.Event()
    watcher = MailboxWatcher(
        lambda refresh: imap_account.endpoint(),
        MessageStore(engine, "support"),
        WatchSettings(folders=["INBOX"], poll_interval_s=3600),  # only IDLE can wake it
        stop=stop,
    )
    runner = threading.Thread(target=watcher.run)
    runner.start()
    try:
        time.sleep(1.0)
        imap_account.append("INBOX", mail("idle@example.net", "arrived while idling"))
        deadline = time.monotonic() + 20
        while count(engine, Message) == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert count(engine, Message) == 1
    finally:
        stop.set()
        runner.join(10)
    assert not runner.is_alive(), "a stop request ends IDLE promptly"


def test_replies_in_the_same_batch_as_their_original_are_threaded(
    imap_account: ImapAccount, engine: Engine
) -> None:
    imap_account.append_many(
        "INBOX",
        [
            mail("kim@example.net", "Wrong size", message_id="<k1@example.net>"),
            mail(
                "kim@example.net",
                "Re: Wrong size",
                message_id="<k2@example.net>",
                in_reply_to="<k1@example.net>",
            ),
            mail(
                "kim@example.net",
                "Re: Re: Wrong size",
                message_id="<k3@example.net>",
                references="<k1@example.net> <k2@example.net>",
            ),
            mail("lee@example.net", "Re: Wrong size", in_reply_to="<k2@example.net>"),
        ],
    )
    _, report = sync(imap_account, engine)
    assert report.outcome.threaded == 2  # type: ignore[attr-defined]
    with Session(engine) as session:
        rows = session.exec(
            select(Message.from_address, Message.ticket_id).order_by(col(Message.uid))
        ).all()
    kim = rows[0][1]
    assert [ticket for _, ticket in rows[:3]] == [kim, kim, kim]
    assert rows[3][1] != kim, "another customer's reply opens its own ticket"


def test_a_bounce_in_the_batch_that_opened_the_customer_marks_them_bounced(
    imap_account: ImapAccount, engine: Engine
) -> None:
    """New customers are inserted with the batch's other rows; a permanent bounce for one of
    them, later in the same batch, must still find the customer and mark the address."""
    bounce = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        b"To: support@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n'
        b"\r\n--b\r\nContent-Type: text/plain\r\n\r\nThis is the mail system.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.net\r\n\r\n"
        b"Final-Recipient: rfc822; kim@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        b"--b--\r\n"
    )
    imap_account.append_many(
        "INBOX", [mail("Kim <kim@example.net>", "Wrong size"), bounce, mail("lee@example.net", "x")]
    )
    _, report = sync(imap_account, engine)
    assert report.outcome.stored == 3  # type: ignore[attr-defined]
    with Session(engine) as session:
        customers = {c.address: c for c in session.exec(select(Customer))}
    assert customers["kim@example.net"].bounced and not customers["lee@example.net"].bounced
    assert customers["kim@example.net"].display_name == "Kim"
    assert customers["kim@example.net"].ticket_count == 1
