"""Raw message bytes to a ``ParsedMessage``: decoded headers, addresses, date, body text, the
customer's new words, attachments and language. Parsing never raises; problems become defects.
"""

from __future__ import annotations

import email.policy
import hashlib
import logging
import re
from collections.abc import Iterable
from email.message import EmailMessage, Message
from email.parser import BytesParser

from inbox.charsets import clean_text
from inbox.language import detect_language
from inbox.message import ParsedMessage
from inbox.mime_headers import (
    MAX_VALUE_CHARS,
    decode_value,
    message_id_list,
    normalise_message_id,
    parse_addresses,
    parse_date,
)
from inbox.mime_limits import bound_structure
from inbox.mime_parts import RAW_POLICY, read_parts
from inbox.quotes import strip_quotes

__all__ = [
    "content_hash",
    "load",
    "message_id_list",
    "normalise_message_id",
    "parse_message",
    "parse_with_structure",
]

log = logging.getLogger(__name__)

MAX_HEADERS_CHARS = 64 * 1024
# The modern policy costs about 0.2 ms a part; what ``load`` is for (telling bounces and
# auto-replies) is in the first few parts.
LOAD_MAX_PARTS = 250
# Some stores pad messages with a line of spaces before the headers (flanker's fixtures do);
# the parser would take the whole message for a body without headers.
_PADDING = re.compile(rb"(?:[ \t]+\r?\n)+(?=[!-9;-~]+:)")
_CHARSET = re.compile(rb"charset[ \t]*=[ \t]*\"?([A-Za-z0-9_.:-]{1,40})", re.IGNORECASE)


def load(raw: bytes) -> EmailMessage:
    """The message as the stdlib's modern ``EmailMessage``, cut at ``LOAD_MAX_PARTS`` parts and
    ``MAX_DEPTH`` levels; never raises.

    Header access on the result can still raise for malformed headers (the modern policy parses
    lazily): callers that read headers should catch ``Exception`` around each access.
    """
    data, _ = bound_structure(_skip_padding(bytes(raw)), max_parts=LOAD_MAX_PARTS)
    try:
        message = BytesParser(policy=email.policy.default).parsebytes(data)
        if isinstance(message, EmailMessage):
            return message
    except Exception:  # the modern parser has failed on hostile input before; fall back
        log.debug("modern policy could not parse a message", exc_info=True)
    try:
        fallback = BytesParser(EmailMessage, policy=email.policy.compat32).parsebytes(data)
        if isinstance(fallback, EmailMessage):
            return fallback
    except Exception:
        log.debug("compat32 policy could not parse a message", exc_info=True)
    minimal = EmailMessage()
    minimal.set_payload(data.decode("utf-8", "replace"))
    return minimal


def content_hash(raw: bytes) -> str:
    """SHA-256 of the message with CRLF and lone CR as LF, so a re-appended copy hashes the same."""
    normalised = bytes(raw).replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return hashlib.sha256(normalised).hexdigest()


def parse_message(raw: bytes, *, truncated: bool = False, size: int | None = None) -> ParsedMessage:
    """Parse one message; never raises for any input (problems are listed in ``defects``)."""
    return parse_with_structure(raw, truncated=truncated, size=size)[0]


def parse_with_structure(
    raw: bytes, *, truncated: bool = False, size: int | None = None
) -> tuple[ParsedMessage, Message]:
    """``parse_message``, plus the (compat32) MIME tree it read, for callers that look further
    (kind detection) without parsing the bytes a second time. Never raises."""
    try:
        return _parse(bytes(raw), truncated=truncated, size=size)
    except MemoryError:
        raise
    except Exception as exc:  # the last net: one bad message must never stop the mailbox
        log.warning("message could not be parsed, kept as raw: %s", type(exc).__name__)
        parsed = _unparsed(raw, truncated=truncated, size=size, error=type(exc).__name__)
        return parsed, Message()


