"""Owners and recovery drafts on the Dovecot fixture, from customer mail to a threaded draft."""

from __future__ import annotations

import email
import email.policy
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, make_url
from sqlmodel import Session, col, select

from amends.assignment import assign_by_hand, assign_pending
from amends.classify import classify_pending
from amends.config import Config, load_config
from amends.drafting import Drafter, DraftReport, regenerate, write_drafts
from amends.labels import label_ticket
from amends.mailboxes import build_watcher
from classifier import registry
from classifier.model import FailureTypeClassifier
from models.mail import Message, MessageKind
from models.outbox import Draft, DraftState
from models.tickets import Assignment, Customer, Severity, Ticket, TicketStatus
from outbox.compose import build_draft
from outbox.drafts_folder import append_draft
from tests.fixtures.classifier import PASSWORD_ENV
from tests.fixtures.imap import ImapAccount

TEAMS = """
[[teams]]
name = "orders"
failure_types = ["wrong_item", "delay", "lost_item", "damaged_or_defective", "cancellation"]
lead = "ana"

[[teams]]
name = "billing"
failure_types = ["billing_error", "account_or_data"]
strategy = "round_robin"
lead = "marek"

[[agents]]
name = "ana"
display_name = "Ana Petrović"
email = "ana@example.com"
teams = ["orders", "billing"]
languages = ["en", "sr"]
working_hours = ["mon-sun 00:00-24:00"]

[[agents]]
name = "marek"
display_name = "Marek Nowak"
email = "marek@example.com"
teams = ["billing", "orders"]
languages = ["en", "pl"]
working_hours = ["mon-sun 00:00-24:00"]

[assignment]
triage_owner = "ana"
default_team = "orders"
"""


ConfigMaker = Callable[[str], Config]


