"""Threading: our signed Message-IDs, subject tokens and prefixes, and which ticket a reply joins."""

from __future__ import annotations

import email
import email.policy
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inbox.message import ParsedMessage
from inbox.threads import (
    MAX_CANDIDATE_IDS,
    KnownMessage,
    OurMessageId,
    decide_thread,
    find_subject_tokens,
    looks_like_ours,
    make_message_id,
    parse_our_message_id,
    strip_reply_prefixes,
    subject_token,
)

KEY = b"k" * 32
OLD_KEY = b"o" * 32
DOMAIN = "support.example.com"
ANA = "ana@example.com"
BOB = "bob@example.org"

# RFC 5322 3.2.3 atext, and msg-id = "<" id-left "@" id-right ">" with both sides dot-atom-text.
ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
DOT_ATOM = rf"{ATEXT}+(?:\.{ATEXT}+)*"
MSG_ID = re.compile(rf"{DOT_ATOM}@{DOT_ATOM}")


def parsed(
    *,
    sender: str | None = ANA,
    subject: str = "Re: My blender arrived broken",
    in_reply_to: tuple[str, ...] = (),
    references: tuple[str, ...] = (),
    message_id: str | None = "CAF=reply.1@mail.example.com",
) -> ParsedMessage:
    return ParsedMessage(
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        from_address=sender,
        from_name="Ana" if sender == ANA else None,
        reply_to=(),
        to=("support@support.example.com",),
        cc=(),
        subject=subject,
        date=datetime(2025, 3, 1, 9, 30, tzinfo=UTC),
        headers=f"From: {sender}\r\nSubject: {subject}\r\n",
        body_text="It still does not work.\n\n> quoted",
        new_text="It still does not work.",
        attachments=(),
        language="en",
        size=512,
        content_hash="0" * 64,
    )


@dataclass
class Store:
    """The two lookups decide_thread needs, over plain dicts, counting how often they are asked."""

    messages: dict[str, KnownMessage] = field(default_factory=dict)
    customers: dict[int, str] = field(default_factory=lambda: {42: ANA, 7: BOB, 9: ANA})
    batches: list[list[str]] = field(default_factory=list)
    ticket_lookups: list[int] = field(default_factory=list)

    def find_messages(self, ids: Sequence[str]) -> Mapping[str, KnownMessage]:
        self.batches.append(list(ids))
        return {i: self.messages[i] for i in ids if i in self.messages}

    def ticket_customer(self, ticket_id: int) -> str | None:
        self.ticket_lookups.append(ticket_id)
        return self.customers.get(ticket_id)

    def decide(self, message: ParsedMessage, key: bytes = KEY, *, outbound: bool = False) -> Any:
        return decide_thread(
            message,
            key=key,
            find_messages=self.find_messages,
            ticket_customer=self.ticket_customer,
            outbound=outbound,
        )


def ours(ticket_id: int, *, key: bytes = KEY, purpose: str = "draft") -> str:
    return make_message_id(ticket_id, key=key, domain=DOMAIN, purpose=purpose)


# --- our Message-ID format -------------------------------------------------------------------


@pytest.mark.parametrize("purpose", ["draft", "followup", "alert"])
def test_message_id_round_trip(purpose: str) -> None:
    mid = make_message_id(42, key=KEY, domain=DOMAIN, purpose=purpose, unique="d17")
    assert mid.startswith(f"amends.{purpose}.t42.d17.") and mid.endswith("@" + DOMAIN)
    assert parse_our_message_id(mid, key=KEY) == OurMessageId(42, purpose, "d17")
    # The same inputs give the same id, so a draft can be found again after a crash.
    assert make_message_id(42, key=KEY, domain=DOMAIN, purpose=purpose, unique="d17") == mid


def test_parse_tolerates_brackets_whitespace_and_case() -> None:
    mid = ours(42)
    local, domain = mid.split("@")
    for variant in (f"<{mid}>", f"  <{mid}>\r\n", f" {mid} ", f"{local}@{domain.upper()}"):
        assert parse_our_message_id(variant, key=KEY) is not None, variant
    # Everything we generate is lower-case, so a client that changes case loses nothing.
    assert parse_our_message_id(mid.upper(), key=KEY) is not None