def _parse(raw: bytes, *, truncated: bool, size: int | None) -> tuple[ParsedMessage, Message]:
    data, defects_list = bound_structure(_skip_padding(raw))
    defects = dict.fromkeys(defects_list)
    message = _structure(data, defects)
    items = [(clean_text(name), value) for name, value in message.raw_items()]
    values: dict[str, list[str]] = {}
    for name, value in items:
        values.setdefault(name.lower(), []).append(value)
    hint = _charset_hint(data)

    def first(name: str) -> str:
        found = values.get(name)
        if not found:
            return ""
        text, note = decode_value(found[0][:MAX_VALUE_CHARS], hint)
        if note:
            defects[f"header {name}: {note}"] = None
        return text

    senders = _addresses(values.get("from", ()), hint)
    date_value = values.get("date", [""])[0]
    date = parse_date(date_value)
    if date_value.strip() and date is None:
        defects["header date: unreadable"] = None
    if values.get("from") and not senders:
        defects["header from: no address"] = None
    subject = first("subject")
    parts = read_parts(message)
    defects.update(dict.fromkeys(parts.defects))
    body = parts.body_text
    new_text = strip_quotes(body) if body else ""
    parsed = ParsedMessage(
        message_id=next(
            filter(None, map(normalise_message_id, values.get("message-id", ()))), None
        ),
        in_reply_to=message_id_list(" ".join(values.get("in-reply-to", ()))),
        references=message_id_list(" ".join(values.get("references", ()))),
        from_address=senders[0][1] if senders else None,
        from_name=(senders[0][0] or None) if senders else None,
        reply_to=_address_list(values.get("reply-to", ()), hint),
        to=_address_list(values.get("to", ()), hint),
        cc=_address_list(values.get("cc", ()), hint),
        subject=subject,
        date=date,
        headers=_header_block(items, hint, defects),
        body_text=body,
        new_text=new_text,
        attachments=parts.attachments,
        language=detect_language(new_text, fallback=f"{subject}\n{body}"),
        size=len(raw) if size is None else size,
        content_hash=content_hash(raw),
        defects=tuple(defects),
        truncated=truncated,
    )
    return parsed, message


def _skip_padding(raw: bytes) -> bytes:
    if raw[:1] in (b" ", b"\t"):
        match = _PADDING.match(raw)
        if match:
            return raw[match.end() :]
    return raw


def _structure(data: bytes, defects: dict[str, None]) -> Message:
    try:
        return BytesParser(policy=RAW_POLICY).parsebytes(data)
    except Exception as exc:  # compat32 parsing is forgiving; this is the net below it
        defects[f"mime: unparsable ({type(exc).__name__})"] = None
        message = Message(policy=RAW_POLICY)
        message.set_payload(data.decode("ascii", "surrogateescape"))
        return message


def _charset_hint(data: bytes) -> str | None:
    """The first charset the message declares: the likeliest one for its raw 8-bit headers."""
    match = _CHARSET.search(data, 0, 64 * 1024)
    return match.group(1).decode("ascii") if match else None


def _addresses(values: Iterable[str], hint: str | None) -> list[tuple[str, str]]:
    return [pair for value in values for pair in parse_addresses(value, hint)]


def _address_list(values: Iterable[str], hint: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(address for _, address in _addresses(values, hint)))


def _header_block(items: list[tuple[str, str]], hint: str | None, defects: dict[str, None]) -> str:
    lines: list[str] = []
    length = 0
    for name, value in items:
        text, _ = decode_value(value[:MAX_VALUE_CHARS], hint)
        line = f"{name}: {text}"
        length += len(line) + 1
        if length > MAX_HEADERS_CHARS:
            defects[f"headers capped at {MAX_HEADERS_CHARS} chars"] = None
            break
        lines.append(line)
    return "\n".join(lines)


def _unparsed(raw: object, *, truncated: bool, size: int | None, error: str) -> ParsedMessage:
    data = raw if isinstance(raw, bytes) else b""
    return ParsedMessage(
        message_id=None,
        in_reply_to=(),
        references=(),
        from_address=None,
        from_name=None,
        reply_to=(),
        to=(),
        cc=(),
        subject="",
        date=None,
        headers="",
        body_text="",
        new_text="",
        attachments=(),
        language=None,
        size=len(data) if size is None else size,
        content_hash=content_hash(data),
        defects=(f"parse: failed ({error})",),
        truncated=truncated,
    )
