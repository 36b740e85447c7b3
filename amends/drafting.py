"""The draft stage: a recovery reply for every assigned complaint, in the mailbox's Drafts folder.

Two steps, so a crash can never double a draft:
1. **render** (database only): the reply is written, linted and stored as a ``draft`` row
   (state ``rendered``) with its Message-ID fixed, deterministic from the ticket, the inbound
   message and the revision;
2. **deliver** (IMAP): rendered drafts are looked up by Message-ID in their folder and
   appended only when they are not there yet (up to 50 per MULTIAPPEND where the server has
   it); then they are recorded as ``appended``.
Tickets that must get no draft (bounced or no-reply addresses, our own addresses) get a
``discarded`` draft row with the reason, so the decision is recorded once and shown.
The owner's IMAP keyword on the customer's message is kept in step with the ticket's owner.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.utils import getaddresses
from typing import TypeVar

from sqlalchemy import Engine, exists, func
from sqlmodel import Session, col, select

from amends.classify import NOT_A_COMPLAINT, first_messages
from amends.config import Config
from amends.config.schema import MailboxSettings
from amends.endpoints import imap_endpoint
from amends.errors import AmendsError
from amends.label_folders import folder_names
from inbox.connection import (
    IMAPClient,
    connect,
    ensure_folder,
    logout,
    role_folder,
    session_errors,
)
from inbox.errors import MailboxError, MailboxUnavailable
from inbox.store import MESSAGE_ID_KEY
from inbox.threads import make_message_id, strip_reply_prefixes, subject_token
from models.columns import utc_now
from models.mail import Message
from models.operations import app_secret
from models.outbox import Draft, DraftState
from models.tickets import Assignment, Customer, EventLog, Severity, Ticket, TicketStatus
from outbox.compose import (
    DraftHeaders,
    UndeliverableAddress,
    build_draft,
    clean_header_text,
    mailbox_address,
    reply_subject,
)
from outbox.drafts_folder import Appendable, append_drafts
from outbox.facts import extract_facts
from outbox.lint import Finding, lint, summary
from outbox.render import DraftFacts, FollowupFacts, Gesture, Quote, Templates, cyrillic_share

log = logging.getLogger(__name__)

DRAFT_PURPOSE = "draft"
DEFAULT_DRAFTS_FOLDER = "Drafts"
# Above this share of Cyrillic letters a Serbian customer gets the reply in Cyrillic.
CYRILLIC_AT = 0.5
BATCH = 200
# Drafts per MULTIAPPEND and commit: what is on the server and what is recorded differ by at
# most this many after a crash, and the next pass reconciles them by Message-ID.
APPEND_BATCH = 50


class DraftError(AmendsError, ValueError):
    """A draft cannot be made or found (unknown ticket, nothing to reply to)."""


@dataclass
class DraftReport:
    mailbox: str
    rendered: int = 0
    appended: int = 0
    already_there: int = 0
    with_findings: int = 0
    keywords: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    folder: str | None = None
    # Seconds per step: writing the drafts, appending them, moving owner keywords.
    stages: dict[str, float] = field(default_factory=dict)

    def __str__(self) -> str:
        parts = [f"{self.rendered} draft(s) written", f"{self.appended} appended"]
        if self.folder:
            parts[-1] += f" to {self.folder}"
        if self.already_there:
            parts.append(f"{self.already_there} already in the folder")
        if self.with_findings:
            parts.append(f"{self.with_findings} with lint findings")
        if self.keywords:
            parts.append(f"{self.keywords} owner keyword(s) set")
        for reason, count in sorted(self.skipped.items()):
            parts.append(f"{count} without draft ({reason})")
        return f"{self.mailbox}: " + ", ".join(parts)


@dataclass(frozen=True)
class Recipient:
    address: Address | None
    skip_reason: str | None = None


def own_addresses(config: Config) -> set[str]:
    return {m.address.lower() for m in config.mailboxes} | {a.email.lower() for a in config.agents}


def _reply_to(message: Message) -> tuple[str, str] | None:
    """The (display name, address) of the message's Reply-To, if it has one."""
    for line in (message.headers or "").splitlines():
        header, _, value = line.partition(":")
        if header.strip().lower() == "reply-to":
            found = [(n, a) for n, a in getaddresses([value]) if "@" in a]
            return found[0] if found else None
    return None


