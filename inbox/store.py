"""Write fetched messages, their tickets and the folder bookmark in one transaction per batch.

The commit of a batch is the point of no return: the messages, the tickets they created and the
folder's new UID high-water mark land together or not at all, so a crash at any instant neither
loses a message (the batch is fetched again) nor stores one twice (the bookmark moved with it).
A message that cannot be stored goes to quarantine with the reason, inside the same commit.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlmodel import Session, col, select

from inbox.fetch import FetchedMessage
from inbox.kind import detect_kind, is_permanent_failure
from inbox.message import KindResult, ParsedMessage, ThreadDecision
from inbox.parse import parse_with_structure
from inbox.threads import KnownMessage, decide_thread, looks_like_ours
from models.mail import MailboxSync, Message, MessageDirection, MessageKind, QuarantineEntry
from models.operations import app_secret
from models.tables import table_of
from models.tickets import Customer, EventLog, Ticket, TicketStatus

log = logging.getLogger(__name__)

MESSAGE_ID_KEY = "message_id_hmac"
# Only the newest References are looked up, as threading does (inbox.threads caps them too).
MAX_REFERENCES = 100


@dataclass(frozen=True)
class Prepared:
    """A fetched message after the pure steps (parse, kind), or the error that stopped them."""

    fetched: FetchedMessage
    parsed: ParsedMessage | None = None
    kind: KindResult | None = None
    error: str | None = None
    error_class: str | None = None


@dataclass
class BatchOutcome:
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    tickets_created: int = 0
    threaded: int = 0
    # Mail in a Sent folder that answers no ticket: not stored (it is not ours to keep).
    unrelated: int = 0

    def add(self, other: BatchOutcome) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def prepare(
    fetched: FetchedMessage,
    *,
    own_addresses: Collection[str] = (),
    is_own_message_id: Callable[[str], bool] = looks_like_ours,
) -> Prepared:
    """Parse one message and tell what sent it; never raises (errors become quarantine)."""
    try:
        parsed, structure = parse_with_structure(
            fetched.raw, truncated=fetched.truncated, size=fetched.size
        )
        if fetched.truncated:
            parsed = replace(parsed, attachments=fetched.structure)
        # The same MIME tree, not a second parse: kind detection reads headers defensively.
        kind = detect_kind(
            structure, own_addresses=own_addresses, is_own_message_id=is_own_message_id
        )
    except Exception as exc:  # one bad message must never stop the batch
        log.warning("UID %d could not be parsed: %s: %s", fetched.uid, type(exc).__name__, exc)
        return Prepared(fetched, error=f"parse failed: {exc}", error_class=type(exc).__name__)
    return Prepared(fetched, parsed, kind)


def message_id_hash(message_id: str | None) -> str:
    return hashlib.sha256((message_id or "").encode("utf-8", "surrogatepass")).hexdigest()


class MessageStore:
    """Stores batches of one mailbox; holds the installation's Message-ID key."""

    def __init__(self, engine: Engine, mailbox: str) -> None:
        self.engine = engine
        self.mailbox = mailbox
        with Session(engine) as session:
            self.key = app_secret(session, MESSAGE_ID_KEY)

    def bookmark(self, folder: str) -> tuple[int | None, int]:
        """The stored (UIDVALIDITY, last UID) of ``folder``; (None, 0) before its first sync."""
        with Session(self.engine) as session:
            sync = self._sync_row(session, folder)
            return (sync.uidvalidity, sync.last_uid) if sync else (None, 0)

    def store_batch(
        self,
        folder: str,
        uidvalidity: int,
        batch: Sequence[Prepared],
        *,
        last_uid: int,
        highest_modseq: int | None = None,
        direction: MessageDirection = MessageDirection.INBOUND,
    ) -> BatchOutcome:
        """Store ``batch`` and move the bookmark to ``last_uid``, in one transaction.

        ``OUTBOUND`` is for a Sent folder: every message is ours, stored only when it answers a
        ticket (threaded by its reply headers or a subject token naming a recipient's ticket).
        """
        with Session(self.engine) as session:
            sync = self._sync_row(session, folder) or MailboxSync(
                mailbox=self.mailbox, folder=folder, uidvalidity=uidvalidity
            )
            if sync.uidvalidity != uidvalidity:
                sync.uidvalidity, sync.last_uid = uidvalidity, 0
            already = sync.last_uid
            # UIDs at or below the bookmark were stored by another worker first.
            fresh = [item for item in batch if item.fetched.uid > already]
            outcome = self._store_items(session, folder, uidvalidity, fresh, direction)
            sync.last_uid = max(sync.last_uid, last_uid)
            sync.highest_modseq = highest_modseq or sync.highest_modseq
            sync.last_sync_at = datetime.now(UTC)
            session.add(sync)
            session.commit()
        return outcome

    def retry(self, folder: str, uidvalidity: int, item: Prepared) -> BatchOutcome:
        """Store a message again that was quarantined; the bookmark does not move.

        A message that is stored (or turns out to be stored already) resolves its entry.
        """
        with Session(self.engine) as session:
            outcome = self._store_items(session, folder, uidvalidity, [item])
            if outcome.stored or outcome.duplicates:
                entry = self._quarantine_entry(session, folder, uidvalidity, item.fetched.uid)
                if entry is not None:
                    entry.resolved, entry.resolved_at = True, datetime.now(UTC)
                    session.add(entry)
            session.commit()
        return outcome

    def _store_items(
        self,
        session: Session,
        folder: str,
        uidvalidity: int,
        batch: Sequence[Prepared],
        direction: MessageDirection = MessageDirection.INBOUND,
    ) -> BatchOutcome:
        """Store ``batch`` in the session's transaction, quarantining what cannot be stored.

        The fast way writes the whole batch with a few set-based statements. If the database
        refuses any row, that transaction is useless: it is rolled back and the batch is stored
        again one message at a time, each in a savepoint, so only the refused message goes to
        quarantine. Errors of the connection itself (lost, locked, disk full) are not the
        message's fault and propagate, so the batch is retried later instead.
        """
        if len(batch) > 1:
            savepoint = session.begin_nested()
            try:
                outcome = self._store_run(
                    session, folder, uidvalidity, batch, direction, per_message=False
                )
                savepoint.commit()
                return outcome
            except (OperationalError, InterfaceError):
                raise
            except SQLAlchemyError as exc:
                savepoint.rollback()
                log.info(
                    "%s %s: a batch of %d was refused as a whole (%s); storing it one by one",
                    self.mailbox,
                    folder,
                    len(batch),
                    type(exc).__name__,
                )
        return self._store_run(session, folder, uidvalidity, batch, direction, per_message=True)

    def _store_run(
        self,
        session: Session,
        folder: str,
        uidvalidity: int,
        batch: Sequence[Prepared],
        direction: MessageDirection,
        *,
        per_message: bool,
    ) -> BatchOutcome:
        outcome = BatchOutcome()
        outbound = direction is MessageDirection.OUTBOUND
        known: dict[tuple[str, str], int | None] = dict(self._known_contents(session, batch))
        lookup = BatchLookup(self, session, batch)
        rows = PendingRows(self, session, lookup)
        for item in batch:
            if item.parsed is None or item.kind is None:
                self._quarantine(session, folder, uidvalidity, item)
                outcome.quarantined += 1
                continue
            parsed, kind = item.parsed, item.kind
            if outbound:
                item = replace(item, kind=KindResult(MessageKind.OWN, "in the Sent folder"))
            elif kind.kind is MessageKind.CUSTOMER and not parsed.from_address:
                unanswerable = replace(
                    item,
                    error="no usable sender address in From: nobody to reply to",
                    error_class="NoSender",
                )
                self._quarantine(session, folder, uidvalidity, unanswerable)
                outcome.quarantined += 1
                continue
            content_key = (message_id_hash(parsed.message_id), parsed.content_hash)
            if content_key in known:
                self._relocate(session, known[content_key], folder, uidvalidity, item)
                outcome.duplicates += 1
                continue
            known_thread: ThreadDecision | None = None
            if outbound:
                known_thread = self._thread(parsed, rows, outbound=True)
                if known_thread.ticket_id is None:
                    outcome.unrelated += 1
                    continue
            if not per_message:
                created, threaded = self._stage_one(
                    session, folder, uidvalidity, item, rows, direction, known_thread
                )
            else:
                try:
                    with session.begin_nested():
                        created, threaded = self._stage_one(
                            session, folder, uidvalidity, item, rows, direction, known_thread
                        )
                        rows.write()
                except (OperationalError, InterfaceError):
                    raise
                except SQLAlchemyError as exc:
                    rows.discard()
                    error = f"database refused it: {getattr(exc, 'orig', None) or exc}"
                    failed = replace(item, error=error, error_class=type(exc).__name__)
                    self._quarantine(session, folder, uidvalidity, failed)
                    outcome.quarantined += 1
                    continue
            known[content_key] = None  # stored in this run; its row needs no relocation
            outcome.stored += 1
            outcome.tickets_created += created
            outcome.threaded += threaded
        rows.write()
        return outcome

    def _sync_row(self, session: Session, folder: str) -> MailboxSync | None:
        query = select(MailboxSync).where(
            MailboxSync.mailbox == self.mailbox, MailboxSync.folder == folder
        )
        return session.exec(query).first()

    def _known_contents(
        self, session: Session, batch: Sequence[Prepared]
    ) -> dict[tuple[str, str], int]:
        """Messages of this mailbox already stored with the same Message-ID and content."""
        hashes = [p.parsed.content_hash for p in batch if p.parsed is not None]
        if not hashes:
            return {}
        query = select(Message.id, Message.message_id_hash, Message.content_hash).where(
            Message.mailbox == self.mailbox, col(Message.content_hash).in_(hashes)
        )
        return {(mid, content): row_id for row_id, mid, content in session.exec(query) if row_id}

    def _relocate(
        self, session: Session, row_id: int | None, folder: str, uidvalidity: int, item: Prepared
    ) -> None:
        """After a UIDVALIDITY change, point the stored message at its new UID."""
        if row_id is None:  # a copy stored moments ago in this batch, at this UIDVALIDITY
            return
        row = session.get(Message, row_id)
        if row is not None and row.folder == folder and row.uidvalidity != uidvalidity:
            row.uidvalidity, row.uid = uidvalidity, item.fetched.uid
            session.add(row)

    def _thread(self, parsed: ParsedMessage, rows: PendingRows, outbound: bool) -> ThreadDecision:
        return decide_thread(
            parsed,
            key=self.key,
            find_messages=rows.find_messages,
            ticket_customer=rows.lookup.ticket_customer,
            outbound=outbound,
        )

    def _stage_one(
        self,
        session: Session,
        folder: str,
        uidvalidity: int,
        item: Prepared,
        rows: PendingRows,
        direction: MessageDirection = MessageDirection.INBOUND,
        decision: ThreadDecision | None = None,
    ) -> tuple[int, int]:
        """Decide one message's ticket and queue its rows; returns (tickets created, threaded).

        A new customer or ticket is inserted at once (later messages may need its id); the
        message and its event wait in ``rows`` for one set-based insert.
        """
        parsed, kind = item.parsed, item.kind
        assert parsed is not None and kind is not None
        received = _aware(item.fetched.internal_date) or parsed.date or datetime.now(UTC)
        created = 0
        if decision is None:
            # Our own mail that reached the inbox (the support address in Cc of a reply) is
            # threaded as what it is: a reply we sent, to a recipient's ticket.
            decision = self._thread(parsed, rows, outbound=kind.kind is MessageKind.OWN)
        ticket_id = decision.ticket_id
        threaded = int(ticket_id is not None)
        owner: str | None = None
        new_ticket: NewTicket | None = None
        if kind.kind is MessageKind.CUSTOMER:
            owner = (parsed.from_address or "").lower()
            if ticket_id is None or not rows.touch_ticket(ticket_id):
                new_ticket, ticket_id = rows.open_ticket(parsed, owner, received), None
                created = 1
        elif kind.kind is MessageKind.BOUNCE:
            ticket_id = ticket_id or self._bounced_ticket(session, kind)
            rows.write()  # the customers opened so far, for the bounce to find
            self._mark_bounced(session, kind, received)
        elif kind.kind is MessageKind.OWN and ticket_id is not None:
            rows.touch_ticket(ticket_id)
        reason = decision.reason
        if ticket_id is None and new_ticket is None and decision.ticket_id is None:
            # "new ticket" is what a customer's message would get; this one opens none.
            reason = reason.replace(": new ticket", ": no ticket (not a customer's message)")
        rows.add_message(
            parsed,
            new_ticket or ticket_id,
            owner,
            {
                "ticket_id": ticket_id,
                "mailbox": self.mailbox,
                "direction": direction,
                "kind": kind.kind,
                "message_id": parsed.message_id,
                "message_id_hash": message_id_hash(parsed.message_id),
                "in_reply_to": " ".join(parsed.in_reply_to) or None,
                "references": " ".join(parsed.references) or None,
                "folder": folder,
                "uidvalidity": uidvalidity,
                "uid": item.fetched.uid,
                "from_address": parsed.from_address,
                "from_name": parsed.from_name,
                "to_addresses": ", ".join(parsed.to) or None,
                "cc_addresses": ", ".join(parsed.cc) or None,
                "subject": parsed.subject,
                "date_header": parsed.date,
                "internal_date": _aware(item.fetched.internal_date),
                "headers": parsed.headers,
                "body_text": parsed.body_text,
                "new_text": parsed.new_text,
                "language": parsed.language,
                "attachments": [vars(a) for a in parsed.attachments] or None,
                "size": parsed.size,
                "truncated": parsed.truncated,
                "content_hash": parsed.content_hash,
                "thread_reason": f"{kind.reason}; {reason}",
                "received_at": received,
            },
            {
                "ticket_id": ticket_id,
                "mailbox": self.mailbox,
                "kind": "message_sent" if kind.kind is MessageKind.OWN else "message_received",
                "detail": f"{kind.kind.value} from {parsed.from_address}: {reason}",
                "data": {
                    "message_id": parsed.message_id,
                    "folder": folder,
                    "uidvalidity": uidvalidity,
                    "uid": item.fetched.uid,
                },
            },
        )
        return created, threaded

    def _find_messages(self, session: Session, ids: Sequence[str]) -> Mapping[str, KnownMessage]:
        if not ids:
            return {}
        query = (
            select(Message.message_id, Message.id, Message.ticket_id, Customer.address)
            .join(Ticket, col(Message.ticket_id) == Ticket.id, isouter=True)
            .join(Customer, col(Ticket.customer_id) == Customer.id, isouter=True)
            .where(Message.mailbox == self.mailbox, col(Message.message_id).in_(list(ids)))
            .order_by(col(Message.id))
        )
        found: dict[str, KnownMessage] = {}
        for message_id, row_id, ticket_id, address in session.exec(query):
            if message_id and row_id and message_id not in found:
                found[message_id] = KnownMessage(row_id, ticket_id, address)
        return found

    def _ticket_customer(self, session: Session, ticket_id: int) -> str | None:
        query = (
            select(Customer.address)
            .join(Ticket, col(Ticket.customer_id) == Customer.id)
            .where(Ticket.id == ticket_id, Ticket.mailbox == self.mailbox)
        )
        return session.exec(query).first()

    def _bounced_ticket(self, session: Session, kind: KindResult) -> int | None:
        """The ticket of the message a bounce returns, so the bounce shows on its timeline."""
        if not kind.original_message_id:
            return None
        found = self._find_messages(session, [kind.original_message_id])
        known = found.get(kind.original_message_id)
        return known.ticket_id if known else None

    def _mark_bounced(self, session: Session, kind: KindResult, at: datetime) -> None:
        if not is_permanent_failure(kind):
            return
        for address in kind.failed_recipients:
            customer = session.exec(
                select(Customer).where(func.lower(Customer.address) == address.lower())
            ).first()
            if customer is not None and not customer.bounced:
                customer.bounced, customer.bounced_at = True, at
                session.add(customer)

    def _quarantine(self, session: Session, folder: str, uidvalidity: int, item: Prepared) -> None:
        reason = item.error or "unknown error"
        log.warning("quarantined %s UID %d: %s", folder, item.fetched.uid, reason)
        entry = self._quarantine_entry(session, folder, uidvalidity, item.fetched.uid)
        now = datetime.now(UTC)
        if entry is None:
            entry = QuarantineEntry(
                mailbox=self.mailbox,
                folder=folder,
                uidvalidity=uidvalidity,
                uid=item.fetched.uid,
                reason=reason,
                error_class=item.error_class or "Error",
            )
        else:
            entry.attempts += 1
            entry.reason, entry.last_seen_at, entry.resolved = reason, now, False
        session.add(entry)

    def _quarantine_entry(
        self, session: Session, folder: str, uidvalidity: int, uid: int
    ) -> QuarantineEntry | None:
        query = select(QuarantineEntry).where(
            QuarantineEntry.mailbox == self.mailbox,
            QuarantineEntry.folder == folder,
            QuarantineEntry.uidvalidity == uidvalidity,
            QuarantineEntry.uid == uid,
        )
        return session.exec(query).first()


