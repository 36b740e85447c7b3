"""The MIME tree walked once, within limits: the body text (plain preferred, else HTML rendered)
and every non-body part listed as an attachment, with the files inside TNEF containers."""

from __future__ import annotations

import binascii
import logging
import re
from dataclasses import dataclass, field
from email.message import Message
from email.policy import Compat32

from inbox.charsets import clean_text, decode_bytes
from inbox.html_render import html_to_text
from inbox.message import Attachment
from inbox.mime_headers import decode_value
from inbox.mime_limits import MAX_DEPTH, MAX_PARTS
from inbox.winmail import is_tnef, tnef_attachments

log = logging.getLogger(__name__)

MAX_BODY_CHARS = 1_000_000
_BODY_TYPES = ("text/plain", "text/html")
# Enclosed messages whose text can stand in for a body that has none of its own.
_ENCLOSED_MESSAGES = ("message/rfc822", "message/global")
_ODD_SPELLINGS = ("base64", "quoted-printable", "quoted printable", "qp")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")
_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset=[\"']?([A-Za-z0-9_.:-]{1,40})", re.I)


class RawHeaderPolicy(Compat32):
    """compat32 parsing with header values handed back exactly as parsed (never ``Header``).

    compat32 is an order of magnitude faster than the modern policy on multipart mail, which
    re-parses Content-Type several times per part; headers are decoded by ``mime_headers``.
    """

    def header_fetch_parse(self, name: str, value: str) -> str:
        return value


RAW_POLICY = RawHeaderPolicy()


@dataclass(frozen=True)
class MessageParts:
    body_text: str
    attachments: tuple[Attachment, ...]
    defects: tuple[str, ...]


def read_parts(message: Message) -> MessageParts:
    """Body text and attachments of a parsed message; never raises on a malformed tree."""
    walker = _Walker()
    body = walker.body(walker.visit(message, 0))
    if not body.strip() and walker.enclosed:
        # No text of its own (a bare forward or a bounce without a report): use the enclosed one.
        inner = _Walker(parts=walker.parts)
        body = inner.body(inner.visit(walker.enclosed[0], 1))
        walker.defects.update(inner.defects)
    return MessageParts(body, tuple(walker.attachments), tuple(walker.defects))


@dataclass
class _Segment:
    """A body text part; decoded only if chosen, because decoding and rendering cost most."""

    part: Message
    html: bool
    notes: list[str] = field(default_factory=list)
    _text: str | None = None

    def text(self) -> str:
        if self._text is None:
            data = payload_bytes(self.part)
            label = _charset(self.part)
            if label is None and self.html:
                meta = _META_CHARSET.search(data[:4096])
                label = meta.group(1).decode("ascii") if meta else None
            text, note = decode_bytes(data, label)
            if note:
                self.notes.append(note)
            self._text = html_to_text(text) if self.html else text
        return self._text


class _Walker:
    def __init__(self, parts: int = 0) -> None:
        self.parts = parts
        self.attachments: list[Attachment] = []
        # A dict keeps the defects in order without repeats.
        self.defects: dict[str, None] = {}
        self.enclosed: list[Message] = []

    def defect(self, note: str) -> None:
        self.defects[note] = None

    def visit(self, part: Message, depth: int) -> list[_Segment]:
        if self.parts >= MAX_PARTS:
            self.defect(f"mime: parts capped at {MAX_PARTS}")
            return []
        if depth > MAX_DEPTH:
            self.defect(f"mime: nesting capped at {MAX_DEPTH}")
            return []
        self.parts += 1
        for found in getattr(part, "defects", ()):
            self.defect(f"mime: {type(found).__name__}")
        content_type = _content_type(part)
        if part.is_multipart():
            children = _children(part)
            if content_type.startswith("message/"):
                self._enclosed(part, content_type, children)
                return []
            return self._container(content_type, children, depth)
        if content_type.startswith(("multipart/", "message/")):
            # Declared as a container but unparsable (no boundary): its text is still text.
            self.defect("mime: container without parts read as text")
            content_type = "text/plain"
        filename = _filename(part)
        if content_type in _BODY_TYPES and _disposition(part) != "attachment" and not filename:
            return [_Segment(part, content_type == "text/html")]
        self._attach(part, content_type, filename)
        return []

    def _container(self, content_type: str, children: list[Message], depth: int) -> list[_Segment]:
        options = [self.visit(child, depth + 1) for child in children]
        if content_type == "multipart/alternative":
            return _choose(options)
        if content_type in ("multipart/related", "multipart/signed", "multipart/encrypted"):
            # Only the first part is content: the rest are its images or its signature.
            return options[0] if options else []
        return [segment for option in options for segment in option]

    def _enclosed(self, part: Message, content_type: str, children: list[Message]) -> None:
        if content_type in _ENCLOSED_MESSAGES and children:
            self.enclosed.append(children[0])
        self.attachments.append(Attachment(_filename(part), content_type, _approx_size(part)))

    def _attach(self, part: Message, content_type: str, filename: str | None) -> None:
        data = payload_bytes(part)
        self.attachments.append(Attachment(filename, content_type, len(data)))
        if is_tnef(content_type, filename):
            files, note = tnef_attachments(data, filename or "winmail.dat")
            self.attachments.extend(files)
            if note:
                self.defect(note)

    def body(self, segments: list[_Segment]) -> str:
        texts: list[str] = []
        length = 0
        for segment in segments:
            text = segment.text().strip("\r\n")
            for note in segment.notes:
                self.defect(note)
            if not text.strip():
                continue
            texts.append(text)
            length += len(text) + 2
            if length > MAX_BODY_CHARS:
                self.defect(f"mime: body capped at {MAX_BODY_CHARS} chars")
                break
        return "\n\n".join(texts)[:MAX_BODY_CHARS]