def recipient(config: Config, customer: Customer, message: Message) -> Recipient:
    """Who the draft goes to: Reply-To when usable, else the sender; or why nobody."""
    own = own_addresses(config)
    if customer.bounced:
        return Recipient(None, "the address bounced")
    candidates = [
        _reply_to(message),
        (message.from_name or "", message.from_address or ""),
        (customer.display_name or "", customer.address),
    ]
    problems: list[str] = []
    for candidate in candidates:
        if not candidate or not candidate[1]:
            continue
        name, address = candidate
        if address.lower() in own:
            problems.append("our own address")
            continue
        try:
            return Recipient(mailbox_address(address, name))
        except UndeliverableAddress as exc:
            problems.append(str(exc))
    return Recipient(None, problems[0] if problems else "no address to reply to")


def _note(session: Session, ticket: Ticket, extra: Sequence[str]) -> str | None:
    parts = list(extra)
    if ticket.escalated:
        reason = session.exec(
            select(Assignment.reason)
            .where(Assignment.ticket_id == ticket.id)
            .order_by(col(Assignment.id).desc())
            .limit(1)
        ).first()
        parts.insert(0, f"ESCALATED: {reason or 'repeat failure or severe complaint'}")
    return " | ".join(parts) or None


def _message_id(mailbox: MailboxSettings, key: bytes, draft: Draft) -> str:
    domain = mailbox.address.rpartition("@")[2] or "localhost"
    return make_message_id(
        draft.ticket_id,
        key=key,
        domain=domain.encode("idna").decode("ascii"),
        purpose=DRAFT_PURPOSE,
        unique=f"m{draft.inbound_message_id}-r{draft.revision}",
    )


