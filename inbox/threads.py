"""Which ticket an inbound message belongs to: our signed Message-IDs, replies, subject tokens.

Pure functions; the store lookups are passed in, so every rule is testable without a database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from inbox.message import ParsedMessage, ThreadDecision

__all__ = [
    "MAX_CANDIDATE_IDS",
    "KnownMessage",
    "OurMessageId",
    "decide_thread",
    "find_subject_tokens",
    "looks_like_ours",
    "make_message_id",
    "parse_our_message_id",
    "strip_reply_prefixes",
    "subject_token",
]

# Newest references first; a reply chain deeper than this is not worth another lookup.
MAX_CANDIDATE_IDS = 100
# Bounds the ticket lookups a subject stuffed with tokens can cause.
MAX_SUBJECT_TOKENS = 10
# Rejections listed in a reason; the rest are counted, so a reason stays one readable line.
MAX_REASON_REJECTIONS = 3
# models.outbox.OUR_MESSAGE_ID_LEN: our ids must fit that column.
MAX_OUR_ID_LEN = 255
# RFC 5322 line limit; anything longer is not a Message-ID anyone can have stored.
MAX_ID_LEN = 998

_MAC_CHARS = 16  # 16 base32 characters: 80 bits of HMAC-SHA-256
_MAC_CONTEXT = b"amends-message-id/v1"  # domain separation, and room for a v2
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*", re.ASCII)
_PURPOSE = re.compile(r"[a-z]{1,16}", re.ASCII)
_UNIQUE = re.compile(r"[a-z0-9-]{1,40}", re.ASCII)
# Everything in the id is lower-case, so the whole id can be compared case-insensitively.
_OUR_ID = re.compile(
    r"amends\.(?P<purpose>[a-z]{1,16})\.t(?P<ticket>[1-9][0-9]{0,17})"
    rf"\.(?P<unique>[a-z0-9-]{{1,40}})\.(?P<mac>[a-z2-7]{{{_MAC_CHARS}}})@{_DOMAIN.pattern}",
    re.ASCII,
)
_BAD_ID_CHAR = re.compile(r"[\s<>\x00-\x1f\x7f]")

_TOKEN = re.compile(r"\[\s*#\s*([0-9]{1,18})\s*\]")
# Reply and forward prefixes as mail clients write them: en, de, fr, es/pt, nl, nordic, pl,
# sr/hr/sl (Latin and Cyrillic), ro, ko, zh. Only whole words followed by a colon are taken,
# so a subject that merely starts with "Re" or "PD" keeps its first word.
_PREFIX_WORDS = (
    "re|fwd|fw|aw|wg|antw|antwort|doorst|tr|rv|res|enc|rif|sv|vs|vb|vl|odp|pd|odg|odgovor"
    "|prosl|posl|одг|одговор|просл|răspuns|raspuns|답장|회신|전달|回复|回覆|转发|轉寄"
)
_COUNTER = r"(?:\[[0-9]{1,4}\]|\([0-9]{1,4}\)|\^[0-9]{1,4})"  # "RE[2]:", "Re(2):", "Re^2:"
# Each whitespace run has a single quantifier, so a long run of spaces cannot make matching
# quadratic; U+FF1A is the full-width colon of CJK clients.
_PREFIXES = re.compile(rf"(?:\s*(?:{_PREFIX_WORDS})\s*(?:{_COUNTER}\s*)?[:\uff1a])+", re.IGNORECASE)


@dataclass(frozen=True)
class OurMessageId:
    ticket_id: int
    purpose: str
    unique: str


@dataclass(frozen=True)
class KnownMessage:
    """A stored message of this mailbox, as ``find_messages`` returns it.

    ``customer_address`` is informative only: the decision asks ``ticket_customer`` for the
    ticket's current customer, which is the authority when tickets are merged or reassigned.
    """

    row_id: int
    ticket_id: int | None
    customer_address: str | None


def _mac(key: bytes, purpose: str, ticket_id: int, unique: str) -> str:
    signed = b"\x00".join(
        (_MAC_CONTEXT, purpose.encode(), str(ticket_id).encode(), unique.encode())
    )
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:_MAC_CHARS]


def make_message_id(
    ticket_id: int,
    *,
    key: bytes,
    domain: str,
    purpose: str = "draft",
    unique: str | None = None,
) -> str:
    """Our Message-ID for mail about ``ticket_id``, without angle brackets.

    ``amends.<purpose>.t<ticket>.<unique>.<mac>@<domain>``; ``unique`` (random when None) must
    be lower-case letters, digits or hyphens, so the same inputs always give the same id.
    Raises ValueError for a bad ticket id, key, purpose, unique part or domain.
    """
    if isinstance(ticket_id, bool) or not isinstance(ticket_id, int):
        raise ValueError(f"ticket id must be an int, got {type(ticket_id).__name__}")
    if not 1 <= ticket_id < 10**18:
        raise ValueError(f"ticket id {ticket_id} is out of range")
    if not key:
        raise ValueError("the Message-ID key is empty")
    if not _PURPOSE.fullmatch(purpose):
        raise ValueError(f"purpose {purpose!r} must be 1-16 lower-case ASCII letters")
    if unique is None:
        unique = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()
    elif not _UNIQUE.fullmatch(unique):
        raise ValueError(f"unique part {unique!r} must be 1-40 of a-z, 0-9 and '-'")
    domain = domain.lower()
    if len(domain) > 253 or not domain.isascii() or not _DOMAIN.fullmatch(domain):
        raise ValueError(f"domain {domain!r} is not a host name (use the IDNA/punycode form)")
    message_id = (
        f"amends.{purpose}.t{ticket_id}.{unique}.{_mac(key, purpose, ticket_id, unique)}@{domain}"
    )
    if len(message_id) > MAX_OUR_ID_LEN:
        raise ValueError(f"Message-ID would be {len(message_id)} characters; use a shorter domain")
    return message_id


def _match_our_format(message_id: str) -> re.Match[str] | None:
    text = message_id.strip().removeprefix("<").removesuffix(">").strip()
    # ASCII check before lower(): some non-ASCII letters lower-case to ASCII ones (KELVIN SIGN
    # becomes "k"), which would let a look-alike id pass the format check.
    if len(text) > MAX_OUR_ID_LEN or not text.isascii():
        return None
    return _OUR_ID.fullmatch(text.lower())


def looks_like_ours(message_id: str) -> bool:
    """True when the id has our format, whether or not its HMAC verifies."""
    return _match_our_format(message_id) is not None


def parse_our_message_id(message_id: str, *, key: bytes) -> OurMessageId | None:
    """The ticket an id of ours names, or None unless the format matches and the HMAC verifies."""
    if not key:
        raise ValueError("the Message-ID key is empty")
    match = _match_our_format(message_id)
    if match is None:
        return None
    purpose, ticket_id, unique = match["purpose"], int(match["ticket"]), match["unique"]
    if not hmac.compare_digest(_mac(key, purpose, ticket_id, unique), match["mac"]):
        return None
    return OurMessageId(ticket_id=ticket_id, purpose=purpose, unique=unique)


def subject_token(ticket_id: int) -> str:
    """The token we put in subjects, e.g. ``[#42]``."""
    if isinstance(ticket_id, bool) or not isinstance(ticket_id, int) or ticket_id < 1:
        raise ValueError(f"ticket id must be a positive int, got {ticket_id!r}")
    return f"[#{ticket_id}]"


def find_subject_tokens(subject: str) -> tuple[int, ...]:
    """Ticket ids of the ``[#42]`` tokens in a subject, in order, each once."""
    found: dict[int, None] = {}
    for match in _TOKEN.finditer(subject):
        ticket_id = int(match[1])
        if ticket_id > 0:
            found[ticket_id] = None
    return tuple(found)


def strip_reply_prefixes(subject: str) -> str:
    """The subject without leading ``Re:``/``Fwd:``-style prefixes in any of our languages."""
    # NFC first: a client that sends "Ra\u0306spuns" (decomposed) means "Răspuns".
    subject = unicodedata.normalize("NFC", subject)
    match = _PREFIXES.match(subject)
    return (subject[match.end() :] if match else subject).strip()


def _clean_id(raw: str) -> str | None:
    text = raw.strip().removeprefix("<").removesuffix(">").strip()
    if not text or len(text) > MAX_ID_LEN or _BAD_ID_CHAR.search(text):
        return None
    return text


def _candidates(parsed: ParsedMessage) -> list[tuple[str, str]]:
    """(header, id) pairs, newest first: In-Reply-To, then References from last to first."""
    ordered = [("In-Reply-To", i) for i in parsed.in_reply_to]
    ordered += [("References", i) for i in reversed(parsed.references)]
    # A message naming itself (broken clients, loops) must not match its own earlier copy.
    own = _clean_id(parsed.message_id) if parsed.message_id else None
    seen: dict[str, str] = {}
    for header, raw in ordered:
        message_id = _clean_id(raw)
        if message_id is not None and message_id != own and message_id not in seen:
            seen[message_id] = header
            if len(seen) == MAX_CANDIDATE_IDS:
                break
    return [(header, message_id) for message_id, header in seen.items()]


class _Judge:
    """Checks matched tickets against the sender, remembering lookups and rejections.

    For our own outbound mail (``recipients`` given) the ticket's customer must be among the
    recipients instead, and a match by reply headers is trusted: our agents answer the thread
    they have open, perhaps to the customer's Reply-To address.
    """

    def __init__(
        self,
        sender: str | None,
        ticket_customer: Callable[[int], str | None],
        recipients: Collection[str] | None = None,
    ) -> None:
        self.outbound = recipients is not None
        parties = recipients if recipients is not None else [sender] if sender else []
        self.parties = {p.strip().lower() for p in parties if p}
        self._ticket_customer = ticket_customer
        self._customers: dict[int, str | None] = {}
        self.rejections: list[str] = []

    def why_not(self, ticket_id: int, *, by_header: bool = False) -> str | None:
        """None when the sender is the ticket's customer, else why the match is refused."""
        if ticket_id not in self._customers:
            self._customers[ticket_id] = self._ticket_customer(ticket_id)
        customer = self._customers[ticket_id]
        if customer is None:
            return "which does not exist"
        if self.outbound and by_header:
            return None
        if not self.parties:
            return "but the message has no sender address to check"
        if customer.strip().lower() not in self.parties:
            return "but it belongs to another customer"
        return None

    def reject(self, text: str) -> None:
        if text not in self.rejections:
            self.rejections.append(text)

    def decide(
        self, ticket_id: int | None, reason: str, row_id: int | None = None
    ) -> ThreadDecision:
        if self.rejections:
            shown = self.rejections[:MAX_REASON_REJECTIONS]
            hidden = len(self.rejections) - len(shown)
            skipped = "; ".join(shown) + (f"; and {hidden} more rejected" if hidden else "")
            reason = (
                f"{reason} (skipped: {skipped})"
                if ticket_id is not None
                else f"{skipped}; new ticket"
            )
        return ThreadDecision(ticket_id=ticket_id, reason=reason, matched_message_id=row_id)


def decide_thread(
    parsed: ParsedMessage,
    *,
    key: bytes,
    find_messages: Callable[[Sequence[str]], Mapping[str, KnownMessage]],
    ticket_customer: Callable[[int], str | None],
    outbound: bool = False,
) -> ThreadDecision:
    """The ticket ``parsed`` belongs to (None: a new one), never another customer's ticket.

    Order: our signed ids in the reply headers, then stored Message-IDs, then a subject token
    from the ticket's own customer. ``find_messages`` is called at most once per message.
    ``outbound`` is for mail we sent (found in Sent): the customer is then a recipient.
    """
    if not key:
        raise ValueError("the Message-ID key is empty")
    recipients = [*parsed.to, *parsed.cc] if outbound else None
    judge = _Judge(parsed.from_address, ticket_customer, recipients)
    candidates = _candidates(parsed)
    if outbound and parsed.message_id:
        # The mail client sent our draft keeping the draft's Message-ID.
        own = parse_our_message_id(_clean_id(parsed.message_id) or "", key=key)
        if own is not None and judge.why_not(own.ticket_id, by_header=True) is None:
            return judge.decide(own.ticket_id, f"our draft's message-id: ticket {own.ticket_id}")

    verified: set[str] = set()
    for header, message_id in candidates:
        ours = parse_our_message_id(message_id, key=key)
        if ours is None:
            if looks_like_ours(message_id):
                # Forged, or signed with a key we no longer have; the stored ids may still know it.
                judge.reject(f"our-format id in {header} does not verify")
            continue
        verified.add(message_id)
        why_not = judge.why_not(ours.ticket_id, by_header=True)
        if why_not is None:
            return judge.decide(
                ours.ticket_id, f"our message-id in {header}: ticket {ours.ticket_id}"
            )
        judge.reject(f"our message-id in {header} names ticket {ours.ticket_id}, {why_not}")

    lookup = [message_id for _, message_id in candidates if message_id not in verified]
    known = find_messages(lookup) if lookup else {}
    for header, message_id in candidates:
        stored = known.get(message_id)
        if stored is None or message_id in verified:
            continue
        if stored.ticket_id is None:
            judge.reject(f"{header} matched message {stored.row_id}, which has no ticket")
            continue
        matched = f"{header} matched message {stored.row_id} (ticket {stored.ticket_id})"
        why_not = judge.why_not(stored.ticket_id, by_header=True)
        if why_not is None:
            return judge.decide(stored.ticket_id, matched, stored.row_id)
        judge.reject(f"{matched}, {why_not}")

    for ticket_id in find_subject_tokens(parsed.subject)[:MAX_SUBJECT_TOKENS]:
        token = subject_token(ticket_id)
        why_not = judge.why_not(ticket_id)
        if why_not is None:
            return judge.decide(ticket_id, f"subject token {token} from the ticket's customer")
        judge.reject(f"subject token {token}, {why_not}")

    return judge.decide(None, "no match: new ticket")
