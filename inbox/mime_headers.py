"""Header values decoded without ever raising: unfolding, RFC 2047 encoded words, raw 8-bit
(RFC 6532) values, addresses, dates and Message-IDs.

The values come from the parser as ``str`` whose non-ASCII bytes are surrogate escapes; they are
turned back into bytes and decoded like a body (UTF-8 first, then detection).
"""

from __future__ import annotations

import binascii
import email.utils
import re
from datetime import UTC, datetime

from inbox.charsets import clean_text, decode_bytes

# One header value longer than this is not worth decoding in full (a 200 KB References header
# exists in the wild); what is cut is recorded as a defect by the caller.
MAX_VALUE_CHARS = 16 * 1024
MAX_IDS = 1000
ADDRESS_MAX = 320  # RFC 5321 limits; the database column has the same size
MESSAGE_ID_MAX = 998
EARLIEST_YEAR = 1900
LATEST_YEAR = 2200

_FOLD = re.compile(r"\r?\n(?=[ \t])|\r(?=[ \t])")
# Folding leaves runs of spaces and tabs; stray CR/LF (broken folding) are blanks too.
_BLANKS = re.compile(r"[ \t\r\n]+")
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,80})\?([qQbB])\?([^?]*?)\?=")
_BETWEEN_WORDS = re.compile(r"[ \t\r\n]*")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")
_SURROGATE = re.compile("[\udc80-\udcff]")
_BRACKETED_ID = re.compile(r"<([^<>]*)>")
_ID_TOKENS = re.compile(r"\((?:[^()\\]|\\.)*\)|\"(?:[^\"\\]|\\.)*\"|[^\s<>()\",]+")
_BARE_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"]+@[^\s<>()\[\],;:\"]+")
_WHITESPACE = re.compile(r"\s+")


def unfold(value: str) -> str:
    """The header value on one line: folding removed, runs of blanks made one space."""
    return _BLANKS.sub(" ", _FOLD.sub("", value)).strip()


def decode_value(value: str, hint: str | None = None) -> tuple[str, str | None]:
    """The readable text of a raw header value, and a short note when it had to be repaired.

    ``hint`` is a charset the message declares elsewhere: the best guess for raw 8-bit headers
    that are not UTF-8, since mailers write those in the charset of the body.
    """
    text, note = _eight_bit(unfold(value), hint)
    if "=?" in text:
        text = decode_words(text)
    return clean_text(text), note


def decode_words(text: str) -> str:
    """Decode RFC 2047 encoded words; broken ones stay as written, unknown charsets are guessed.

    Adjacent words in one charset are joined as bytes before decoding, because some mailers
    split a multi-byte character across two words.
    """
    out: list[str] = []
    pending: bytes = b""
    pending_charset = ""
    position = 0
    for match in _ENCODED_WORD.finditer(text):
        gap = text[position : match.start()]
        charset = match.group(1).split("*", 1)[0].lower()
        data = _word_bytes(match.group(2), match.group(3))
        adjacent = pending_charset and _BETWEEN_WORDS.fullmatch(gap)
        if data is None:
            out.append(_flush(pending, pending_charset))
            pending, pending_charset = b"", ""
            out.append(gap + match.group())
        elif adjacent and charset == pending_charset:
            pending += data
        else:
            out.append(_flush(pending, pending_charset))
            # Whitespace between two encoded words is not part of the text (RFC 2047, 6.2).
            out.append("" if adjacent else gap)
            pending, pending_charset = data, charset
        position = match.end()
    if not out and not pending:
        return text
    out.append(_flush(pending, pending_charset))
    out.append(text[position:])
    return "".join(out)