class Drafter:
    """Renders and delivers the drafts of one mailbox."""

    def __init__(
        self,
        engine: Engine,
        config: Config,
        mailbox: MailboxSettings,
        templates: Templates | None = None,
    ) -> None:
        self.engine = engine
        self.config = config
        self.mailbox = mailbox
        self.templates = templates or Templates(config.drafts.templates_dir)
        with Session(engine) as session:
            self.key = app_secret(session, MESSAGE_ID_KEY)
            session.commit()

    # --- render ----------------------------------------------------------------------------

    def pending(self, session: Session, size: int) -> list[Ticket]:
        has_draft = exists().where(col(Draft.ticket_id) == col(Ticket.id))
        query = (
            select(Ticket)
            .where(
                Ticket.mailbox == self.mailbox.name,
                Ticket.status == TicketStatus.ASSIGNED,
                col(Ticket.failure_type).is_not(None),
                Ticket.failure_type != NOT_A_COMPLAINT,
                # Its text went with [retention]: there is nothing left to reply to.
                col(Ticket.purged_at).is_(None),
                ~has_draft,
            )
            .order_by(col(Ticket.id))
            .limit(size)
            .with_for_update(skip_locked=True)
        )
        return list(session.exec(query))

    def render_pending(self, report: DraftReport) -> None:
        seen: set[int] = set()
        while True:
            with Session(self.engine) as session:
                tickets = [t for t in self.pending(session, BATCH) if t.id not in seen]
                if not tickets:
                    return
                seen.update(t.id for t in tickets if t.id is not None)
                messages = first_messages(session, [t.id for t in tickets if t.id is not None])
                _load(session, Customer, {t.customer_id for t in tickets})
                for ticket in tickets:
                    try:
                        draft = self.render(
                            session, ticket, messages.get(ticket.id or 0), revision=1
                        )
                    except DraftError as exc:
                        # Left for a person (`amends tickets show`); the others go on.
                        log.warning("%s: %s", self.mailbox.name, exc.message)
                        report.skipped[exc.message] = report.skipped.get(exc.message, 0) + 1
                        continue
                    if draft.state is DraftState.DISCARDED:
                        reason = draft.note or "no draft"
                        report.skipped[reason] = report.skipped.get(reason, 0) + 1
                    else:
                        report.rendered += 1
                        report.with_findings += bool(draft.lint_findings)
                session.commit()

    def render(
        self,
        session: Session,
        ticket: Ticket,
        message: Message | None,
        *,
        revision: int,
        extra_notes: Sequence[str] = (),
    ) -> Draft:
        """Write, lint and store the draft for ``ticket`` (not committed)."""
        if ticket.purged_at is not None:
            raise DraftError(
                f"ticket {ticket.id}: its text was removed on {ticket.purged_at:%Y-%m-%d} "
                "(data retention), so there is nothing to reply to"
            )
        if message is None or message.id is None:
            raise DraftError(f"ticket {ticket.id} has no customer message to reply to")
        customer = session.get(Customer, ticket.customer_id)
        assert customer is not None and ticket.id is not None
        draft = Draft(
            ticket_id=ticket.id,
            inbound_message_id=message.id,
            revision=revision,
            owner=ticket.owner,
            template="",
            language=ticket.language or message.language or self.config.drafts.default_language,
            message_id="",
            subject="",
            body_text="",
        )
        draft.message_id = _message_id(self.mailbox, self.key, draft)
        stripped = strip_reply_prefixes(message.subject or ticket.subject or "")
        draft.subject = reply_subject(stripped, subject_token(ticket.id))
        to = recipient(self.config, customer, message)
        if to.address is None:
            draft.state = DraftState.DISCARDED
            draft.note = to.skip_reason
            session.add(draft)
            session.add(EventLog.about(ticket, "draft_skipped", f"no draft: {to.skip_reason}"))
            return draft
        agent = self.config.agent(ticket.owner)
        strong = ticket.severity == Severity.SEVERE or ticket.repeat_failure
        kind, _, value = self.config.gesture_for(
            ticket.failure_type or "", strong=strong
        ).partition(":")
        customer_text = message.new_text or message.body_text or ""
        facts = extract_facts(f"{message.subject or ''}\n{customer_text}")
        rendered = self.templates.render(
            DraftFacts(
                failure_type=ticket.failure_type or "",
                language=draft.language,
                agent=agent.signature if agent else (self.mailbox.display_name or "Support"),
                company=self.mailbox.display_name or self.mailbox.address,
                gesture=Gesture(kind, value or None),
                customer_name=_name(message.from_name),
                severe=ticket.severity == Severity.SEVERE,
                repeat=ticket.repeat_failure,
                order=facts.order,
                amount=facts.amount,
                date=facts.date,
                subject=stripped[:120],
                ticket=ticket.id,
            ),
            Quote(
                message.body_text or "",
                _name(message.from_name) or message.from_address or "",
                _quote_date(message.date_header or message.received_at),
            ),
            default_language=self.config.drafts.default_language,
            html=self.config.drafts.html,
            cyrillic=cyrillic_share(customer_text) >= CYRILLIC_AT,
        )
        findings = lint(rendered.reply)
        draft.template = rendered.template
        draft.language = rendered.language
        draft.body_text = rendered.text
        draft.body_html = rendered.html
        draft.lint_findings = [f.as_dict() for f in findings]
        draft.note = _note(session, ticket, [*rendered.notes, *extra_notes])
        session.add(draft)
        session.add(
            EventLog.about(
                ticket,
                "draft_rendered",
                f"{rendered.template} for {to.address.addr_spec}, revision {revision}; "
                f"lint: {summary(findings)}",
                {"message_id": draft.message_id, "revision": revision},
            )
        )
        return draft

    # --- deliver ---------------------------------------------------------------------------

    def headers(self, session: Session, draft: Draft) -> DraftHeaders:
        message = session.get(Message, draft.inbound_message_id)
        ticket = session.get(Ticket, draft.ticket_id)
        assert message is not None and ticket is not None
        customer = session.get(Customer, ticket.customer_id)
        assert customer is not None
        to = recipient(self.config, customer, message)
        if to.address is None:
            raise DraftError(f"no draft: {to.skip_reason}")
        findings = [Finding(**f) for f in draft.lint_findings]
        references = tuple((message.references or "").split())
        return DraftHeaders(
            sender=Address(
                display_name=clean_header_text(self.mailbox.display_name, 100),
                addr_spec=self.mailbox.address,
            ),
            recipient=to.address,
            subject=draft.subject,
            message_id=draft.message_id,
            date=draft.created_at,
            ticket_id=draft.ticket_id,
            in_reply_to=message.message_id,
            references=references,
            owner=draft.owner,
            lint=summary(findings),
            note=draft.note,
            language=draft.language,
        )

    def drafts_root(self, client: IMAPClient) -> str:
        return role_folder(client, self.mailbox.folders.drafts, "\\Drafts", DEFAULT_DRAFTS_FOLDER)

    def folder_for(self, client: IMAPClient, root: str, owner: str | None) -> str:
        if not (self.config.drafts.per_owner_folders and owner):
            return root
        _, names = folder_names(client, root, [owner])
        folder = names[owner]
        ensure_folder(client, folder)
        return folder

    def deliver(self, client: IMAPClient, report: DraftReport, only: int | None = None) -> None:
        root = self.drafts_root(client)
        report.folder = root
        folders: dict[str | None, str] = {}
        while True:
            # Rows stay loaded across the batch's commits: each is read once.
            with Session(self.engine, expire_on_commit=False) as session:
                query = (
                    select(Draft)
                    .join(Ticket, col(Ticket.id) == col(Draft.ticket_id))
                    .where(Ticket.mailbox == self.mailbox.name, Draft.state == DraftState.RENDERED)
                    .order_by(col(Draft.id))
                    .limit(APPEND_BATCH)
                )
                if only is not None:
                    query = query.where(Draft.id == only)
                drafts = list(session.exec(query))
                if not drafts:
                    return
                # What the headers need, in three queries rather than three per draft.
                _load(session, Message, {d.inbound_message_id for d in drafts})
                tickets = _load(session, Ticket, {d.ticket_id for d in drafts})
                _load(session, Customer, {t.customer_id for t in tickets})
                by_folder: dict[str, list[tuple[Draft, Appendable]]] = {}
                for draft in drafts:
                    built = self._build(session, draft, report)
                    if built is None:
                        continue
                    if draft.owner not in folders:
                        folders[draft.owner] = self.folder_for(client, root, draft.owner)
                    by_folder.setdefault(folders[draft.owner], []).append((draft, built))
                session.commit()  # the drafts discarded on the way
                for folder, batch in by_folder.items():
                    self._append(session, client, folder, batch, report)
            if only is not None:
                return

    def _build(self, session: Session, draft: Draft, report: DraftReport) -> Appendable | None:
        """The draft as mail, or None when it cannot be sent any more (then discarded)."""
        try:
            headers = self.headers(session, draft)
        except DraftError as exc:
            # The customer's address bounced (or changed) since the draft was written.
            draft.state = DraftState.DISCARDED
            draft.note = exc.message
            session.add(draft)
            report.skipped[exc.message] = report.skipped.get(exc.message, 0) + 1
            return None
        raw = build_draft(headers, draft.body_text, draft.body_html)
        return Appendable(raw, draft.message_id, draft.created_at)

    def _append(
        self,
        session: Session,
        client: IMAPClient,
        folder: str,
        batch: Sequence[tuple[Draft, Appendable]],
        report: DraftReport,
    ) -> None:
        """Append a batch of drafts to ``folder`` and record them with one commit.

        A stop between the APPEND and the commit leaves drafts on the server that are not
        recorded: the next pass finds them by their Message-ID and records them, never
        appending them twice.
        """
        with session_errors(client, f"appending {len(batch)} draft(s) to {folder!r}"):
            results = append_drafts(client, folder, [appendable for _, appendable in batch])
        appended_at = utc_now()
        for (draft, _), result in zip(batch, results, strict=True):
            draft.state = DraftState.APPENDED
            draft.folder = folder
            draft.appended_uid = result.uid
            draft.uidvalidity = result.uidvalidity
            draft.appended_at = appended_at
            session.add(draft)
            ticket = session.get(Ticket, draft.ticket_id)
            assert ticket is not None  # the draft cascades away with its ticket
            if ticket.status == TicketStatus.ASSIGNED:
                ticket.status = TicketStatus.DRAFTED
                session.add(ticket)
            where = f"{folder} (UID {result.uid})" if result.uid else folder
            session.add(
                EventLog.about(
                    ticket,
                    "draft_appended",
                    f"draft already in {where}: recorded, not appended again"
                    if result.existed
                    else f"draft appended to {where}",
                    {"message_id": draft.message_id, "uid": result.uid, "folder": folder},
                )
            )
            if result.existed:
                report.already_there += 1
            else:
                report.appended += 1
        session.commit()

    # --- owner keywords --------------------------------------------------------------------

    def keyword(self, owner: str) -> str:
        return f"{self.config.assignment.owner_keyword_prefix}{owner}"

    def _move_keyword(
        self, client: IMAPClient, uids: list[int], old: str | None, new: str, tickets: int
    ) -> bool:
        """Move the owner keyword on ``uids`` (one STORE for many tickets); a server that
        refuses it (keyword limit) is logged, once."""
        try:
            with session_errors(client, "setting owner keywords"):
                if old:
                    client.remove_flags(uids, [self.keyword(old)])
                client.add_flags(uids, [self.keyword(new)])
        except MailboxUnavailable:
            raise
        except MailboxError as exc:
            log.warning("%s: %d ticket(s) of %s: %s", self.mailbox.name, tickets, new, exc.message)
            return False
        return True

    def sync_keywords(self, client: IMAPClient, report: DraftReport) -> None:
        """Put the owner's keyword on each customer message whose ticket changed owner: one
        query for the messages and one STORE per (previous owner, owner) pair."""
        if not self.config.assignment.owner_keywords:
            return
        folder = self.mailbox.folders.inbox
        with Session(self.engine) as session:
            tickets = list(
                session.exec(
                    select(Ticket).where(
                        Ticket.mailbox == self.mailbox.name,
                        col(Ticket.owner).is_not(None),
                        col(Ticket.owner_keyword).is_distinct_from(col(Ticket.owner)),
                    )
                )
            )
            if not tickets:
                return
            with session_errors(client, f"selecting {folder!r} to set owner keywords"):
                selected = client.select_folder(folder)
            permanent = [bytes(f) for f in selected.get(b"PERMANENTFLAGS", ())]
            allowed = b"\\*" in permanent
            uidvalidity = selected.get(b"UIDVALIDITY")
            if allowed:
                moves: dict[tuple[str | None, str], list[Ticket]] = defaultdict(list)
                for ticket in tickets:
                    moves[(ticket.owner_keyword, ticket.owner or "")].append(ticket)
                uids = self._message_uids(session, [t.id for t in tickets], folder, uidvalidity)
                for (old, new), group in moves.items():
                    wanted = sorted(uid for t in group for uid in uids.get(t.id or 0, ()))
                    if wanted and self._move_keyword(client, wanted, old, new, len(group)):
                        report.keywords += sum(1 for t in group if uids.get(t.id or 0))
            for ticket in tickets:
                ticket.owner_keyword = ticket.owner
                session.add(ticket)
            if not allowed:
                log.info(
                    "%s: the server does not allow keywords in %s: owners are shown in the "
                    "drafts' X-Amends-Owner header only",
                    self.mailbox.name,
                    folder,
                )
            session.commit()

    @staticmethod
    def _message_uids(
        session: Session, ticket_ids: Sequence[int | None], folder: str, uidvalidity: object
    ) -> dict[int, list[int]]:
        """The UIDs in ``folder`` of the tickets' messages, per ticket."""
        found: dict[int, list[int]] = defaultdict(list)
        ids = sorted(i for i in ticket_ids if i is not None)
        for first in range(0, len(ids), 500):
            rows = session.exec(
                select(Message.ticket_id, Message.uid).where(
                    col(Message.ticket_id).in_(ids[first : first + 500]),
                    Message.folder == folder,
                    Message.uidvalidity == uidvalidity,
                    col(Message.uid).is_not(None),
                )
            )
            for ticket_id, uid in rows:
                if ticket_id is not None and uid is not None:
                    found[ticket_id].append(uid)
        return found