def _replace_at(text: str, index: int) -> str:
    char = text[index]
    # Another character of the same class, so the id keeps our format and only the HMAC fails.
    new = {"3": "4", "a": "b"}.get(char, "3" if char.isdigit() else "a")
    return text[:index] + new + text[index + 1 :]


@pytest.mark.parametrize("part", ["purpose", "ticket", "unique", "mac"])
def test_one_changed_character_is_detected(part: str) -> None:
    mid = make_message_id(42, key=KEY, domain=DOMAIN, unique="u9x")
    _, purpose, ticket, unique, mac = mid.split("@")[0].split(".")
    start = {
        "purpose": mid.index(purpose),
        "ticket": mid.index(ticket) + 1,
        "unique": mid.index(unique),
        "mac": mid.index(mac),
    }[part]
    length = {"purpose": len(purpose), "ticket": 2, "unique": len(unique), "mac": len(mac)}[part]
    for index in range(start, start + length):
        tampered = _replace_at(mid, index)
        assert tampered != mid
        assert parse_our_message_id(tampered, key=KEY) is None, tampered
        assert looks_like_ours(tampered)


def test_domain_is_not_signed_so_a_renamed_domain_still_verifies() -> None:
    mid = ours(42).replace(DOMAIN, "help.example.net")
    assert parse_our_message_id(mid, key=KEY) == OurMessageId(42, "draft", mid.split(".")[3])


def test_another_key_does_not_verify() -> None:
    mid = ours(42, key=OLD_KEY)
    assert looks_like_ours(mid)
    assert parse_our_message_id(mid, key=OLD_KEY) is not None
    assert parse_our_message_id(mid, key=KEY) is None


def test_lookalike_non_ascii_letters_are_not_ours() -> None:
    # KELVIN SIGN lower-cases to an ASCII "k"; it must not sneak a look-alike id through.
    mid = make_message_id(42, key=KEY, domain=DOMAIN, unique="kk")
    lookalike = mid.replace(".kk.", ".\u212a\u212a.")
    assert lookalike.lower() == mid
    assert not looks_like_ours(lookalike)
    assert parse_our_message_id(lookalike, key=KEY) is None


def test_generated_ids_are_rfc5322_msg_ids() -> None:
    for ticket_id in (1, 42, 10**18 - 1):
        for purpose in ("draft", "followup", "alert"):
            mid = make_message_id(ticket_id, key=KEY, domain="Support.Example.COM", purpose=purpose)
            assert MSG_ID.fullmatch(mid), mid
            assert mid.isascii() and len(mid) <= 255
            header = email.message_from_string(
                f"Message-ID: <{mid}>\n\n", policy=email.policy.default
            )["Message-ID"]
            assert header.defects == ()
            assert looks_like_ours(mid)


def test_ten_thousand_ids_are_distinct() -> None:
    ids = {ours(42) for _ in range(10_000)}
    assert len(ids) == 10_000


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"ticket_id": 0}, "out of range"),
        ({"ticket_id": -3}, "out of range"),
        ({"ticket_id": 10**18}, "out of range"),
        ({"ticket_id": True}, "must be an int"),
        ({"key": b""}, "key is empty"),
        ({"purpose": "Draft"}, "purpose"),
        ({"purpose": "draft1"}, "purpose"),
        ({"purpose": "dra ft"}, "purpose"),
        ({"purpose": ""}, "purpose"),
        ({"unique": "A1"}, "unique"),
        ({"unique": "a.b"}, "unique"),
        ({"unique": ""}, "unique"),
        ({"domain": "support example.com"}, "domain"),
        ({"domain": "support.example.com\r\nBcc: x@y"}, "domain"),
        ({"domain": "support.example.com\n"}, "domain"),
        ({"domain": "<support.example.com>"}, "domain"),
        ({"domain": ""}, "domain"),
        ({"domain": "a..b"}, "domain"),
        ({"domain": "podrška.example.rs"}, "punycode"),
        ({"domain": ".".join(["a" * 60] * 4)}, "shorter domain"),
    ],
)
def test_make_message_id_rejects_bad_input(kwargs: dict[str, Any], fragment: str) -> None:
    arguments: dict[str, Any] = {"ticket_id": 42, "key": KEY, "domain": DOMAIN} | kwargs
    with pytest.raises(ValueError, match=fragment):
        make_message_id(**arguments)