@pytest.fixture
def make_config(
    tmp_path: Path, db_url: str, imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> ConfigMaker:
    """A configuration for the test's database and IMAP account, with teams and agents, and
    ``extra`` TOML at the end."""

    def make(extra: str = "") -> Config:
        return _config(tmp_path, db_url, imap_account, monkeypatch, extra)

    return make


@pytest.fixture
def config(make_config: ConfigMaker) -> Config:
    return make_config("")


def _config(
    tmp_path: Path,
    db_url: str,
    account: ImapAccount,
    monkeypatch: pytest.MonkeyPatch,
    extra: str,
) -> Config:
    url = make_url(db_url)
    database = f'url = "{url._replace(password=None).render_as_string(hide_password=False)}"'
    if url.password:
        monkeypatch.setenv(PASSWORD_ENV, str(url.password))
        database += f'\npassword_env = "{PASSWORD_ENV}"'
    monkeypatch.setenv("TEST_IMAP_PASSWORD", account.password)
    text = account.config_toml(mailbox='display_name = "Example Shop"')
    path = tmp_path / "amends.toml"
    path.write_text(
        f'[database]\n{database}\n\n{text}\n[classifier]\nmodel_dir = "models"\n{TEAMS}\n{extra}'
    )
    return load_config(path)


def mail(
    sender: str,
    subject: str,
    body: str,
    message_id: str,
    *,
    name: str = "",
    headers: dict[str, str] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>" if name else sender
    msg["To"] = "support@example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{message_id}>"
    msg["Date"] = "Tue, 03 Nov 2026 10:00:00 +0000"
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    return bytes(msg)


COMPLAINTS = [
    mail(
        "jane@example.net",
        "Wrong item in order 4411",
        "Hello, I ordered a blue kettle with order 4411 and received a red toaster instead. "
        "This is the wrong item, please send me the kettle I paid for.",
        "c1@example.net",
        name="Jane Doe",
        headers={"Reply-To": "Jane Private <jane.private@example.org>"},
    ),
    mail(
        "jan@example.pl",
        "Zamówienie 77812 nadal nie dotarło",
        "Dzień dobry, zamówienie nr 77812 miało przyjść tydzień temu, a wciąż na nie czekam. "
        "Kurier nie odpowiada. Kiedy paczka dotrze?",
        "c2@example.pl",
        name="Jan Kowalski",
    ),
    mail(
        "milan@example.rs",
        "Двострука наплата",
        "Поштовани, са моје картице је два пута скинуто 4.990 RSD за исту поруџбину 5531. "
        "Молим вас да вратите дупло наплаћен износ.",
        "c3@example.rs",
        name="Милан Петровић",
    ),
]
MACHINES = [
    mail(
        "mailer-daemon@example.net",
        "Undelivered Mail Returned to Sender",
        "This is the mail system at host example.net. I'm sorry to have to inform you that "
        "your message could not be delivered.",
        "b1@example.net",
        headers={"Auto-Submitted": "auto-replied"},
    ),
    mail(
        "away@example.net",
        "Out of office",
        "I am out of the office until Monday.",
        "a1@example.net",
        headers={"Auto-Submitted": "auto-replied"},
    ),
]


@pytest.fixture
def model(engine: Engine, bootstrap_model: FailureTypeClassifier, tmp_path: Path) -> None:
    version = registry.register(
        engine, bootstrap_model, tmp_path / "models", metrics={}, training_size=1
    )
    registry.activate(engine, version.version, reason="test")


def pipeline(engine: Engine, config: Config) -> DraftReport:
    mailbox = config.mailboxes[0]
    build_watcher(config, mailbox, engine).run_once()
    classify_pending(engine, config)
    with Session(engine) as session:
        # The test is about drafts, not the model: make the failure types certain.
        for ticket in session.exec(select(Ticket)):
            if ticket.status == TicketStatus.UNSURE:
                ticket.status = TicketStatus.NEW
            ticket.failure_type = {
                "Wrong item in order 4411": "wrong_item",
                "Zamówienie 77812 nadal nie dotarło": "delay",
                "Двострука наплата": "billing_error",
            }.get(ticket.subject or "", ticket.failure_type)
            session.add(ticket)
        session.commit()
    assign_pending(engine, config)
    return write_drafts(engine, config, mailbox)


def labelled(
    engine: Engine, config: Config, account: ImapAccount, raws: list[bytes], failure_type: str
) -> None:
    """Deliver ``raws``, sync them, give every ticket ``failure_type`` (as the classifier
    would) and assign them: the state the draft stage starts from."""
    account.append_many("INBOX", raws)
    build_watcher(config, config.mailboxes[0], engine).run_once()
    with Session(engine) as session:
        for ticket in session.exec(select(Ticket)):
            ticket.failure_type = failure_type
            session.add(ticket)
        session.commit()
    assign_pending(engine, config)


def drafts_in(account: ImapAccount, folder: str = "Drafts") -> list[EmailMessage]:
    parsed = []
    for raw in account.fetch_all(folder):
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        parsed.append(message)
    return parsed


def flags_of(account: ImapAccount, folder: str) -> dict[str, set[str]]:
    """Message-ID → flags of every message in ``folder``."""
    with account.client() as client:
        client.select_folder(folder, readonly=True)
        uids = client.search("ALL")
        data = client.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    found = {}
    for item in data.values():
        header = item[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().partition(":")[2].strip()
        found[header] = {f.decode() if isinstance(f, bytes) else str(f) for f in item[b"FLAGS"]}
    return found


@pytest.mark.usefixtures("model")
def test_complaints_become_threaded_drafts_once(
    config: Config, engine: Engine, imap_account: ImapAccount
) -> None:
    for raw in COMPLAINTS + MACHINES:
        imap_account.append("INBOX", raw)

    report = pipeline(engine, config)
    assert (report.rendered, report.appended, report.skipped) == (3, 3, {})
    assert report.folder == "Drafts"

    drafts = {d["In-Reply-To"]: d for d in drafts_in(imap_account)}
    assert set(drafts) == {"<c1@example.net>", "<c2@example.pl>", "<c3@example.rs>"}
    with Session(engine) as session:
        tickets = {t.subject: t for t in session.exec(select(Ticket))}
        assert len(tickets) == 3, "the bounce and the auto-reply open no ticket"
        assert all(t.status == TicketStatus.DRAFTED for t in tickets.values())
        rows = {d.ticket_id: d for d in session.exec(select(Draft))}

    english = drafts["<c1@example.net>"]
    ticket = tickets["Wrong item in order 4411"]
    assert english["From"] == "Example Shop <support@example.com>"
    assert english["To"] == "Jane Private <jane.private@example.org>", "Reply-To is respected"
    assert english["Subject"] == f"Re: Wrong item in order 4411 [#{ticket.id}]"
    assert english["References"] == "<c1@example.net>"
    assert english["X-Amends-Owner"] == ticket.owner
    assert english["X-Amends-Ticket"] == str(ticket.id)
    assert english["X-Amends-Lint"] == "ok"
    assert english["Auto-Submitted"] is None
    assert english["Message-ID"] == f"<{rows[ticket.id].message_id}>"
    assert english.get_content_type() == "multipart/alternative"
    text = english.get_body(("plain",)).get_content()
    html = english.get_body(("html",)).get_content()
    assert "order 4411" in text and "I'm sorry" in text
    assert "> Hello, I ordered a blue kettle" in text
    assert "Does this solution work for you?" in text
    assert "anything else" not in text.lower()
    assert "<blockquote" in html and "blue kettle" in html

    polish = drafts["<c2@example.pl>"]
    polish_text = polish.get_body(("plain",)).get_content()
    assert rows[tickets["Zamówienie 77812 nadal nie dotarło"].id].template == "pl/delay.txt.j2"
    assert "77812" in polish_text
    assert polish["X-Amends-Owner"] == "marek", "the Polish speaker of the team"
    assert "Marek Nowak" in polish_text

    serbian = drafts["<c3@example.rs>"]
    serbian_text = serbian.get_body(("plain",)).get_content()
    reply = serbian_text.split("\n> ")[0]
    assert rows[tickets["Двострука наплата"].id].template == "sr/billing_error.txt.j2"
    letters = [c for c in reply if c.isalpha() and c.isascii()]
    assert len(letters) < 40, "a customer writing in Cyrillic gets a Cyrillic reply"
    assert "4.990 RSD" in reply and "5531" in reply

    # Every draft carries \Draft; the customers' messages carry their owner's keyword.
    assert all("\\Draft" in flags for flags in flags_of(imap_account, "Drafts").values())
    inbox = flags_of(imap_account, "INBOX")
    assert f"amends-owner-{ticket.owner}" in inbox["<c1@example.net>"]
    assert "amends-owner-marek" in inbox["<c2@example.pl>"]
    assert not any(f.startswith("amends-owner") for f in inbox["<b1@example.net>"])
    assert all("\\Seen" not in flags for flags in inbox.values()), "mail is never marked read"

    again = pipeline(engine, config)
    assert (again.rendered, again.appended, again.already_there) == (0, 0, 0)
    assert len(imap_account.fetch_all("Drafts")) == 3


@pytest.mark.usefixtures("model")
def test_draft_threads_under_the_customer_message(
    config: Config, engine: Engine, imap_account: ImapAccount
) -> None:
    """Dovecot's THREAD=REFERENCES (RFC 5256) puts the draft under the customer's message."""
    imap_account.append("INBOX", COMPLAINTS[0])
    pipeline(engine, config)
    imap_account.create_folder("Conversation")
    imap_account.append("Conversation", COMPLAINTS[0])
    for raw in imap_account.fetch_all("Drafts"):
        imap_account.append("Conversation", raw)
    with imap_account.client() as client:
        client.select_folder("Conversation", readonly=True)
        threads = client.thread(algorithm="REFERENCES")
    assert [tuple(t) for t in threads] == [(1, 2)]


@pytest.mark.usefixtures("model")
def test_a_draft_appended_before_a_crash_is_not_appended_again(
    config: Config, engine: Engine, imap_account: ImapAccount
) -> None:
    labelled(engine, config, imap_account, [COMPLAINTS[0]], "wrong_item")
    mailbox = config.mailboxes[0]
    drafter = Drafter(engine, config, mailbox)
    drafter.render_pending(DraftReport(mailbox.name))
    # The worker appended the draft and died before recording it.
    with Session(engine) as session:
        draft = session.exec(select(Draft)).one()
        raw = build_draft(drafter.headers(session, draft), draft.body_text, draft.body_html)
    with imap_account.client() as client:
        append_draft(client, "Drafts", raw, draft.message_id, draft.created_at)

    report = write_drafts(engine, config, mailbox)
    assert (report.appended, report.already_there) == (0, 1)
    assert len(imap_account.fetch_all("Drafts")) == 1
    with Session(engine) as session:
        recorded = session.exec(select(Draft)).one()
        assert recorded.state == DraftState.APPENDED and recorded.appended_uid == 1


@pytest.mark.usefixtures("model")
def test_reassign_relabel_and_regenerate(
    config: Config, engine: Engine, imap_account: ImapAccount
) -> None:
    imap_account.append("INBOX", COMPLAINTS[0])
    pipeline(engine, config)
    with Session(engine) as session:
        ticket = session.exec(select(Ticket)).one()
        first_owner = ticket.owner
    other = "marek" if first_owner == "ana" else "ana"

    assign_by_hand(engine, config, ticket.id or 0, other, by="lead", note="knows this customer")
    label_ticket(engine, config, ticket.id or 0, "damaged_or_defective", given_by="lead")
    assign_pending(engine, config)  # the relabel must not undo the manual choice
    draft, report = regenerate(engine, config, ticket.id or 0)
    assert report.appended == 1
    assert (draft.revision, draft.owner, draft.template) == (
        2,
        other,
        "en/damaged_or_defective.txt.j2",
    )
    assert draft.note and "replaces revision 1 in Drafts" in draft.note

    drafts = drafts_in(imap_account)
    assert len(drafts) == 2, "the first draft stays: Amends never deletes mail"
    assert drafts[1]["X-Amends-Owner"] == other
    write_drafts(engine, config, config.mailboxes[0])  # moves the owner keyword
    inbox = flags_of(imap_account, "INBOX")["<c1@example.net>"]
    assert f"amends-owner-{other}" in inbox and f"amends-owner-{first_owner}" not in inbox

    with Session(engine) as session:
        assignments = session.exec(select(Assignment).order_by(col(Assignment.id))).all()
        assert [(a.owner, a.rule, a.manual) for a in assignments][-1] == (other, "manual", True)
        assert assignments[-1].assigned_by == "lead"
        assert "knows this customer" in assignments[-1].reason
        states = [d.state for d in session.exec(select(Draft).order_by(col(Draft.revision)))]
        assert states == [DraftState.DISCARDED, DraftState.APPENDED]


@pytest.mark.usefixtures("model")
def test_escalated_drafts_say_so_internally_and_go_to_owner_folders(
    make_config: ConfigMaker, engine: Engine, imap_account: ImapAccount
) -> None:
    config = make_config("[drafts]\nper_owner_folders = true\n")
    angry = mail(
        "jane@example.net",
        "THIRD time wrong item - order 4411",
        "This is the THIRD time you sent the wrong item!!! I will dispute the charge with my "
        "bank and my lawyer will contact you.",
        "c9@example.net",
    )
    imap_account.append("INBOX", angry)
    mailbox = config.mailboxes[0]
    build_watcher(config, mailbox, engine).run_once()
    classify_pending(engine, config)
    with Session(engine) as session:
        ticket = session.exec(select(Ticket)).one()
        assert ticket.severity == Severity.SEVERE
        ticket.failure_type, ticket.status = "wrong_item", TicketStatus.NEW
        session.add(ticket)
        session.commit()
    assign_pending(engine, config)
    report = write_drafts(engine, config, mailbox)
    assert report.appended == 1
    with imap_account.client() as client:
        folders = {str(name) for _, _, name in client.list_folders()}
        separator = client.list_folders("", "")[0][1].decode()
    folder = f"Drafts{separator}ana"
    assert folder in folders
    (draft,) = drafts_in(imap_account, folder)
    assert draft["X-Amends-Note"].startswith("ESCALATED: severe: escalated to ana, lead of team")
    text = draft.get_body(("plain",)).get_content()
    assert "I am very sorry" in text
    assert "credit of 20 EUR" in text, "a severe case gets the bigger gesture"
    assert "X-Amends" not in text


def test_no_draft_for_bounced_or_no_reply_addresses(
    config: Config, engine: Engine, imap_account: ImapAccount
) -> None:
    raws = [
        mail("noreply@shop.example", "Your order is late", "Still late.", "n1@x.example"),
        mail("gone@example.net", "Parcel lost", "My parcel is lost.", "n2@x.example"),
    ]
    labelled(engine, config, imap_account, raws, "lost_item")
    mailbox = config.mailboxes[0]
    with Session(engine) as session:
        gone = session.exec(select(Customer).where(Customer.address == "gone@example.net")).one()
        gone.bounced = True
        session.add(gone)
        session.commit()
    report = write_drafts(engine, config, mailbox)
    assert report.rendered == 0 and report.appended == 0
    assert report.skipped == {
        "noreply@shop.example is a no-reply address": 1,
        "the address bounced": 1,
    }
    assert imap_account.fetch_all("Drafts") == []
    with Session(engine) as session:
        assert {d.state for d in session.exec(select(Draft))} == {DraftState.DISCARDED}
        kinds = {m.kind for m in session.exec(select(Message))}
        assert kinds == {MessageKind.CUSTOMER}


def test_a_batch_reads_its_customers_messages_and_tickets_once(
    config: Config, engine: Engine, imap_account: ImapAccount
) -> None:
    """The rows a batch of drafts needs are read with one query per table, not one per
    draft: the session holds rows only weakly, and rows read and dropped were read again."""
    raws = [
        mail(f"c{n}@example.net", f"Parcel {n} lost", f"My parcel {n} is lost.", f"l{n}@x.ex")
        for n in range(12)
    ]
    labelled(engine, config, imap_account, raws, "lost_item")
    by_id: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        flat = " ".join(statement.split())
        if flat.startswith("SELECT") and re.search(r"WHERE (customer|message|ticket)\.id = ", flat):
            by_id.append(flat)

    event.listen(engine, "before_cursor_execute", note)
    try:
        report = write_drafts(engine, config, config.mailboxes[0])
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert report.appended == 12
    assert by_id == []


def test_not_a_complaint_is_assigned_but_gets_no_draft(
    config: Config, engine: Engine, imap_account: ImapAccount
) -> None:
    raws = [mail("q@example.net", "Opening hours", "When are you open?", "q1@x.example")]
    labelled(engine, config, imap_account, raws, "not_a_complaint")
    with Session(engine) as session:
        assert session.exec(select(Ticket)).one().owner, "questions have an owner too"

    report = write_drafts(engine, config, config.mailboxes[0])
    assert (report.rendered, report.skipped) == (0, {})
    with Session(engine) as session:
        ticket = session.exec(select(Ticket)).one()
        assert ticket.status == TicketStatus.ASSIGNED and ticket.owner
        assert session.exec(select(Draft)).all() == []


def test_killed_while_appending_then_restarted_makes_each_draft_once(
    config: Config, engine: Engine, imap_account: ImapAccount
) -> None:
    """`amends drafts write` killed with SIGKILL mid-way, then run again: one draft each."""
    count = 60
    raws = [
        mail(f"c{i}@example.net", f"Parcel {i}", f"Parcel {9000 + i} is lost.", f"k{i}@x.example")
        for i in range(count)
    ]
    labelled(engine, config, imap_account, raws, "lost_item")
    command = [sys.executable, "-m", "amends", "--config", str(config.source), "drafts", "write"]
    kills = 0
    for threshold in (5, 25):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            with imap_account.client() as client:
                appended = client.folder_status("Drafts", ["MESSAGES"])[b"MESSAGES"]
            if appended >= threshold:
                process.send_signal(signal.SIGKILL)
                kills += 1
                break
            time.sleep(0.02)
        process.wait(timeout=30)
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert finished.returncode == 0, finished.stderr
    assert kills >= 1, "the worker finished before it could be killed: raise the count"

    ids = [email.message_from_bytes(raw)["In-Reply-To"] for raw in imap_account.fetch_all("Drafts")]
    assert len(ids) == count and len(set(ids)) == count
    with Session(engine) as session:
        drafts = session.exec(select(Draft)).all()
        assert len(drafts) == count
        assert {d.state for d in drafts} == {DraftState.APPENDED}


def test_a_bounce_between_writing_and_appending_stops_the_draft(
    config: Config, engine: Engine, imap_account: ImapAccount
) -> None:
    labelled(engine, config, imap_account, [COMPLAINTS[1]], "delay")
    mailbox = config.mailboxes[0]
    Drafter(engine, config, mailbox).render_pending(DraftReport(mailbox.name))
    with Session(engine) as session:
        customer = session.exec(select(Customer)).one()
        customer.bounced = True
        session.add(customer)
        session.commit()
    report = write_drafts(engine, config, mailbox)
    assert (report.appended, report.skipped) == (0, {"no draft: the address bounced": 1})
    assert imap_account.fetch_all("Drafts") == []
    with Session(engine) as session:
        draft = session.exec(select(Draft)).one()
        assert (draft.state, draft.note) == (DraftState.DISCARDED, "no draft: the address bounced")


def test_real_world_mail_gets_drafts_only_for_people(
    config: Config, engine: Engine, imap_account: ImapAccount, corpus_messages: list[Path]
) -> None:
    """Every message of the shared corpora (bounces, auto-replies, lists, broken MIME, odd
    charsets and names): drafts are built for customers only, and every one is well-formed."""
    raws = [raw for path in corpus_messages if (raw := path.read_bytes())]
    labelled(engine, config, imap_account, raws, "delay")
    with Session(engine) as session:
        for ticket in session.exec(select(Ticket).where(Ticket.status == TicketStatus.UNSURE)):
            ticket.status = TicketStatus.NEW
            session.add(ticket)
        session.commit()
    assign_pending(engine, config)
    report = write_drafts(engine, config, config.mailboxes[0])
    with Session(engine) as session:
        tickets = session.exec(select(Ticket)).all()
        drafts = session.exec(select(Draft)).all()
        kinds = {
            d.id: session.get(Message, d.inbound_message_id).kind  # type: ignore[union-attr]
            for d in drafts
        }
    assert report.rendered > 20 and report.appended == report.rendered
    assert len(drafts) == len([t for t in tickets if t.status == TicketStatus.DRAFTED]) + sum(
        report.skipped.values()
    )
    assert set(kinds.values()) == {MessageKind.CUSTOMER}
    appended = drafts_in(imap_account)
    assert len(appended) == report.appended
    for draft in appended:
        recipient = draft["To"].addresses[0].addr_spec.lower()
        assert not recipient.startswith(("mailer-daemon", "postmaster", "noreply", "no-reply"))
        assert draft["X-Amends-Ticket"] and draft["X-Amends-Owner"] in {"ana", "marek"}
        assert draft.get_body(("plain",)) is not None
