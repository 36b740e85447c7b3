"""``amends lint|assign|drafts`` as agents and admins run them."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from amends.config import load_config
from amends.database import connected, upgrade
from amends.drafting import Drafter, DraftReport
from models.tickets import Assignment, Ticket, TicketStatus
from tests.e2e.conftest import Amends
from tests.integration.test_classifier_registry import add_ticket

GOOD = """Dear Jane,

I'm sorry, and I understand how frustrating this must be.

I have sent the right size today by express delivery.

Does this solution work for you?

Ana
"""

BAD = """Dear Jane,

Unfortunately it is company policy that returns must be unopened. You should have read the terms.

Is there anything else I can help you with?
"""

CONFIG = """
[database]
url = "sqlite:///amends.db"

[[mailboxes]]
name = "support"
address = "support@example.com"
display_name = "Example Shop"

[mailboxes.imap]
host = "127.0.0.1"
security = "none"
password_env = "UNUSED_IMAP_PASSWORD"

[[teams]]
name = "orders"
failure_types = ["wrong_item", "delay"]
lead = "ana"

[[agents]]
name = "ana"
email = "ana@example.com"
teams = ["orders"]
working_hours = ["mon-sun 00:00-24:00"]

[[agents]]
name = "marek"
email = "marek@example.com"
teams = ["orders"]
languages = ["en", "pl"]
working_hours = ["mon-sun 00:00-24:00"]

[assignment]
triage_owner = "ana"
"""


def test_lint_passes_a_good_reply_and_names_each_problem(amends: Amends, tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(GOOD)
    (tmp_path / "bad.txt").write_text(BAD)
    good = amends("lint", "good.txt")
    assert good.returncode == 0 and good.stdout.strip() == "good.txt: ok"
    bad = amends("lint", "good.txt", "bad.txt")
    assert bad.returncode == 1
    for code in [
        "anything_else",
        "policy",
        "excuse",
        "unfortunately_opener",
        "missing_apology",
        "missing_satisfaction_question",
        "missing_action",
    ]:
        assert "bad.txt: " in bad.stdout and code in bad.stdout, code
    assert "“company policy”" in bad.stdout


def test_lint_reads_a_saved_eml_without_the_quoted_customer(amends: Amends, tmp_path: Path) -> None:
    eml = (
        "From: Ana <ana@example.com>\nTo: jane@example.net\nSubject: Re: Late\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        + GOOD
        + "\nOn 3 Nov, Jane wrote:\n> Unfortunately you never answer. Company policy, you said.\n"
    )
    (tmp_path / "reply.eml").write_text(eml)
    result = amends("lint", "reply.eml")
    assert result.returncode == 0, result.stdout
    piped = amends("lint", "-", env={})  # stdin is empty: every required part is missing
    assert piped.returncode == 1 and "missing_apology" in piped.stdout


def test_lint_of_a_missing_file_is_a_clear_error(amends: Amends) -> None:
    result = amends("lint", "nowhere.txt")
    assert result.returncode == 1
    assert "cannot read nowhere.txt" in result.stderr and "Traceback" not in result.stderr


def test_assign_by_rules_then_by_hand_and_show_the_draft(amends: Amends, tmp_path: Path) -> None:
    path = tmp_path / "amends.toml"
    path.write_text(CONFIG)
    config = load_config(path)
    with connected(config) as engine:
        upgrade(engine)
        with Session(engine) as session:
            ticket = add_ticket(session, "jan@example.pl", "Late", "Gdzie jest zamówienie 4411?")
            ticket.failure_type, ticket.language = "delay", "pl"
            session.add(ticket)
            session.commit()
            ticket_id = ticket.id

    result = amends("assign")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "assigned 1 ticket(s) by rule, 0 to triage (0 escalated); 0 kept their manual owner"
    )
    manual = amends("assign", str(ticket_id), "ana", "--by", "lead", "--note", "VIP")
    assert manual.returncode == 0 and manual.stdout.strip() == f"ticket {ticket_id} → ana"
    unknown = amends("assign", str(ticket_id), "zoe")
    assert unknown.returncode == 1
    assert 'no agent "zoe": the agents are ana, marek' in unknown.stderr
    missing = amends("assign", "999", "ana")
    assert missing.returncode == 1 and "no ticket 999" in missing.stderr

    with connected(config) as engine, Session(engine) as session:
        assignments = session.exec(select(Assignment)).all()
        assert [(a.owner, a.rule) for a in assignments] == [
            ("marek", "least_loaded"),
            ("ana", "manual"),
        ]
        assert "speaks pl" in assignments[0].reason
    no_draft = amends("drafts", "show", str(ticket_id))
    assert no_draft.returncode == 1 and "has no draft" in no_draft.stderr
    with connected(config) as engine:
        Drafter(engine, config, config.mailboxes[0]).render_pending(DraftReport("support"))
        with Session(engine) as session:
            ticket = session.get(Ticket, ticket_id)
            assert ticket is not None and ticket.status == TicketStatus.ASSIGNED

    shown = amends("drafts", "show", str(ticket_id))
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert f"Subject: Re: Late [#{ticket_id}]" in out
    assert "Template: pl/delay.txt.j2" in out and "Owner: ana" in out
    assert "by hand (lead): reassigned by hand from marek: VIP" in out
    assert "Lint: ok" in out and "4411" in out
    listed = amends("drafts", "list")
    assert listed.returncode == 0
    assert listed.stdout.split("\t")[:7] == [
        str(ticket_id),
        "1",
        "support",
        "ana",
        "pl",
        "pl/delay.txt.j2",
        "rendered",
    ]