# Core statements for the hot path: compiled once, executed with plain parameter dicts.
_CUSTOMERS, _TICKETS, _MESSAGES = table_of(Customer), table_of(Ticket), table_of(Message)
# Another mailbox's worker may add the same customer at the same moment (the address is
# unique across mailboxes): its row is taken instead of failing the batch on the duplicate.
_INSERT_CUSTOMERS = {
    name: module.insert(_CUSTOMERS).on_conflict_do_nothing(index_elements=[_CUSTOMERS.c.address])
    for name, module in (("postgresql", postgresql), ("sqlite", sqlite))
}
_INSERT_TICKETS = insert(_TICKETS).returning(_TICKETS.c.id, sort_by_parameter_order=True)
_INSERT_MESSAGES = insert(_MESSAGES).returning(_MESSAGES.c.id, sort_by_parameter_order=True)
_INSERT_EVENTS = insert(table_of(EventLog))
_COUNT_TICKETS = (
    update(_CUSTOMERS)
    .where(_CUSTOMERS.c.id == bindparam("customer"))
    .values(ticket_count=_CUSTOMERS.c.ticket_count + bindparam("opened"))
)


class BatchLookup:
    """What threading needs to know, fetched once per batch instead of once per message.

    Stored Message-IDs referenced by the batch, the customers who sent it, and each known
    ticket's customer come from a few queries; rows written earlier in the same batch are added
    as they are written.
    """

    def __init__(self, store: MessageStore, session: Session, batch: Sequence[Prepared]) -> None:
        self.store, self.session = store, session
        parsed = [item.parsed for item in batch if item.parsed is not None]
        wanted = {i for p in parsed for i in (*p.in_reply_to, *p.references[-MAX_REFERENCES:])}
        self.messages: dict[str, KnownMessage] = {}
        self.tickets: dict[int, str | None] = {}
        for chunk in _chunks(sorted(wanted)):
            for message_id, known in store._find_messages(session, chunk).items():
                self.messages[message_id] = known
                if known.ticket_id is not None:
                    self.tickets[known.ticket_id] = known.customer_address
        addresses = sorted({p.from_address.lower() for p in parsed if p.from_address})
        self.customers: dict[str, int] = {}
        for chunk in _chunks(addresses):
            query = select(Customer.address, Customer.id).where(col(Customer.address).in_(chunk))
            self.customers.update((a, i) for a, i in session.exec(query) if i is not None)

    def find_messages(self, ids: Sequence[str]) -> Mapping[str, KnownMessage]:
        return {i: self.messages[i] for i in ids if i in self.messages}

    def ticket_customer(self, ticket_id: int) -> str | None:
        if ticket_id not in self.tickets:
            # A subject token naming a ticket the batch has not referenced otherwise.
            self.tickets[ticket_id] = self.store._ticket_customer(self.session, ticket_id)
        return self.tickets[ticket_id]


