"""A recovery draft as a complete RFC 5322 reply, with every header made safe.

Customer-supplied text (their name, their subject, their Message-IDs) never reaches a header
as given: control characters and line breaks are removed, the length is bounded, and anything
that is not ASCII is RFC 2047 encoded.
"""

from __future__ import annotations

import binascii
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.errors import HeaderParseError
from email.header import Header, decode_header, make_header
from email.headerregistry import Address
from email.utils import format_datetime, formataddr

__all__ = [
    "DraftHeaders",
    "UndeliverableAddress",
    "build_draft",
    "build_followup",
    "clean_header_text",
    "mailbox_address",
    "reply_subject",
]

SUBJECT_MAX = 200
NAME_MAX = 100
NOTE_MAX = 500
# References keeps the thread's root and its newest ids (RFC 5322 3.6.4 allows trimming).
MAX_REFERENCES = 20
_ID = re.compile(r"^[\x21-\x3b\x3d\x3f-\x7e]{1,250}@[\x21-\x3b\x3d\x3f-\x7e]{1,250}$")
# Local parts that never read replies.
_NO_REPLY = re.compile(
    r"^(no-?reply|do-?not-?reply|noreply-[\w.-]*|mailer-daemon|postmaster|bounces?)(\+.*)?$",
    re.IGNORECASE,
)


class UndeliverableAddress(ValueError):
    """The address cannot receive a reply (malformed, or a no-reply address)."""


def _decoded(value: str) -> str:
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError, UnicodeError, HeaderParseError):
        return value


def clean_header_text(value: str | None, limit: int) -> str:
    """``value`` fit for a header: no control characters or line breaks, one space between
    words, at most ``limit`` characters, and no RFC 2047 encoded words.

    Encoded words are decoded first and any "=?" left is broken up: the ``email`` package
    decodes encoded words in the values it is given, so "=?x?q?=0D=0ABcc:...?=" would otherwise
    become a line break in the header it writes.
    """
    if not value:
        return ""
    value = _decoded(value)
    kept = []
    for char in value:
        category = unicodedata.category(char)
        if char.isspace() or category in {"Zl", "Zp"}:
            kept.append(" ")
        elif category in {"Cc", "Cf", "Cs", "Co", "Cn"}:
            continue
        else:
            kept.append(char)
    text = " ".join("".join(kept).split()).replace("=?", "=\u2060?")
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def mailbox_address(address: str, name: str | None = None) -> Address:
    """An ``Address`` for a header; raises UndeliverableAddress for anything unusable."""
    address = clean_header_text(address, 320)
    local, _, domain = address.rpartition("@")
    if local.isascii() and not domain.isascii():
        # An internationalised domain is reachable under its IDNA (punycode) name.
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise UndeliverableAddress(f"{address!r} has an invalid domain") from exc
        address = f"{local}@{domain}"
    malformed = address.count("@") != 1 or not local or "." not in domain or " " in address
    if malformed or not address.isascii():
        raise UndeliverableAddress(f"{address!r} is not a deliverable e-mail address")
    if _NO_REPLY.match(local):
        raise UndeliverableAddress(f"{address} is a no-reply address")
    try:
        return Address(display_name=clean_header_text(name, NAME_MAX), addr_spec=address)
    except (ValueError, IndexError) as exc:  # the header parser's verdict on the address
        raise UndeliverableAddress(f"{address!r} is not a valid e-mail address: {exc}") from exc


def reply_subject(stripped_subject: str, token: str) -> str:
    """``Re: <subject> <token>`` from a subject whose reply prefixes are already removed."""
    subject = clean_header_text(stripped_subject, SUBJECT_MAX)
    if token and token not in subject:
        subject = f"{subject} {token}".strip()
    return f"Re: {subject}" if subject else f"Re: {token}".strip()


def _message_id(value: str | None) -> str | None:
    if not value:
        return None
    text = value.strip().removeprefix("<").removesuffix(">").strip()
    return text if _ID.match(text) else None


def _references(in_reply_to: str | None, references: Sequence[str]) -> list[str]:
    ids: list[str] = []
    for raw in [*references, in_reply_to or ""]:
        clean = _message_id(raw)
        if clean and clean not in ids:
            ids.append(clean)
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return ids


@dataclass(frozen=True)
class DraftHeaders:
    sender: Address
    recipient: Address
    subject: str
    message_id: str  # ours, without angle brackets
    date: datetime
    ticket_id: int
    in_reply_to: str | None = None  # the customer's Message-ID
    references: tuple[str, ...] = ()  # the customer's References
    owner: str | None = None
    lint: str = "ok"
    note: str | None = None
    language: str | None = None


def build_draft(headers: DraftHeaders, text: str, html: str | None = None) -> bytes:
    """The draft's bytes (CRLF line ends), ready for IMAP APPEND."""
    fields = _reply(headers)
    # Internal notes for the owner: mail clients keep X- headers out of the reply they send.
    owner = clean_header_text(headers.owner, NAME_MAX)
    note = clean_header_text(headers.note, NOTE_MAX)
    fields.append(("X-Amends-Ticket", str(headers.ticket_id)))
    if owner:
        fields.append(("X-Amends-Owner", owner))
    fields.append(("X-Amends-Lint", clean_header_text(headers.lint, NOTE_MAX) or "ok"))
    if note:
        fields.append(("X-Amends-Note", note))
    return _with_body(fields, text, html)


