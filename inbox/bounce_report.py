"""What a bounce says: failed recipients, status and the returned Message-ID.

Reads RFC 3464 delivery-status parts first, then the conventions of mailers that send none
(Exim's X-Failed-Recipients, Amazon SES notifications, plain-text reports).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32

from inbox.safe_headers import (
    address_of,
    all_headers,
    content_type,
    header_text,
    iter_parts,
    part_text,
    strip_brackets,
)

__all__ = [
    "DSN_TYPES",
    "RETURNED_TYPES",
    "DeliveryReport",
    "find_status",
    "human_text",
    "merged",
    "read_delivery_status",
    "read_plain_bounce",
    "read_ses_notification",
]

DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
# RFC 3462 (and RFC 6533 for internationalised mail): the returned message or its headers.
RETURNED_TYPES = frozenset({"message/rfc822", "message/global"})
RETURNED_HEADER_TYPES = frozenset({"text/rfc822-headers", "message/global-headers"})

# An RFC 3463 enhanced status code: class 2, 4 or 5, then subject and detail.
_STATUS = re.compile(r"(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?!\.?\d)")
_FAILURE_STATUS = re.compile(r"(?<![\d.])([45]\.\d{1,3}\.\d{1,3})(?!\.?\d)")
_LOCAL_CHAR = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
# Tried only where a run of local-part characters starts: linear time on long runs.
_ADDRESS = re.compile(rf"(?<!{_LOCAL_CHAR}){_LOCAL_CHAR}++@{_LABEL}(?:\.{_LABEL})+")
_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9-]*)\s*:\s*(.*)$")
# Where a plain-text bounce starts quoting the returned message: a separator line, or the
# first line that looks like one of its headers.
_QUOTE_MARKER = re.compile(
    r"^[ \t]*-+[ \t]*(?:this is a copy of|original message|unsent message|returned message|"
    r"undelivered message|message headers|headers of)"
    r"|^[ \t]*(?:original message follows|below this line is a copy|message headers follow|"
    r"this is a copy of the message|a copy of the original message|unsent message follows)",
    re.IGNORECASE | re.MULTILINE,
)
_QUOTED_HEADER = re.compile(
    r"^(?:received|return-path|message-id|dkim-signature|mime-version|content-type):",
    re.IGNORECASE | re.MULTILINE,
)
# Boundary and part-header lines left in the text of a multipart whose boundary was lost.
_MIME_NOISE = re.compile(r"^(?:--\S*|content-[\w-]+:.*|[ \t]*boundary=.*)$", re.I | re.M)
# Lines naming the sender or the message, not a recipient.
_NOT_RECIPIENT_LINE = re.compile(
    r"^\s*(?:mail from|from|sender|reply-to|return-path|message-id|in-reply-to|references)\b",
    re.IGNORECASE,
)
_CONTACT_LINE = re.compile(r"contact|assistance|for (?:more )?information", re.IGNORECASE)
# A line that opens with an address, or names an SMTP reply code or a failure, reports one.
_FAILURE_LINE = re.compile(
    r"^[\s>\[(]*<?[^\s@<>]+@|\b[45]\d\d\b|unknown|no such|does not exist|not found|"
    r"rejected|failed|undeliverable|invalid|mailbox|error",
    re.IGNORECASE,
)
_ROLE_LOCAL_PARTS = frozenset(
    {"postmaster", "post_master", "mailer-daemon", "mailer_daemon", "root", "abuse"}
    | {"no-reply", "noreply", "do-not-reply", "donotreply", "hostmaster", "bounce", "bounces"}
)
# A plain-text report naming more candidates than this is too ambiguous to act on.
_MAX_GUESSED = 5
# SNS may deliver the SES JSON itself as a JSON string, with every quote escaped.
_Q = r'\\?"'
_SES_TYPE = re.compile(rf"{_Q}notificationType{_Q}\s*:\s*{_Q}(\w+){_Q}")
_SES_RECIPIENTS = re.compile(rf"{_Q}bouncedRecipients{_Q}\s*:\s*\[(.*?)\]", re.DOTALL)
_SES_ADDRESS = re.compile(rf"{_Q}emailAddress{_Q}\s*:\s*{_Q}([^\"\\]+){_Q}")
_SES_BOUNCE_TYPE = re.compile(rf"{_Q}bounceType{_Q}\s*:\s*{_Q}(\w+){_Q}")
_SES_STATUS = re.compile(rf"{_Q}status{_Q}\s*:\s*{_Q}([245]\.\d{{1,3}}\.\d{{1,3}}){_Q}")


@dataclass(frozen=True)
class DeliveryReport:
    """The parts of a bounce the worker acts on; ``action`` is "failed", "delayed" or None."""

    recipients: tuple[str, ...] = ()
    status: str | None = None
    action: str | None = None
    original_message_id: str | None = None


def find_status(text: str | None, *, failures_only: bool = False) -> str | None:
    """The first RFC 3463 status code in ``text`` ("5.1.1"), or None."""
    if not text:
        return None
    match = (_FAILURE_STATUS if failures_only else _STATUS).search(text)
    return match.group(1) if match else None


def merged(first: DeliveryReport, second: DeliveryReport) -> DeliveryReport:
    """``first``, with the fields it lacks taken from ``second`` (recipients as one whole)."""
    if first.recipients:
        recipients, action = first.recipients, first.action
    else:
        recipients, action = second.recipients, second.action or first.action
    return DeliveryReport(
        recipients=recipients,
        status=first.status or second.status,
        action=action,
        original_message_id=first.original_message_id or second.original_message_id,
    )


def human_text(msg: Message) -> str:
    """The first text part outside any enclosed message: the report people are meant to read."""
    html = broken = ""
    for part in iter_parts(msg):
        kind = content_type(part)
        if kind == "text/plain":
            return part_text(part)
        if kind == "text/html" and not html:
            html = re.sub(r"<[^>]*>", " ", part_text(part))
        elif kind.startswith("multipart/") and not broken:
            # A multipart whose boundary could not be found is left as one block of text.
            broken = _MIME_NOISE.sub("", part_text(part))
    return html or broken


# --- RFC 3464 delivery-status parts -------------------------------------------------------


def _recipient(value: str | None) -> str | None:
    # RFC 3464 2.3.2: "Final-Recipient: rfc822; user@example.com" (address type, then address).
    if not value:
        return None
    address = value.split(";", 1)[1] if ";" in value else value
    address = address.strip().strip("<>").strip().lower()
    if address.startswith("@") and ":" in address:
        # An RFC 5321 source route ("@relay:user@example.com"): only the mailbox counts.
        address = address.rsplit(":", 1)[1]
    local, at, domain = address.rpartition("@")
    if len(local) > 1 and local[0] == local[-1] == '"':
        local = local[1:-1]  # a quoted local part names the same mailbox unquoted
    return f"{local}@{domain}" if at and local and domain else None


def _blocks_of(part: Message) -> list[dict[str, str]]:
    """The field groups of a delivery-status part, keys lower-cased (RFC 3464 section 2.1)."""
    try:
        payload = part.get_payload()
    except Exception:
        return []
    blocks: list[dict[str, str]] = []
    if isinstance(payload, list):
        for block in payload:
            if isinstance(block, Message):
                fields: dict[str, str] = {}
                for key, value in block.raw_items():
                    fields.setdefault(str(key).lower(), " ".join(str(value).split()))
                blocks.append(fields)
        return blocks
    # Not split by the parser (an unusual transfer encoding): split on blank lines ourselves.
    fields = {}
    for line in part_text(part).splitlines():
        if not line.strip():
            if fields:
                blocks.append(fields)
            fields = {}
        elif line[:1].isspace() and fields:
            last = next(reversed(fields))
            fields[last] += " " + line.strip()
        elif match := _FIELD.match(line):
            fields.setdefault(match.group(1).lower(), match.group(2).strip())
    if fields:
        blocks.append(fields)
    return blocks


def _block_status(fields: dict[str, str]) -> str | None:
    # Status is required (RFC 3464 2.3.4); some MTAs only give it inside the Diagnostic-Code.
    return find_status(fields.get("status")) or find_status(fields.get("diagnostic-code"))


def read_delivery_status(msg: Message) -> DeliveryReport | None:
    """The RFC 3464 report of the delivery-status parts, or None without one.

    Recipients whose Action is "failed" win over "delayed" ones, so that every address in a
    report whose action is "failed" really failed. A block without Action is judged by the
    class of its Status (RFC 3464 2.3.3: failed goes with 5.x.x, delayed with 4.x.x).
    """
    parts = [part for part in iter_parts(msg) if content_type(part) in DSN_TYPES]
    if not parts:
        return None
    failed: list[dict[str, str]] = []
    delayed: list[dict[str, str]] = []
    # Some reports split their fields over several delivery-status parts; read them all.
    for fields in (fields for part in parts for fields in _blocks_of(part)):
        status = _block_status(fields)
        action = fields.get("action", "").split(" ", 1)[0].lower()
        if not action and status:
            action = {"5": "failed", "4": "delayed"}.get(status[0], "")
        if action == "failed":
            failed.append(fields)
        elif action == "delayed":
            delayed.append(fields)
    chosen = failed or delayed
    recipients: list[str] = []
    for fields in chosen:
        for key in ("final-recipient", "original-recipient"):
            address = _recipient(fields.get(key))
            if address and address not in recipients:
                recipients.append(address)
    statuses = (_block_status(fields) for fields in chosen)
    return DeliveryReport(
        recipients=tuple(recipients),
        status=next((status for status in statuses if status), None),
        action="failed" if failed else "delayed" if delayed else None,
        original_message_id=strip_brackets(_returned_header(msg, "message-id")),
    )


# --- the returned message -----------------------------------------------------------------


def _split_report(text: str) -> tuple[str, str]:
    """``text`` cut where it starts quoting the returned message: (report, quoted copy)."""
    marker = _QUOTE_MARKER.search(text)
    header = _QUOTED_HEADER.search(text)
    starts = [match.start() for match in (marker, header) if match]
    if not starts:
        return text, ""
    cut = min(starts)
    quoted = text[cut:]
    first_header = _QUOTED_HEADER.search(quoted)
    return text[:cut], quoted[first_header.start() :] if first_header else ""


def _returned_headers(msg: Message) -> Message | None:
    """The headers of the returned message: enclosed, as a headers part, or quoted inline."""
    for part in iter_parts(msg):
        kind = content_type(part)
        if kind in RETURNED_TYPES:
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
        elif kind in RETURNED_HEADER_TYPES:
            return HeaderParser(policy=compat32).parsestr(part_text(part))
    quoted = _split_report(human_text(msg))[1]
    # Plain-text bounces (Exim, qmail, sendmail v5) quote the returned headers in their body.
    return HeaderParser(policy=compat32).parsestr(quoted) if quoted else None


def _returned_header(msg: Message, name: str) -> str | None:
    try:
        headers = _returned_headers(msg)
    except Exception:
        return None
    return header_text(headers, name) if headers is not None else None


# --- plain-text bounces -------------------------------------------------------------------


def _excluded_addresses(msg: Message) -> set[str]:
    """Addresses in the bounce's own headers and the returned message's sender: not failures."""
    found: set[str] = set()
    for name in ("from", "to", "cc", "reply-to", "return-path", "sender", "delivered-to"):
        for value in all_headers(msg, name):
            found.update(address.lower() for address in _ADDRESS.findall(value))
    for name in ("from", "sender", "return-path", "reply-to"):
        _, address = address_of(_returned_header(msg, name))
        if address:
            found.add(address)
    return found


def _guess_recipients(msg: Message, text: str) -> tuple[str, ...]:
    """Addresses a plain-text bounce reports as failed, or () when that is ambiguous.

    Taken from the report before any quoted copy, leaving out the bounce's own addresses, the
    returned message's sender, role accounts and "please contact" lines; addresses that open a
    line or share it with an SMTP code or failure wording win over the rest. Failing all that,
    the returned message's single To address (its only recipient is the one that failed).
    """
    excluded = _excluded_addresses(msg)
    strong: list[str] = []
    weak: list[str] = []
    for line in _split_report(text)[0].splitlines():
        if _NOT_RECIPIENT_LINE.match(line) or _CONTACT_LINE.search(line):
            continue
        for address in _ADDRESS.findall(line):
            address = address.lower().rstrip(".")
            if address in excluded or address.split("@", 1)[0] in _ROLE_LOCAL_PARTS:
                continue
            found = strong if _FAILURE_LINE.search(line) else weak
            if address not in found:
                found.append(address)
    candidates = strong or [address for address in weak if address not in strong]
    if candidates:
        return tuple(candidates) if len(candidates) <= _MAX_GUESSED else ()
    to = _ADDRESS.findall(_returned_header(msg, "to") or "")
    if len(to) == 1 and not _returned_header(msg, "cc"):
        return (to[0].lower(),)
    return ()


def read_plain_bounce(msg: Message, failed_recipients: tuple[str, ...] = ()) -> DeliveryReport:
    """What a bounce without a usable delivery-status part says, read conservatively.

    ``failed_recipients`` are those of an X-Failed-Recipients header (Exim, Gmail): that header
    lists only addresses that failed for good. Without it, addresses are guessed from the text.
    """
    text = human_text(msg)
    return DeliveryReport(
        recipients=failed_recipients or _guess_recipients(msg, text),
        status=find_status(_split_report(text)[0], failures_only=True),
        action="failed" if failed_recipients else None,
        original_message_id=strip_brackets(_returned_header(msg, "message-id")),
    )


def read_ses_notification(text: str) -> tuple[str, DeliveryReport] | None:
    """An Amazon SES notification sent by SNS as JSON text: ``(notification type, report)``.

    Searched, not parsed: SNS mail wraps long lines, which breaks the JSON but not the fields.
    """
    match = _SES_TYPE.search(text)
    if not match:
        return None
    kind = match.group(1).lower()
    if kind != "bounce":
        return kind, DeliveryReport()
    block = _SES_RECIPIENTS.search(text)
    recipients = _SES_ADDRESS.findall(block.group(1)) if block else []
    bounce_type = _SES_BOUNCE_TYPE.search(text)
    # SES "Permanent" bounces are failures; "Transient" ones may still be retried.
    permanent = bool(bounce_type and bounce_type.group(1).lower() == "permanent")
    status = _SES_STATUS.search(text)
    return kind, DeliveryReport(
        recipients=tuple(dict.fromkeys(address.lower() for address in recipients)),
        status=status.group(1) if status else None,
        action="failed" if permanent else None,
    )
