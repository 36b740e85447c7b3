"""Draft headers: nothing a customer writes can add or break a header; replies thread."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.headerregistry import Address

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outbox import facts as facts_module
from outbox.compose import (
    DraftHeaders,
    UndeliverableAddress,
    build_draft,
    clean_header_text,
    mailbox_address,
    reply_subject,
)
from outbox.facts import extract_facts, near_digits
from outbox.render import DraftFacts, Gesture, Templates, cyrillic_share, to_cyrillic

EXPECTED_HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "x-amends-ticket",
    "x-amends-owner",
    "x-amends-lint",
    "x-amends-note",
    "content-language",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
}


def headers(**changes: object) -> DraftHeaders:
    base = DraftHeaders(
        sender=Address("Example Shop", addr_spec="support@example.com"),
        recipient=Address("Jane", addr_spec="jane@example.net"),
        subject="Re: Late [#42]",
        message_id="amends.draft.t42.m1-r1.abcdefghabcdefgh@example.com",
        date=datetime(2026, 11, 3, 10, 0, tzinfo=UTC),
        ticket_id=42,
        in_reply_to="c1@example.net",
        references=("root@example.net",),
        owner="ana",
        lint="ok",
        note="ESCALATED: severe",
        language="en",
    )
    return DraftHeaders(**(vars(base) | changes))  # type: ignore[arg-type]


def parse(raw: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


hostile = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400
) | st.sampled_from(
    [
        "x\r\nBcc: victim@example.org",
        "x\nX-Amends-Owner: mallory",
        "=?utf-8?q?a=0D=0ABcc:_victim@example.org?=",
        "a\x00b\x1bc\u2028d\u2029e\x85f",
        "Re: " * 200,
    ]
)


@settings(max_examples=300, deadline=None)
@given(subject=hostile, name=hostile, note=hostile)
def test_no_input_can_add_a_header(subject: str, name: str, note: str) -> None:
    recipient = Address(clean_header_text(name, 100), addr_spec="jane@example.net")
    raw = build_draft(
        headers(subject=reply_subject(subject, "[#42]"), recipient=recipient, note=note),
        "I'm sorry.",
    )
    message = parse(raw)
    names = {k.lower() for k in message}
    assert names <= EXPECTED_HEADERS
    assert "bcc" not in names
    assert message["X-Amends-Owner"] == "ana"
    assert message["To"].addresses[0].addr_spec == "jane@example.net"
    head = raw.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        assert b"\n" not in line and b"\r" not in line
        assert len(line) <= 998
    assert all(byte < 128 for byte in head), "non-ASCII is RFC 2047 encoded"


@settings(max_examples=200, deadline=None)
@given(text=hostile)
def test_clean_header_text_has_no_controls(text: str) -> None:
    cleaned = clean_header_text(text, 50)
    assert len(cleaned) <= 50
    assert not any(ord(c) < 32 or c in "\x7f\x85\u2028\u2029" for c in cleaned)


def decoded(raw: bytes) -> dict[str, str]:
    """Each header as a mail client shows it: RFC 2047 decoded (adjacent encoded words
    joined), whitespace collapsed."""
    heads = {}
    for key, value in parse(raw).raw_items():
        unfolded = str(value).replace("\r", "").replace("\n", "")
        heads[key.lower()] = " ".join(str(make_header(decode_header(unfolded))).split())
    return heads


def as_read(text: str) -> str:
    """A body as the parser gives it back: its lines, each ended by CRLF."""
    return (b"\r\n".join(text.encode().splitlines()) + b"\r\n").decode()


body_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)))


@settings(max_examples=300, deadline=None)
@given(subject=hostile, name=hostile, note=hostile, text=body_text, html=st.none() | body_text)
def test_every_value_reads_back_as_written(
    subject: str, name: str, note: str, text: str, html: str | None
) -> None:
    names = {"From": clean_header_text(name, 100), "To": clean_header_text(name[::-1], 100)}
    fields = headers(
        subject=reply_subject(subject, "[#42]"),
        sender=Address(names["From"], addr_spec="support@example.com"),
        recipient=Address(names["To"], addr_spec="jane@example.net"),
        note=note,
        references=tuple(f"r{i}@example.net" for i in range(len(subject) % 20)),
    )
    raw = build_draft(fields, text, html)
    message, heads = parse(raw), decoded(raw)
    assert heads["subject"] == fields.subject
    assert heads.get("x-amends-note") == (clean_header_text(note, 500) or None)
    assert heads["references"] == " ".join(f"<{i}>" for i in (*fields.references, "c1@example.net"))
    for field, address in (("From", fields.sender), ("To", fields.recipient)):
        (read,) = message[field].addresses
        assert read.addr_spec == address.addr_spec
        if names[field].isascii() and "=?" not in names[field]:
            assert read.display_name == names[field]
        elif names[field]:
            assert heads[field.lower()] == f"{names[field]} <{address.addr_spec}>"
    parts = list(message.iter_parts()) if message.is_multipart() else [message]
    expected = [("text/plain", as_read(text))]
    if html is not None:
        expected.append(("text/html", as_read(html)))
    assert [(p.get_content_type(), p.get_content()) for p in parts] == expected
    for line in raw.split(b"\r\n"):
        assert b"\n" not in line and b"\r" not in line
        assert len(line) <= 998


def test_threading_headers() -> None:
    message = parse(build_draft(headers(), "I'm sorry.", "<p>I'm sorry.</p>"))
    assert message["In-Reply-To"] == "<c1@example.net>"
    assert message["References"] == "<root@example.net> <c1@example.net>"
    assert message["Auto-Submitted"] is None
    assert message.get_content_type() == "multipart/alternative"
    assert message["Content-Language"] == "en"  # EmailMessage.set_content used to drop it


def test_bad_message_ids_are_left_out_of_the_thread() -> None:
    raw = build_draft(
        headers(in_reply_to="not an id\r\nBcc: x@y.z", references=("<ok@example.net>", "junk")),
        "I'm sorry.",
    )
    message = parse(raw)
    assert message["In-Reply-To"] is None
    assert message["References"] == "<ok@example.net>"


def test_references_keep_the_root_and_the_newest() -> None:
    chain = tuple(f"m{i}@example.net" for i in range(50))
    message = parse(build_draft(headers(references=chain, in_reply_to="last@example.net"), "x"))
    ids = message["References"].split()
    assert len(ids) == 20
    assert ids[0] == "<m0@example.net>" and ids[-1] == "<last@example.net>"


@pytest.mark.parametrize(
    ("stripped", "expected"),
    [
        ("Where is my parcel", "Re: Where is my parcel [#42]"),
        ("Where is my parcel [#42]", "Re: Where is my parcel [#42]"),
        ("", "Re: [#42]"),
        ("line\r\nBcc: x@y.z", "Re: line Bcc: x@y.z [#42]"),
    ],
)
def test_reply_subject(stripped: str, expected: str) -> None:
    assert reply_subject(stripped, "[#42]") == expected


@pytest.mark.parametrize(
    "address",
    [
        "noreply@shop.example",
        "no-reply@x.example",
        "MAILER-DAEMON@x.example",
        "a b@x.example",
        "nobody",
        "x@localhost",
        "ünï@x.example",
        "a@b@c.example",
    ],
)
def test_undeliverable_addresses(address: str) -> None:
    with pytest.raises(UndeliverableAddress):
        mailbox_address(address)


def test_an_internationalised_domain_is_written_in_punycode() -> None:
    assert mailbox_address("jdoe@mächine.example").addr_spec == "jdoe@xn--mchine-bua.example"


def test_a_name_with_quotes_and_commas_stays_one_address() -> None:
    address = mailbox_address("jane@example.net", 'Doe, Jane "JD" <evil@example.org>')
    message = parse(build_draft(headers(recipient=address), "x"))
    assert [a.addr_spec for a in message["To"].addresses] == ["jane@example.net"]


def test_serbian_in_cyrillic_keeps_values_in_latin() -> None:
    facts = DraftFacts(
        failure_type="delay",
        language="sr",
        agent="Ana",
        company="Shop",
        gesture=Gesture("discount", "10"),
        order="AB-77",
    )
    rendered = Templates().render(facts, cyrillic=True)
    assert "AB-77" in rendered.reply
    assert cyrillic_share(rendered.reply.replace("AB-77", "").replace("Ana", "")) > 0.95
    latin = Templates().render(facts)
    assert cyrillic_share(latin.reply) == 0
    assert to_cyrillic("Ljubljana, NJEGOŠ, džem") == "Љубљана, ЊЕГОШ, џем"


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)))
    | st.text("ћжЖҖ҂҈ѐ ab1ž")
)
def test_cyrillic_share_counts_the_letters_of_the_block(text: str) -> None:
    letters = [c for c in text[:5000] if c.isalpha()]
    cyrillic = sum("\u0400" <= c <= "\u04ff" for c in letters)
    assert cyrillic_share(text) == (cyrillic / len(letters) if letters else 0.0)


@pytest.mark.parametrize(
    ("text", "orders", "amounts", "dates"),
    [
        ("My order 4411 arrived on 3 November with the wrong lid.", ("4411",), (), ("3 November",)),
        (
            "Charged €49.90 twice on 2026-11-02 for order #77-12",
            ("77-12",),
            ("€49.90",),
            ("2026-11-02",),
        ),
        ("주문번호 4411이 11월 3일에 30,000원 결제", ("4411",), ("30,000원",), ("11월 3일",)),
        (
            "Zamówienie nr 5531 za 129,99 zł z 03.11.2026",
            ("5531",),
            ("129,99 zł",),
            ("03.11.2026",),
        ),
        ("The order from Monday never came", (), (), ()),
        # Upper case, as typed; and a letter whose lower case is longer ("İ" → "i̇"): the
        # facts are still quoted exactly as written.
        ("PAID 20 EUR ON MARCH 3RD, ORDER #5512", ("5512",), ("20 EUR",), ("MARCH 3RD",)),
        (
            "İade: order #4410, 1.299,00 RON on 4 NOVEMBER 2026",
            ("4410",),
            ("1.299,00 RON",),
            ("4 NOVEMBER 2026",),
        ),
    ],
)
def test_facts(
    text: str, orders: tuple[str, ...], amounts: tuple[str, ...], dates: tuple[str, ...]
) -> None:
    facts = extract_facts(text)
    assert (facts.orders, facts.amounts, facts.dates) == (orders, amounts, dates)


# Pieces dates and amounts are made of, and what may stand around them.
FACT_PIECES = [
    *"0123456789", ".", ",", "/", "-", " ", " ", "\n", "'", "\u00a0", "€", "$", "zł", "lei",
    "rsd", "dinara", "eur", "원", "년", "월", "일", "st", "th", "september", "nov", "march",
    "order", "x", "on the", "paid",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FACT_PIECES), max_size=60))
def test_dates_and_amounts_are_found_near_digits_as_in_the_whole_text(pieces: list[str]) -> None:
    text = "".join(pieces)
    for pattern in (facts_module._DATE, facts_module._AMOUNT):
        assert near_digits(pattern, text) == [m.span() for m in pattern.finditer(text)]


def test_a_long_mail_keeps_its_late_facts() -> None:
    text = "word " * 3000 + "paid 49,90 eur on 3 september 2026, order 4411"
    found = extract_facts(text)
    assert found.amount == "49,90 eur" and found.date == "3 september 2026"