def test_parse_needs_a_key() -> None:
    with pytest.raises(ValueError, match="key"):
        parse_our_message_id(ours(42), key=b"")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "<>",
        "CAF=abc@mail.gmail.com",
        "amends.draft.t42@support.example.com",
        "amends.draft.t0.abc.aaaaaaaaaaaaaaaa@support.example.com",
        "amends.draft.t042.abc.aaaaaaaaaaaaaaaa@support.example.com",
        "amends.draft.t42.abc.aaaaaaaaaaaaaaa@support.example.com",
        "amends.draft.t42.abc.aaaaaaaaaaaaaaaa@",
        "amends.draft.t42.abc.aaaaaaaaaaaaaaaa@support .example.com",
        "x" * 10_000,
    ],
)
def test_other_ids_are_not_ours(text: str) -> None:
    assert not looks_like_ours(text)
    assert parse_our_message_id(text, key=KEY) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_random_text_never_parses(text: str) -> None:
    assert parse_our_message_id(text, key=KEY) is None
    looks_like_ours(text)


@settings(max_examples=200, deadline=None)
@given(
    ticket_id=st.integers(min_value=1, max_value=10**18 - 1),
    purpose=st.sampled_from(["draft", "followup", "alert"]),
    unique=st.none() | st.from_regex(r"[a-z0-9-]{1,40}", fullmatch=True),
    key=st.binary(min_size=1, max_size=64),
)
def test_any_valid_id_round_trips(
    ticket_id: int, purpose: str, unique: str | None, key: bytes
) -> None:
    mid = make_message_id(ticket_id, key=key, domain=DOMAIN, purpose=purpose, unique=unique)
    assert MSG_ID.fullmatch(mid)
    result = parse_our_message_id(mid, key=key)
    assert result is not None and result.ticket_id == ticket_id and result.purpose == purpose


# --- subject tokens and reply prefixes -------------------------------------------------------


def test_subject_token() -> None:
    assert subject_token(42) == "[#42]"
    assert find_subject_tokens(f"Your complaint {subject_token(42)}") == (42,)
    for bad in (0, -1, True):
        with pytest.raises(ValueError):
            subject_token(bad)


@pytest.mark.parametrize(
    ("subject", "tokens"),
    [
        ("[#42] My blender", (42,)),
        ("Re: [#42] My blender", (42,)),
        ("RE: [# 42] My blender", (42,)),
        ("Fwd: [ #42 ] My blender", (42,)),
        ("Odg: [#42] Pokvaren blender", (42,)),  # sr, sl
        ("Одг: [#42] Покварен блендер", (42,)),  # sr Cyrillic
        ("Odp: [#42] Zepsuty blender", (42,)),  # pl
        ("회신: [#42] 블렌더 고장", (42,)),  # ko
        ("Răspuns: [#42] Blender stricat", (42,)),  # ro
        ("AW: [#42] Mixer kaputt", (42,)),  # de
        ("TR : [#42] Mixeur cassé", (42,)),  # fr
        ("Re: [#42] and [#7], also [#42]", (42, 7)),
        ("[#\u00a042\u00a0]", (42,)),
        ("no token here #42 [42] [#] [#4 2] [#abc] [#0]", ()),
        ("[#1234567890123456789]", ()),  # longer than any ticket id can be
        ("", ()),
    ],
)
def test_find_subject_tokens(subject: str, tokens: tuple[int, ...]) -> None:
    assert find_subject_tokens(subject) == tokens


