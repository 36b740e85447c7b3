"""The pure rules of follow-ups: when one is due, backoff, which SMTP replies are retried, the
edit ratio, suppression, threading our own replies, and the headers of a follow-up."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from pathlib import Path
from typing import Any

import pytest

from amends.config.schema import Config
from amends.errors import AmendsError
from amends.followups import followup_due, suppressed
from inbox.threads import KnownMessage, make_message_id
from models.tickets import Ticket
from outbox.compose import DraftHeaders, build_draft, build_followup
from outbox.errors import SmtpRefused, transient_reply
from outbox.queue import QueuePolicy, retry_delay
from outbox.sent import edit_ratio
from tests.unit.test_threads import KEY, Store, parsed

# Wednesday 2026-11-25 16:30 UTC.
WED = datetime(2026, 11, 25, 16, 30, tzinfo=UTC)


def config(**changes: Any) -> Config:
    data: dict[str, Any] = {
        "teams": [{"name": "orders", "failure_types": ["delay"]}],
        "agents": [
            {
                "name": "ana",
                "email": "ana@example.com",
                "teams": ["orders"],
                "timezone": "Europe/Belgrade",
                "working_hours": ["mon-fri 08:00-16:00"],
            },
            {
                "name": "ji",
                "email": "ji@example.com",
                "teams": ["orders"],
                "timezone": "Asia/Seoul",
                "working_hours": ["mon-fri 09:00-18:00"],
            },
            {"name": "free", "email": "free@example.com", "teams": []},
        ],
        "followups": {"delay_days": 3, "delay_days_by_type": {"delay": 1}},
    }
    data.update(changes)
    return Config.model_validate(data)


def ticket(owner: str | None, failure_type: str = "wrong_item") -> Ticket:
    return Ticket(mailbox="support", customer_id=1, owner=owner, failure_type=failure_type)


# --- when a follow-up is due --------------------------------------------------------------------


def test_three_business_days_skip_the_weekend_and_land_in_working_hours() -> None:
    # Wednesday 17:30 in Belgrade + 3 business days = Monday 17:30, after Ana's shift:
    # the next start of her shift, Tuesday 08:00 Belgrade (07:00 UTC).
    due = followup_due(config(), ticket("ana"), WED)
    assert due == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def test_inside_working_hours_the_time_of_day_is_kept() -> None:
    morning = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 10:00 in Belgrade
    assert followup_due(config(), ticket("ana"), morning) == datetime(
        2026, 11, 30, 9, 0, tzinfo=UTC
    )


def test_the_delay_per_failure_type_applies() -> None:
    morning = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # a Friday
    due = followup_due(config(), ticket("ana", "delay"), morning)
    assert due == datetime(2026, 11, 30, 9, 0, tzinfo=UTC), "one business day: Monday"


def test_business_days_are_counted_in_the_owners_time_zone() -> None:
    # Friday 20:00 UTC is already Saturday 05:00 in Seoul: three business days from Saturday
    # are Wednesday; 05:00 is before Ji's shift, which starts at 09:00 (00:00 UTC).
    friday_night = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    due = followup_due(config(), ticket("ji"), friday_night)
    assert due == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)


def test_an_owner_without_hours_uses_the_teams_and_without_any_keeps_the_time() -> None:
    cfg = config()
    # "free" has no team: every agent with hours counts; Ana (Belgrade) starts first.
    assert followup_due(cfg, ticket("free"), WED) == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    nobody = config(agents=[{"name": "free", "email": "free@example.com"}])
    assert followup_due(nobody, ticket("free"), WED) == WED + timedelta(days=5)
    assert followup_due(nobody, ticket(None), WED) == WED + timedelta(days=5)


# --- suppression --------------------------------------------------------------------------------


def test_suppression_by_address_domain_and_file(tmp_path: Path) -> None:
    listed = tmp_path / "suppressed.txt"
    listed.write_text("# lawyers\nlegal@firm.example  # by request\n@bounces.example\n\n")
    cfg = config(followups={"suppress": ["Ceo@Example.com"], "suppression_file": str(listed)})
    assert suppressed(cfg, "ceo@example.com")
    assert suppressed(cfg, "LEGAL@firm.example")
    assert suppressed(cfg, "anyone@bounces.example")
    assert not suppressed(cfg, "jane@example.net")
    assert not suppressed(cfg, "ceo@example.com.evil")


def test_an_unreadable_suppression_file_is_a_clear_error(tmp_path: Path) -> None:
    cfg = config(followups={"suppression_file": str(tmp_path / "missing.txt")})
    with pytest.raises(AmendsError, match=r"cannot read followups\.suppression_file"):
        suppressed(cfg, "jane@example.net")


# --- retries ------------------------------------------------------------------------------------


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = QueuePolicy(retry_base_s=60, retry_max_s=3600)
    waits = [retry_delay(policy, n).total_seconds() for n in range(1, 9)]
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert retry_delay(policy, 10_000).total_seconds() == 3600


@pytest.mark.parametrize(
    ("code", "text", "transient"),
    [
        (421, "4.3.2 Service shutting down", True),
        (451, "4.3.0 Try again later", True),
        (None, "connection refused", True),
        (550, "5.1.1 No such user", False),
        (554, "5.7.1 Message rejected as spam", False),
        (552, "5.2.2 Mailbox full", True),
        (550, "5.7.1 Greylisted, please try again later", True),
        (554, "5.4.0 Routing loop detected, temporarily", True),
        (553, "5.3.1 Mail system full", True),
        (553, "5.1.3 Bad destination address syntax", False),
        (550, "Rate limit exceeded for this sender", True),
    ],
)
def test_which_replies_are_retried(code: int | None, text: str, transient: bool) -> None:
    assert transient_reply(code, text) is transient
    error = SmtpRefused(f"server refused the message: {code} {text}", code=code)
    assert error.permanent is not transient


# --- how much the agent changed the draft --------------------------------------------------------

DRAFT = """Dear Jane,