def _choose(options: list[list[_Segment]]) -> list[_Segment]:
    """The alternative to read: plain text with content first, else HTML, else anything."""
    for option in options:
        if option and not any(s.html for s in option) and any(s.text().strip() for s in option):
            return option
    for option in options:
        if any(s.html for s in option):
            return option
    return next((option for option in options if option), [])


def payload_bytes(part: Message) -> bytes:
    """The part's content with its transfer encoding undone, tolerating broken encodings.

    ``get_payload(decode=True)`` is the only stdlib call that returns the original bytes (plain
    ``get_payload()`` decodes 8-bit text with ``errors="replace"``); it handles base64 with bad
    padding and uuencode, but only for exactly spelled encodings, so odd spellings
    ("base64;", "Quoted Printable") are decoded here.
    """
    if part.is_multipart():
        return b""
    try:
        data = part.get_payload(decode=True)
    except Exception:  # the uudecoder and RFC 2231 charset lookups can raise on damage
        return b""
    if not isinstance(data, bytes):
        return b""
    spelled = _header(part, "content-transfer-encoding").lower()
    cte = spelled.split(";", 1)[0].strip(" \t\"'")
    if spelled in ("base64", "quoted-printable") or cte not in _ODD_SPELLINGS:
        return data  # decoded by the stdlib already, or not encoded at all
    if cte != "base64":
        return binascii.a2b_qp(data)
    try:
        return binascii.a2b_base64(data)
    except binascii.Error:
        # Bad padding or stray characters: keep every whole byte that can be recovered.
        cleaned = _NOT_BASE64.sub(b"", data)
        if len(cleaned) % 4 == 1:
            cleaned = cleaned[:-1]
        return binascii.a2b_base64(cleaned + b"=" * (-len(cleaned) % 4))


def _children(part: Message) -> list[Message]:
    payload = part.get_payload()
    if not isinstance(payload, list):
        return []
    return [child for child in payload if isinstance(child, Message)]


def _header(part: Message, name: str) -> str:
    value = part.get(name)
    return value if isinstance(value, str) else ""


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # a header the stdlib cannot split: read the part as text
        return "text/plain"


def _disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:
        return None


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:
        return None


def _filename(part: Message) -> str | None:
    try:
        raw = part.get_filename()
    except Exception:  # RFC 2231 continuations in an unknown charset, and worse
        return None
    if not isinstance(raw, str):
        return None
    # Encoded words in filenames are not standard but common; raw 8-bit names too.
    name, _ = decode_value(raw)
    name = clean_text(name).strip()
    return name[:255] or None


def _approx_size(part: Message) -> int:
    """Size of an enclosed message: its headers and encoded payloads, without serialising it."""
    size, stack, seen = 0, [part], 0
    while stack and seen < MAX_PARTS:
        current = stack.pop()
        seen += 1
        size += sum(len(name) + len(value) + 4 for name, value in current.raw_items())
        if current.is_multipart():
            stack.extend(_children(current))
        else:
            size += len(payload_bytes(current))
    return size