@pytest.mark.parametrize(
    ("subject", "stripped"),
    [
        # en
        ("Re: Broken blender", "Broken blender"),
        ("RE: Fwd: FW: Re:Re:Broken blender", "Broken blender"),
        ("RE[2]: Re^3: Re(4): Broken blender", "Broken blender"),
        ("Re: [#42] Broken blender", "[#42] Broken blender"),
        # sr Latin and Cyrillic
        ("Odg: Prosl: Pokvaren blender", "Pokvaren blender"),
        ("Odgovor: Pokvaren blender", "Pokvaren blender"),
        ("Одг: Просл: Покварен блендер", "Покварен блендер"),
        ("ОДГОВОР: Покварен блендер", "Покварен блендер"),
        # sl
        ("Odg: Posl: Pokvarjen mešalnik", "Pokvarjen mešalnik"),
        # pl
        ("Odp: PD: Zepsuty blender", "Zepsuty blender"),
        # ko
        ("회신: 전달: 답장: 블렌더 고장", "블렌더 고장"),
        ("답장\uff1a블렌더 고장", "블렌더 고장"),  # full-width colon
        # ro, also with a decomposed ă
        ("Răspuns: RE: Blender stricat", "Blender stricat"),
        ("RA\u0306SPUNS: Blender stricat", "Blender stricat"),
        # de, fr (French clients put a (no-break) space before the colon)
        ("AW: WG: Mixer kaputt", "Mixer kaputt"),
        ("RE : TR : Mixeur cassé", "Mixeur cassé"),
        ("RE\u00a0: Mixeur cassé", "Mixeur cassé"),
        # words that only look like prefixes stay
        ("Reply needed: order 55", "Reply needed: order 55"),
        ("Request: refund", "Request: refund"),
        ("PDF: invoice missing", "PDF: invoice missing"),
        ("Re-delivery failed", "Re-delivery failed"),
        ("Fwd my order", "Fwd my order"),
        ("[#42] Re: Broken", "[#42] Re: Broken"),
        ("Re:", ""),
        ("  Hello  ", "Hello"),
    ],
)
def test_strip_reply_prefixes(subject: str, stripped: str) -> None:
    assert strip_reply_prefixes(subject) == unicodedata.normalize("NFC", stripped)


@pytest.mark.timeout(5)
def test_prefix_stripping_stays_linear_on_hostile_subjects() -> None:
    for subject in ("re" + " " * 200_000 + "x", " " * 200_000, "Re: " * 50_000 + "x"):
        strip_reply_prefixes(subject)
        find_subject_tokens(subject + "[#" + " " * 100_000)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_subject_functions_never_raise(subject: str) -> None:
    stripped = strip_reply_prefixes(subject)
    assert len(stripped) <= len(unicodedata.normalize("NFC", subject))
    assert strip_reply_prefixes(stripped) == stripped
    assert all(t > 0 for t in find_subject_tokens(subject))


# --- decide_thread ---------------------------------------------------------------------------


def test_our_id_in_in_reply_to() -> None:
    store = Store()
    decision = store.decide(parsed(in_reply_to=(ours(42),), references=(ours(42),)))
    assert (decision.ticket_id, decision.matched_message_id) == (42, None)
    assert decision.reason == "our message-id in In-Reply-To: ticket 42"
    assert store.batches == []  # our id settled it: no store lookup at all


def test_outlook_reply_with_only_references() -> None:
    store = Store(messages={"orig.1@mail.example.com": KnownMessage(3, 42, ANA)})
    message = parsed(references=("orig.1@mail.example.com", ours(42, purpose="followup")))
    decision = store.decide(message)
    assert decision.ticket_id == 42
    assert decision.reason == "our message-id in References: ticket 42"


def test_references_matched_a_stored_message() -> None:
    store = Store(messages={"orig.1@mail.example.com": KnownMessage(17, 42, ANA)})
    decision = store.decide(parsed(references=("orig.1@mail.example.com", "x@elsewhere")))
    assert (decision.ticket_id, decision.matched_message_id) == (42, 17)
    assert decision.reason == "References matched message 17 (ticket 42)"
    assert store.batches == [["x@elsewhere", "orig.1@mail.example.com"]]


def test_stripped_subject_tag_still_threads_by_headers() -> None:
    store = Store(messages={"orig.1@mail.example.com": KnownMessage(17, 9, ANA)})
    message = parsed(subject="Re: Broken blender", in_reply_to=("orig.1@mail.example.com",))
    decision = store.decide(message)
    assert (decision.ticket_id, decision.reason) == (9, "In-Reply-To matched message 17 (ticket 9)")


def test_in_reply_to_comes_before_references_and_newest_reference_first() -> None:
    store = Store(
        messages={
            "old@x": KnownMessage(1, 9, ANA),
            "new@x": KnownMessage(2, 42, ANA),
            "parent@x": KnownMessage(3, 9, ANA),
        }
    )
    assert store.decide(parsed(references=("old@x", "new@x"))).ticket_id == 42
    decision = store.decide(parsed(in_reply_to=("parent@x",), references=("old@x", "new@x")))
    assert (decision.ticket_id, decision.matched_message_id) == (9, 3)


