"""Header and MIME reads that never raise, for code that must survive any message.

The modern ``email.policy`` parses a header only when it is read, and a malformed one raises
there; these helpers fall back to the raw text instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import suppress
from email.header import decode_header, make_header
from email.message import Message
from email.utils import parseaddr

__all__ = [
    "address_of",
    "all_headers",
    "content_type",
    "header_text",
    "iter_parts",
    "part_text",
    "report_type",
    "strip_brackets",
]

# More text than this is never needed to recognise who sent a message.
TEXT_LIMIT = 64 * 1024
_PARTS_LIMIT = 200
# Longer values skip the modern policy's parser, which takes seconds on a few hundred KB of
# junk (and re-parses on every read); the raw text serves for everything we look for.
_PARSE_LIMIT = 4 * 1024
_VALUE_LIMIT = 16 * 1024
_REPORT_TYPE = re.compile(r"report-type\s*=\s*\"?([\w.-]+)", re.IGNORECASE)
_CONTENT_TYPE = re.compile(r"^\s*([\w.+-]+/[\w.+-]+)")
_BRACKETED = re.compile(r"<([^<>\s]+)>")
_LINE_BREAKS = re.compile(r"[\r\n]+")


def _clean(value: object) -> str:
    text = _LINE_BREAKS.sub(" ", str(value)[:_VALUE_LIMIT])
    if "=?" in text:
        # Raw or compat32 values still carry RFC 2047 encoded words; decode them if possible.
        with suppress(Exception):  # undecodable: the raw text is a fine answer
            text = str(make_header(decode_header(text)))
    return text.strip()


def _raw_values(msg: Message, name: str) -> list[str]:
    wanted = name.lower()
    try:
        return [str(value) for key, value in msg.raw_items() if str(key).lower() == wanted]
    except Exception:
        return []


def all_headers(msg: Message, name: str) -> list[str]:
    """Every value of header ``name``, decoded where possible, raw where decoding fails."""
    raw = _raw_values(msg, name)
    if not raw or any(len(value) > _PARSE_LIMIT for value in raw):
        return [_clean(value) for value in raw]
    try:
        return [_clean(value) for value in msg.get_all(name) or ()]
    except Exception:
        return [_clean(value) for value in raw]


def header_text(msg: Message, name: str) -> str | None:
    """The first value of header ``name``; ``None`` when the message has no such header."""
    values = all_headers(msg, name)
    return values[0] if values else None


def address_of(value: str | None) -> tuple[str, str]:
    """``(display name, lower-cased address)`` of an address header value, ``("", "")`` if none."""
    if not value:
        return "", ""
    try:
        name, address = parseaddr(value)
    except Exception:
        return "", ""
    return name.strip(), address.strip().lower()


def strip_brackets(value: str | None) -> str | None:
    """A Message-ID without its angle brackets, or ``None`` when there is nothing usable."""
    if not value:
        return None
    match = _BRACKETED.search(value)
    token = match.group(1) if match else value.strip().strip("<>").strip()
    return token or None


def content_type(part: Message) -> str:
    """The part's lower-case ``type/subtype``; RFC 2045 says text/plain when it is unreadable."""
    raw = _raw_values(part, "content-type")
    if raw and len(raw[0]) > _PARSE_LIMIT:
        value = raw[0]
    else:
        try:
            value = part.get_content_type()
        except Exception:
            value = raw[0] if raw else ""
    # A missing ";" leaves parameters glued to the type ("text/plain   charset=...").
    match = _CONTENT_TYPE.match(value)
    return match.group(1).lower() if match else "text/plain"


def report_type(part: Message) -> str | None:
    """The ``report-type`` parameter of a multipart/report (RFC 6522), lower-cased."""
    raw = _raw_values(part, "content-type")
    try:
        value = part.get_param("report-type") if raw and len(raw[0]) <= _PARSE_LIMIT else None
    except Exception:
        value = None
    if isinstance(value, str):
        return value.strip().lower()
    match = _REPORT_TYPE.search(raw[0]) if raw else None
    return match.group(1).lower() if match else None


def iter_parts(msg: Message) -> Iterator[Message]:
    """The message and its parts, depth first, through multipart containers only.

    A ``message/rfc822`` part is yielded but not entered: what an enclosed message says about
    itself (a forwarded bounce, say) is not what the outer message is.
    """
    stack: list[Message] = [msg]
    seen = 0
    while stack and seen < _PARTS_LIMIT:
        part = stack.pop()
        seen += 1
        yield part
        if not content_type(part).startswith("multipart/"):
            continue
        try:
            children = part.get_payload()
        except Exception:
            children = None
        if isinstance(children, list):
            stack.extend(reversed([child for child in children if isinstance(child, Message)]))


def part_text(part: Message, limit: int = TEXT_LIMIT) -> str:
    """The decoded text of a leaf part, at most ``limit`` characters; ``""`` when unreadable."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        try:
            raw = part.get_payload()
        except Exception:
            return ""
        return raw[:limit] if isinstance(raw, str) else ""
    try:
        charset = part.get_content_charset() or "utf-8"
        return payload[: limit * 4].decode(charset, errors="replace")[:limit]
    except Exception:
        # Unknown charset names (LookupError) and broken parameters: UTF-8 is the best guess.
        return payload[: limit * 4].decode("utf-8", errors="replace")[:limit]