Row = TypeVar("Row", Ticket, Message, Customer)


def _load(session: Session, model: type[Row], ids: Iterable[int | None]) -> list[Row]:
    """Rows by id into the session, so that ``session.get`` finds them without a query.

    The session's identity map holds rows weakly: ``session.info`` keeps them alive for as
    long as the session lives, or each ``get`` would query them again.
    """
    wanted = sorted(i for i in ids if i is not None)
    rows: list[Row] = []
    for first in range(0, len(wanted), 500):
        chosen = wanted[first : first + 500]
        rows += session.exec(select(model).where(col(model.id).in_(chosen))).all()
    session.info.setdefault("held_rows", []).extend(rows)
    return rows


def _name(value: str | None) -> str:
    name = " ".join((value or "").split())
    if "@" in name or len(name) > 60:
        return ""
    return name.strip("\"' ")


def _quote_date(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else ""


@contextmanager
def imap_session(config: Config, mailbox: MailboxSettings) -> Iterator[IMAPClient]:
    client = connect(imap_endpoint(config, mailbox))
    try:
        yield client
    finally:
        logout(client)


def write_drafts(engine: Engine, config: Config, mailbox: MailboxSettings) -> DraftReport:
    """Render the drafts of every assigned complaint and put them in the Drafts folder."""
    report = DraftReport(mailbox.name)
    drafter = Drafter(engine, config, mailbox)
    drafter.render_pending(report)
    with imap_session(config, mailbox) as client:
        drafter.deliver(client, report)
        drafter.sync_keywords(client, report)
    if report.rendered or report.appended or report.skipped:
        log.info("%s", report)
    return report


def latest_draft(session: Session, ticket_id: int) -> Draft | None:
    return session.exec(
        select(Draft)
        .where(Draft.ticket_id == ticket_id)
        .order_by(col(Draft.revision).desc(), col(Draft.id).desc())
        .limit(1)
    ).first()


def regenerate(engine: Engine, config: Config, ticket_id: int) -> tuple[Draft, DraftReport]:
    """A new revision of the ticket's draft (after a relabel or a reassignment), delivered."""
    with Session(engine) as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise DraftError(f"no ticket {ticket_id}", hint="`amends tickets list` shows them")
        if not ticket.failure_type or ticket.failure_type == NOT_A_COMPLAINT:
            raise DraftError(
                f"ticket {ticket_id} is {ticket.failure_type or 'not labelled yet'}: "
                "no recovery draft is written for it",
                hint=f"label it first: amends label {ticket_id} LABEL",
            )
        mailbox = next((m for m in config.mailboxes if m.name == ticket.mailbox), None)
        if mailbox is None:
            raise DraftError(
                f"ticket {ticket_id} belongs to mailbox {ticket.mailbox}, not configured"
            )
    drafter = Drafter(engine, config, mailbox)
    report = DraftReport(mailbox.name)
    with Session(engine, expire_on_commit=False) as session:
        ticket = session.get(Ticket, ticket_id, with_for_update=True)
        assert ticket is not None
        previous = latest_draft(session, ticket_id)
        message = (
            session.get(Message, previous.inbound_message_id)
            if previous is not None
            else first_messages(session, [ticket_id]).get(ticket_id)
        )
        revision = (
            session.exec(
                select(func.max(Draft.revision)).where(
                    Draft.inbound_message_id == (message.id if message else None)
                )
            ).first()
            or 0
        ) + 1
        notes: list[str] = []
        if previous is not None and previous.state in {DraftState.RENDERED, DraftState.APPENDED}:
            where = f" in {previous.folder}" if previous.folder else ""
            notes.append(f"replaces revision {previous.revision}{where}: delete that one")
            previous.state = DraftState.DISCARDED
            session.add(previous)
        draft = drafter.render(session, ticket, message, revision=revision, extra_notes=notes)
        if ticket.status == TicketStatus.DRAFTED:
            ticket.status = TicketStatus.ASSIGNED
            session.add(ticket)
        session.commit()
        session.refresh(draft)
    if draft.state is DraftState.RENDERED:
        with imap_session(config, mailbox) as client:
            drafter.deliver(client, report, only=draft.id)
        with Session(engine, expire_on_commit=False) as session:
            refreshed = session.get(Draft, draft.id)
            assert refreshed is not None
            draft = refreshed
    return draft, report


def check_templates(config: Config) -> tuple[int, list[str]]:
    """Render every language and failure type with the configured gestures and lint them,
    drafts and follow-ups alike.

    Returns the number of messages rendered and the problems found ("pl/delay.txt.j2 (severe):
    missing_satisfaction_question"); template errors raise TemplateError.
    """
    templates = Templates(config.drafts.templates_dir)
    labels = [label for label in config.classifier.labels if label != NOT_A_COMPLAINT]
    problems: list[str] = []
    rendered = 0
    for language in templates.languages():
        for label in labels:
            for strong in (False, True):
                kind, _, value = config.gesture_for(label, strong=strong).partition(":")
                facts = DraftFacts(
                    failure_type=label,
                    language=language,
                    agent="Agent",
                    company="Company",
                    gesture=Gesture(kind, value or None),
                    customer_name="Customer",
                    severe=strong,
                    order="4411",
                )
                result = templates.render(facts, default_language=config.drafts.default_language)
                followup = templates.render_followup(
                    FollowupFacts(
                        failure_type=label,
                        language=language,
                        agent="Agent",
                        company="Company",
                        customer_name="Customer",
                        severe=strong,
                        order="4411",
                    ),
                    default_language=config.drafts.default_language,
                )
                rendered += 2
                level = "severe" if strong else "normal"
                for outcome in (result, followup):
                    for finding in lint(outcome.reply):
                        problems.append(f"{outcome.template} ({level}): {finding.code}")
    return rendered, sorted(set(problems))