def test_our_id_anywhere_beats_a_stored_match() -> None:
    store = Store(messages={"parent@x": KnownMessage(3, 9, ANA)})
    decision = store.decide(parsed(in_reply_to=("parent@x",), references=(ours(42), "parent@x")))
    assert decision.ticket_id == 42
    assert decision.reason == "our message-id in References: ticket 42"


def test_forwarded_mail_from_the_customer_threads_by_subject_token() -> None:
    store = Store()
    decision = store.decide(parsed(subject="Fwd: [#42] Broken blender", message_id="fwd.1@x"))
    assert decision.ticket_id == 42
    assert decision.reason == "subject token [#42] from the ticket's customer"
    assert decision.matched_message_id is None


def test_forwarded_mail_from_someone_else_is_a_new_ticket() -> None:
    store = Store()
    decision = store.decide(parsed(sender=BOB, subject="Fwd: [#42] Broken blender"))
    assert decision.ticket_id is None
    assert decision.reason == (
        "subject token [#42], but it belongs to another customer; new ticket"
    )


def test_stranger_quoting_a_subject_token_is_a_new_ticket() -> None:
    store = Store()
    decision = store.decide(parsed(sender="mallory@evil.example", subject="Re: [#42] refund"))
    assert decision.ticket_id is None
    assert "[#42]" in decision.reason and "another customer" in decision.reason


def test_sender_address_compares_case_insensitively() -> None:
    store = Store()
    decision = store.decide(parsed(sender="Ana@Example.COM", in_reply_to=(ours(42),)))
    assert decision.ticket_id == 42


def test_forged_id_with_a_wrong_hmac_is_ignored() -> None:
    mid = ours(42)
    forged = mid.replace(".t42.", ".t9.")  # Ana's other ticket, but the HMAC covers the id
    store = Store()
    decision = store.decide(parsed(sender=BOB, in_reply_to=(forged,), subject="Re: hello"))
    assert decision.ticket_id is None
    assert decision.reason == "our-format id in In-Reply-To does not verify; new ticket"
    # The forged id is still looked up: a stored message with that id would be judged normally.
    assert store.batches == [[forged]]


def test_id_signed_with_a_rotated_key_still_threads_through_the_stored_copy() -> None:
    old = ours(42, key=OLD_KEY)
    store = Store(messages={old: KnownMessage(55, 42, None)})
    decision = store.decide(parsed(in_reply_to=(old,)))
    assert (decision.ticket_id, decision.matched_message_id) == (42, 55)
    assert decision.reason == (
        "In-Reply-To matched message 55 (ticket 42) "
        "(skipped: our-format id in In-Reply-To does not verify)"
    )


def test_reply_to_another_customers_message_is_not_threaded_there() -> None:
    store = Store(messages={"bobs@x": KnownMessage(17, 7, BOB)})
    decision = store.decide(parsed(in_reply_to=("bobs@x",)))
    assert decision.ticket_id is None
    assert decision.matched_message_id is None
    assert decision.reason == (
        "In-Reply-To matched message 17 (ticket 7), but it belongs to another customer; new ticket"
    )


def test_rejected_match_falls_through_to_the_senders_own_thread() -> None:
    store = Store(messages={"bobs@x": KnownMessage(17, 7, BOB), "anas@x": KnownMessage(18, 9, ANA)})
    message = parsed(in_reply_to=(ours(7), "bobs@x"), references=("anas@x",))
    decision = store.decide(message)
    assert (decision.ticket_id, decision.matched_message_id) == (9, 18)
    assert decision.reason == (
        "References matched message 18 (ticket 9) (skipped: "
        "our message-id in In-Reply-To names ticket 7, but it belongs to another customer; "
        "In-Reply-To matched message 17 (ticket 7), but it belongs to another customer)"
    )
    assert len(store.batches) == 1
    # Ticket 7 was asked about once, although two headers named it.
    assert sorted(store.ticket_lookups) == [7, 9]


def test_our_id_naming_a_missing_ticket_is_skipped() -> None:
    store = Store()
    decision = store.decide(parsed(in_reply_to=(ours(404),), subject="Re: [#42] Broken"))
    assert decision.ticket_id == 42
    assert decision.reason == (
        "subject token [#42] from the ticket's customer "
        "(skipped: our message-id in In-Reply-To names ticket 404, which does not exist)"
    )