def _eight_bit(text: str, hint: str | None) -> tuple[str, str | None]:
    if text.isascii() or not _SURROGATE.search(text):
        return text, None
    # Raw 8-bit header: RFC 6532 says UTF-8; older software wrote its local charset.
    raw = text.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        return decode_bytes(raw, hint)


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    try:
        raw = payload.encode("ascii", "surrogateescape")
        if encoding in "qQ":
            return binascii.a2b_qp(raw.replace(b"_", b" "))
        cleaned = _NOT_BASE64.sub(b"", raw)
        if not cleaned and raw.strip(b"="):
            return None  # nothing of it is base64: keep the word as written
        raw = cleaned
        if len(raw) % 4 == 1:  # a lone trailing character carries no whole byte
            raw = raw[:-1]
        return binascii.a2b_base64(raw + b"=" * (-len(raw) % 4))
    except (binascii.Error, ValueError, UnicodeError):
        return None


def _flush(data: bytes, charset: str) -> str:
    if not data:
        return ""
    text, _ = decode_bytes(data, charset)
    return text


def parse_addresses(value: str, hint: str | None = None) -> list[tuple[str, str]]:
    """``(display name, local@domain)`` pairs from an address header, addresses lower-cased."""
    text, _ = _eight_bit(unfold(value)[:MAX_VALUE_CHARS], hint)
    try:
        pairs = email.utils.getaddresses([text])
    except Exception:  # the stdlib address parser has had crash bugs on hostile input
        pairs = []
    found: list[tuple[str, str]] = []
    for name, address in pairs:
        clean = _valid_address(address)
        if clean is not None:
            found.append((clean_text(decode_words(name)).strip(), clean))
    if not found and "@" in text:
        # Broken syntax ("John john@x.com", unbalanced quotes): fall back to bare addresses.
        for match in _BARE_ADDRESS.finditer(text):
            clean = _valid_address(match.group())
            if clean is not None:
                found.append(("", clean))
    return found


def _valid_address(address: str) -> str | None:
    address = address.strip().strip("<>").strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or len(address) > ADDRESS_MAX:
        return None
    if _WHITESPACE.search(address) or "<" in address or ">" in address:
        return None
    return clean_text(address)


def parse_date(value: str) -> datetime | None:
    """The Date header as an aware UTC datetime; None when it cannot be read."""
    text = unfold(value)[:200]
    if not text:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        return None  # "3609-06-30" is a broken clock or a typo, not a date to sort by
    if parsed.tzinfo is None:
        # "-0000" means UTC with the sender's zone unknown (RFC 5322, 3.3).
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def normalise_message_id(value: str) -> str | None:
    """The Message-ID without brackets, whitespace or comments; None when there is none."""
    ids = _ids(value, limit=1)
    return ids[0] if ids else None


def message_id_list(value: str | None) -> tuple[str, ...]:
    """Every Message-ID in an In-Reply-To or References value, in order, without repeats."""
    if not value:
        return ()
    ids = list(dict.fromkeys(_ids(value)))
    if len(ids) > MAX_IDS:
        # Keep the thread root and the most recent ancestors, as RFC 5322 suggests for trimming.
        ids = ids[:1] + ids[-(MAX_IDS - 1) :]
    return tuple(ids)


def _ids(value: str, limit: int | None = None) -> list[str]:
    text, _ = _eight_bit(unfold(value), None)
    found: list[str] = []
    candidates = _BRACKETED_ID.findall(text)
    if not candidates:
        # No brackets: accept bare tokens that look like an id, never words of a comment.
        candidates = [
            token
            for token in _ID_TOKENS.findall(text)
            if "@" in token and not token.startswith(("(", '"'))
        ]
    for candidate in candidates:
        cleaned = _clean_id(candidate)
        if cleaned is not None:
            found.append(cleaned)
            if limit is not None and len(found) >= limit:
                break
    return found


def _clean_id(candidate: str) -> str | None:
    cleaned = clean_text(_WHITESPACE.sub("", candidate).strip("<>"))
    if not cleaned or not cleaned.isprintable():
        return None
    if len(cleaned.encode("utf-8")) > MESSAGE_ID_MAX:
        return None
    return cleaned