I'm sorry, and I understand how frustrating this must be.

I have arranged a replacement for order 4411.

Does this solution work for you?

Kind regards,
Ana

On Tuesday, Jane wrote:
> My blender is broken.
"""


def test_the_edit_ratio() -> None:
    assert edit_ratio(DRAFT, DRAFT) == 0.0
    quoted_differently = DRAFT.replace("> My blender is broken.", "> something else\n> more")
    assert edit_ratio(DRAFT, quoted_differently) == 0.0, "the quote is not the agent's text"
    rewrapped = DRAFT.replace("I have arranged a replacement", "I have arranged\na Replacement")
    assert edit_ratio(DRAFT, rewrapped) == 0.0, "line breaks and case are the client's"
    light = DRAFT.replace("Kind regards,", "Kind regards, and thank you for your patience,")
    assert 0 < edit_ratio(DRAFT, light) < 0.25
    assert edit_ratio(DRAFT, "Hi, we'll look into it. Thanks.") > 0.9
    assert edit_ratio("", "") == 0.0


# --- threading our own replies (found in Sent) ----------------------------------------------------

JANE = "jane@example.net"


def test_a_reply_in_sent_threads_by_its_headers_to_any_recipient() -> None:
    store = Store(customers={42: JANE})
    store.messages["c1@example.net"] = KnownMessage(1, 42, JANE)
    # The agent answered the customer's Reply-To address, not the From of the ticket.
    reply = replace(
        parsed(sender="support@example.com", in_reply_to=("c1@example.net",)),
        to=("jane.private@example.org",),
    )
    assert store.decide(reply, outbound=True).ticket_id == 42
    inbound = store.decide(reply)
    assert inbound.ticket_id is None, "customer mail from another address is not trusted"


def test_a_reply_keeping_our_drafts_id_threads_by_it() -> None:
    store = Store(customers={42: JANE})
    draft_id = make_message_id(42, key=KEY, domain="example.com", unique="m1-r1")
    reply = replace(parsed(sender="support@example.com", message_id=draft_id), to=(JANE,))
    decision = store.decide(reply, outbound=True)
    assert decision.ticket_id == 42 and "draft" in decision.reason


def test_a_subject_token_in_sent_needs_the_ticket_customer_among_the_recipients() -> None:
    store = Store(customers={42: JANE})
    to_jane = replace(parsed(sender="support@example.com", subject="Re: it [#42]"), to=(JANE,))
    to_bob = replace(to_jane, to=("bob@example.org",))
    assert store.decide(to_jane, outbound=True).ticket_id == 42
    assert store.decide(to_bob, outbound=True).ticket_id is None


# --- the follow-up's headers --------------------------------------------------------------------


def headers() -> DraftHeaders:
    return DraftHeaders(
        sender=Address("Ana Petrović, Example Shop", addr_spec="support@example.com"),
        recipient=Address("Jane", addr_spec=JANE),
        subject="Re: Broken blender [#42]",
        message_id="amends.followup.t42.followup.abc@example.com",
        date=WED,
        ticket_id=42,
        in_reply_to="reply-1@client.example.com",
        references=("c1@example.net",),
        owner="ana",
        lint="1 finding: excuse",
        note="ESCALATED",
        language="en",
    )


def test_a_follow_up_is_marked_automatic_and_carries_no_internal_notes() -> None:
    message = email.message_from_bytes(
        build_followup(headers(), "Hello", "<p>Hello</p>"), policy=email.policy.default
    )
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert [h for h in message if h.lower().startswith("x-amends")] == []
    assert message["In-Reply-To"] == "<reply-1@client.example.com>"
    assert message["References"] == "<c1@example.net> <reply-1@client.example.com>"
    draft = email.message_from_bytes(build_draft(headers(), "Hello"), policy=email.policy.default)
    assert draft["X-Amends-Note"] == "ESCALATED" and "Auto-Submitted" not in draft


# --- SMTP login settings ------------------------------------------------------------------------


def test_smtp_oauth_takes_its_token_from_the_file(tmp_path: Path) -> None:
    from amends.endpoints import smtp_endpoint

    token = tmp_path / "token"
    token.write_text("ya29.from-the-file\n")
    smtp = {"host": "127.0.0.1", "security": "none", "username": "support@example.com"}
    endpoint = smtp_endpoint(config(smtp=smtp | {"auth": "xoauth2", "token_file": str(token)}))
    assert endpoint is not None
    assert (endpoint.auth, endpoint.password) == ("xoauth2", "ya29.from-the-file")
    with pytest.raises(ValueError, match="needs the username"):
        config(smtp={"host": "127.0.0.1", "auth": "xoauth2", "token_file": str(token)})


def test_doctor_reports_an_smtp_token_that_cannot_be_fetched(tmp_path: Path) -> None:
    from amends.doctor import Outcome, _smtp

    smtp = {"host": "127.0.0.1", "security": "none", "username": "support@example.com"}
    failing = config(smtp=smtp | {"auth": "xoauth2", "token_command": "false"})
    [finding] = list(_smtp(failing))
    assert (finding.check, finding.outcome) == ("token", Outcome.FAIL)
    assert "token_command exited with 1" in finding.detail