def test_stored_message_without_a_ticket_is_skipped() -> None:
    store = Store(messages={"bounce@x": KnownMessage(8, None, None)})
    decision = store.decide(parsed(in_reply_to=("bounce@x",), subject="Re: hello"))
    assert decision.ticket_id is None
    assert decision.reason == "In-Reply-To matched message 8, which has no ticket; new ticket"


def test_message_without_a_sender_is_never_threaded() -> None:
    store = Store()
    decision = store.decide(parsed(sender=None, in_reply_to=(ours(42),), subject="[#42]"))
    assert decision.ticket_id is None
    assert "no sender address" in decision.reason and decision.reason.endswith("; new ticket")


def test_no_headers_no_token_is_a_new_ticket_without_lookups() -> None:
    store = Store()
    decision = store.decide(parsed(subject="My blender arrived broken"))
    assert (decision.ticket_id, decision.reason) == (None, "no match: new ticket")
    assert store.batches == [] and store.ticket_lookups == []


def test_hundreds_of_references_are_capped_newest_first() -> None:
    refs = tuple(f"ref{i}@x" for i in range(500))
    store = Store(
        messages={"ref0@x": KnownMessage(1, 9, ANA), "ref450@x": KnownMessage(2, 42, ANA)}
    )
    decision = store.decide(parsed(references=refs))
    assert decision.ticket_id == 42
    assert len(store.batches) == 1
    (batch,) = store.batches
    assert len(batch) == MAX_CANDIDATE_IDS
    assert batch[0] == "ref499@x" and batch[-1] == f"ref{500 - MAX_CANDIDATE_IDS}@x"
    # The oldest reference is beyond the cap and never considered.
    store.messages.pop("ref450@x")
    assert store.decide(parsed(references=refs)).ticket_id is None


def test_garbage_ids_are_dropped_before_the_lookup() -> None:
    garbage = ("", "   ", "<>", "a b@x", "\x00nul@x", "x" * 5000, "<<@>>", "tab\t@x")
    store = Store(messages={"ok@x": KnownMessage(5, 42, ANA)})
    decision = store.decide(parsed(in_reply_to=garbage, references=(*garbage, " <ok@x> ")))
    assert decision.ticket_id == 42
    assert store.batches == [["ok@x"]]


def test_duplicate_ids_and_the_message_itself_are_looked_up_once() -> None:
    store = Store()
    message = parsed(message_id="self@x", in_reply_to=("p@x",), references=("p@x", "self@x", "p@x"))
    store.decide(message)
    assert store.batches == [["p@x"]]


def test_many_rejections_keep_the_reason_short() -> None:
    refs = tuple(f"bob{i}@x" for i in range(20))
    store = Store(messages={r: KnownMessage(i, 7, BOB) for i, r in enumerate(refs)})
    decision = store.decide(parsed(references=refs, subject="hi"))
    assert decision.ticket_id is None
    assert decision.reason.endswith("; and 17 more rejected; new ticket")
    assert store.ticket_lookups == [7]


def test_decide_thread_needs_a_key() -> None:
    with pytest.raises(ValueError, match="key"):
        Store().decide(parsed(), key=b"")


_ids = st.one_of(
    st.text(max_size=60),
    st.builds(ours, st.sampled_from([42, 7, 9, 404])),
    st.sampled_from(["bobs@x", "anas@x", "bounce@x"]),
)


@settings(max_examples=200, deadline=None)
@given(
    sender=st.none() | st.sampled_from([ANA, BOB, "eve@x"]),
    subject=st.text(max_size=80) | st.sampled_from(["Re: [#42] x", "[#7]", "Fwd: [#404]"]),
    in_reply_to=st.lists(_ids, max_size=3).map(tuple),
    references=st.lists(_ids, max_size=30).map(tuple),
)
def test_decisions_never_cross_customers(
    sender: str | None, subject: str, in_reply_to: tuple[str, ...], references: tuple[str, ...]
) -> None:
    store = Store(
        messages={
            "bobs@x": KnownMessage(17, 7, BOB),
            "anas@x": KnownMessage(18, 9, ANA),
            "bounce@x": KnownMessage(8, None, None),
        }
    )
    message = parsed(sender=sender, subject=subject, in_reply_to=in_reply_to, references=references)
    decision = store.decide(message)
    assert len(store.batches) <= 1
    assert decision.reason
    if decision.ticket_id is not None:
        assert sender is not None and store.customers[decision.ticket_id] == sender