@dataclass
class NewTicket:
    """A ticket opened by a message of the batch, inserted with the others by ``write``."""

    address: str  # the customer's
    row: dict[str, Any]
    id: int | None = None


@dataclass
class _QueuedMessage:
    parsed: ParsedMessage
    ticket: int | NewTicket | None
    owner: str | None
    row: dict[str, Any]
    event: dict[str, Any]

    @property
    def ticket_id(self) -> int | None:
        return self.ticket.id if isinstance(self.ticket, NewTicket) else self.ticket


class PendingRows:
    """The rows of messages being stored, written with a few statements per table.

    New customers, tickets, messages and events wait for ``write``, which inserts them all,
    learns the new ids in order, and only then tells the lookup about them: a rolled-back
    write leaves the lookup as it was (see ``discard``). A message that needs an earlier one's
    row (a reply within the batch) has the queue written first.
    """

    def __init__(self, store: MessageStore, session: Session, lookup: BatchLookup) -> None:
        self.store, self.session, self.lookup = store, session, lookup
        self.queue: list[_QueuedMessage] = []
        self.queued_ids: set[str] = set()
        self.new_customers: dict[str, dict[str, Any]] = {}  # address -> row
        self.customers: dict[str, int] = {}  # created in this run, not yet written for sure
        self.opened: list[NewTicket] = []
        self.new_tickets: dict[int, str] = {}
        self.ticket_counts: dict[int, int] = {}  # customer id -> tickets opened
        self.touched: set[int] = set()

    def find_messages(self, ids: Sequence[str]) -> Mapping[str, KnownMessage]:
        if self.queued_ids.intersection(ids):
            self.write()  # a reply to a message of the same batch needs that message's row
        return self.lookup.find_messages(ids)

    def touch_ticket(self, ticket_id: int) -> bool:
        """Record activity on an existing ticket; False if there is no such ticket."""
        known = ticket_id in self.touched or ticket_id in self.new_tickets
        if not known and self.session.get(Ticket, ticket_id) is None:
            return False
        self.touched.add(ticket_id)
        return True

    def open_ticket(self, parsed: ParsedMessage, address: str, received: datetime) -> NewTicket:
        if address not in self.lookup.customers:
            self.new_customers.setdefault(
                address,
                {"address": address, "display_name": parsed.from_name, "language": parsed.language},
            )
        ticket = NewTicket(
            address,
            {
                "mailbox": self.store.mailbox,
                "subject": parsed.subject,
                "status": TicketStatus.NEW,
                "language": parsed.language,
                "received_at": received,
            },
        )
        self.opened.append(ticket)
        return ticket

    def add_message(
        self,
        parsed: ParsedMessage,
        ticket: int | NewTicket | None,
        owner: str | None,
        row: dict[str, Any],
        event: dict[str, Any],
    ) -> None:
        self.queue.append(_QueuedMessage(parsed, ticket, owner, row, event))
        if parsed.message_id:
            self.queued_ids.add(parsed.message_id)

    def write(self) -> None:
        """Insert what is queued; afterwards the lookup knows the new rows."""
        connection = self.session.connection()
        self._write_customers(connection)
        self._write_tickets(connection)
        ids: list[int] = []
        if self.queue:
            for queued in self.queue:
                queued.row["ticket_id"] = queued.event["ticket_id"] = queued.ticket_id
            rows = connection.execute(_INSERT_MESSAGES, [q.row for q in self.queue])
            ids = [row_id for row_id in rows.scalars() if row_id]
            connection.execute(_INSERT_EVENTS, [q.event for q in self.queue])
        if self.touched:
            connection.execute(
                update(_TICKETS)
                .where(_TICKETS.c.id.in_(sorted(self.touched)))
                .values(updated_at=datetime.now(UTC))
            )
        if self.ticket_counts:
            connection.execute(
                _COUNT_TICKETS,
                [{"customer": c, "opened": n} for c, n in self.ticket_counts.items()],
            )
        lookup = self.lookup
        lookup.customers.update(self.customers)
        lookup.tickets.update(self.new_tickets)
        for queued, row_id in zip(self.queue, ids, strict=True):
            if queued.ticket_id is not None and queued.owner is not None:
                lookup.tickets.setdefault(queued.ticket_id, queued.owner)
            message_id = queued.parsed.message_id
            if message_id and message_id not in lookup.messages:
                owner = (
                    lookup.ticket_customer(queued.ticket_id)
                    if queued.ticket_id is not None
                    else None
                )
                lookup.messages[message_id] = KnownMessage(row_id, queued.ticket_id, owner)
        self.discard()

    def _write_customers(self, connection: Connection) -> None:
        """Insert the new customers; one another worker added meanwhile is taken as it is
        (the address is unique across mailboxes)."""
        if not self.new_customers:
            return
        connection.execute(
            _INSERT_CUSTOMERS[connection.dialect.name], list(self.new_customers.values())
        )
        for chunk in _chunks(list(self.new_customers)):
            query = select(_CUSTOMERS.c.address, _CUSTOMERS.c.id).where(
                _CUSTOMERS.c.address.in_(chunk)
            )
            self.customers.update((a, i) for a, i in connection.execute(query))
        self.new_customers.clear()

    def _write_tickets(self, connection: Connection) -> None:
        if not self.opened:
            return
        known = self.lookup.customers
        for ticket in self.opened:
            ticket.row["customer_id"] = known.get(ticket.address) or self.customers[ticket.address]
        ids = connection.execute(_INSERT_TICKETS, [t.row for t in self.opened]).scalars()
        for ticket, ticket_id in zip(self.opened, ids, strict=True):
            ticket.id = ticket_id
            customer = ticket.row["customer_id"]
            self.ticket_counts[customer] = self.ticket_counts.get(customer, 0) + 1
            self.new_tickets[ticket_id] = ticket.address
        self.opened.clear()

    def discard(self) -> None:
        """Forget what is queued (written, or rolled back with its savepoint)."""
        self.queue.clear()
        self.queued_ids.clear()
        self.new_customers.clear()
        self.opened.clear()
        self.customers.clear()
        self.new_tickets.clear()
        self.ticket_counts.clear()
        self.touched.clear()


def _chunks(values: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    """Pieces small enough for an IN (...) list on every backend."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