def build_followup(headers: DraftHeaders, text: str, html: str | None = None) -> bytes:
    """A follow-up's bytes (CRLF line ends), for SMTP and the copy in Sent.

    Marked as automatic (RFC 3834) so that well-behaved auto-responders stay quiet, and
    without the internal X-Amends notes: this one goes to the customer as it is.
    """
    fields = _reply(headers)
    fields.append(("Auto-Submitted", "auto-generated"))
    # Exchange and Outlook's own out-of-office replies honour this instead.
    fields.append(("X-Auto-Response-Suppress", "All"))
    return _with_body(fields, text, html)


def _reply(headers: DraftHeaders) -> list[tuple[str, str]]:
    fields = [
        ("From", _address("From", headers.sender)),
        ("To", _address("To", headers.recipient)),
        ("Subject", clean_header_text(headers.subject, SUBJECT_MAX + 20)),
        ("Date", format_datetime(headers.date)),
        ("Message-ID", f"<{headers.message_id}>"),
    ]
    parent = _message_id(headers.in_reply_to)
    if parent:
        fields.append(("In-Reply-To", f"<{parent}>"))
    chain = _references(parent, headers.references)
    if chain:
        fields.append(("References", " ".join(f"<{i}>" for i in chain)))
    language = clean_header_text(headers.language, 16)
    if language:
        fields.append(("Content-Language", language))
    return fields


# The mail is written here rather than by ``email.message.EmailMessage``: its header objects
# cost more than rendering the reply (about 2 ms a draft). Every value is already clean (one
# line, bounded); what is left is the standard encoding, by the ``email`` package's own
# encoders: RFC 2047 words (``email.header.Header``), quoted names (``formataddr``) and
# quoted-printable bodies (``binascii``). Tests parse the result back with the ``email``
# package and compare every header and part with the values given.
LINE = 78
_CRLF = "\r\n"


def _plain(value: str) -> bool:
    """A value that can go into a header as it is: ASCII with no encoded-word opener."""
    return value.isascii() and "=?" not in value


def _encoded(name: str, value: str) -> str:
    return Header(value, "utf-8", header_name=name).encode(linesep=_CRLF, maxlinelen=LINE)


def _fold(name: str, value: str) -> str:
    """``value`` folded at spaces to lines of at most :data:`LINE` characters where it can be
    (a word longer than a line stays whole: headers allow 998)."""
    lines: list[str] = []
    line, room = "", LINE - len(name) - 2
    for word in value.split(" "):
        if line and len(line) + 1 + len(word) > room:
            lines.append(line)
            line, room = word, LINE - 1
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return (_CRLF + " ").join(lines)


def _address(name: str, address: Address) -> str:
    display = clean_header_text(address.display_name, NAME_MAX)  # cleaned already; be sure
    if not display:
        return address.addr_spec
    if _plain(display):
        return _fold(name, formataddr((display, address.addr_spec)))
    words = _encoded(name, display)
    last = words.rpartition(_CRLF)[2]
    gap = " " if len(last) + len(address.addr_spec) + 3 <= LINE else _CRLF + " "
    return f"{words}{gap}<{address.addr_spec}>"


def _field(name: str, value: str) -> str:
    if name in {"From", "To"}:
        return f"{name}: {value}"  # already written by _address
    text = _fold(name, value) if _plain(value) else _encoded(name, value)
    return f"{name}: {text}"


def _part(subtype: str, text: str) -> list[str]:
    """A quoted-printable UTF-8 text part, its lines ending as ``EmailMessage`` ends them."""
    body = b"\n".join(text.encode("utf-8").splitlines()) + b"\n"
    encoded = binascii.b2a_qp(body, quotetabs=False, istext=True, header=False)
    return [
        f'Content-Type: text/{subtype}; charset="utf-8"',
        "Content-Transfer-Encoding: quoted-printable",
        "",
        *encoded.decode("ascii").splitlines(),
    ]


def _with_body(fields: list[tuple[str, str]], text: str, html: str | None) -> bytes:
    lines = [_field(name, value) for name, value in fields]
    if html is None:
        lines += ["MIME-Version: 1.0", *_part("plain", text)]
    else:
        # "=_" never occurs in quoted-printable text: the boundary cannot collide with a body.
        boundary = f"=_amends_{secrets.token_hex(16)}"
        lines += [
            "MIME-Version: 1.0",
            f'Content-Type: multipart/alternative; boundary="{boundary}"',
            "",
            f"--{boundary}",
            *_part("plain", text),
            "",
            f"--{boundary}",
            *_part("html", html),
            "",
            f"--{boundary}--",
        ]
    return (_CRLF.join(lines) + _CRLF).encode("ascii")
