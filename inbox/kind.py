"""Who sent a message: a customer, or a machine we must never answer (bounce, auto-reply, list).

Pure function of the parsed message; it never raises, whatever the headers hold.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from email.message import Message
from functools import cached_property

from inbox.bounce_report import (
    DSN_TYPES,
    RETURNED_TYPES,
    DeliveryReport,
    find_status,
    human_text,
    merged,
    read_delivery_status,
    read_plain_bounce,
    read_ses_notification,
)
from inbox.kind_markers import (
    AUTO_REPLY_HEADERS,
    BOUNCE_SUBJECT,
    BOUNCE_WORDING,
    DENIALS,
    LIST_HEADERS,
    MTA_LOCAL_PARTS,
    MTA_NAME,
    NO_REPLY_LOCAL_PARTS,
    OWN_HEADERS,
    ROLE_LOCAL_PARTS,
    ROLE_NAME,
    VACATION_SUBJECT,
)
from inbox.message import KindResult
from inbox.safe_headers import (
    address_of,
    all_headers,
    content_type,
    header_text,
    iter_parts,
    report_type,
    strip_brackets,
)
from models.mail import MessageKind

__all__ = ["detect_kind", "is_machine", "is_permanent_failure"]

logger = logging.getLogger(__name__)

# Opens the bracketed details of the reason of a bounce whose report gave up on the delivery:
# KindResult has no field for the RFC 3464 Action, and "failed" can come with a 4.x.x status
# (a message that expired in the queue). Quoted header text never contains "[".
_ACTION_FAILED = "[Action: failed"
_LIST_ID = re.compile(r"<([^<>\s]+)>\s*$")
_MAILTO = re.compile(r"<mailto:([^<>?\s]+)", re.IGNORECASE)


@dataclass
class _Mail:
    """Lazily read facts about one message; every read is defensive."""

    msg: Message
    _headers: dict[str, str | None] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        # Cached: the modern policy parses a header again on every read.
        if name not in self._headers:
            self._headers[name] = header_text(self.msg, name)
        return self._headers[name]

    def has(self, name: str) -> bool:
        return self.header(name) is not None

    @cached_property
    def sender(self) -> tuple[str, str]:
        return address_of(self.header("from"))

    @cached_property
    def subject(self) -> str:
        return self.header("subject") or ""

    @cached_property
    def content_type(self) -> str:
        return content_type(self.msg)

    @cached_property
    def report_type(self) -> str | None:
        return report_type(self.msg) if self.content_type == "multipart/report" else None

    @cached_property
    def part_types(self) -> frozenset[str]:
        return frozenset(content_type(part) for part in iter_parts(self.msg))

    @cached_property
    def text(self) -> str:
        return human_text(self.msg)

    @cached_property
    def null_return_path(self) -> bool:
        # RFC 5321 4.5.5: notifications go out with a null reverse-path, shown as "<>" (or, by
        # some MTAs, as MAILER-DAEMON); RFC 3834 3.3 asks the same of auto-replies.
        for name in ("return-path", "x-envelope-from"):
            value = self.header(name)
            if value is not None:
                stripped = value.strip().strip("<>").strip().lower()
                return stripped in ("", "mailer-daemon") or stripped.startswith("mailer-daemon@")
        return False

    @cached_property
    def auto_submitted(self) -> str | None:
        # RFC 3834 5.1: a keyword, optionally followed by parameters or a comment.
        value = self.header("auto-submitted")
        if value is None:
            return None
        return re.split(r"[\s;(]", value.strip(), maxsplit=1)[0].lower()


def _quote(value: str) -> str:
    """A header value fit for a reason: short, one line, no "[" to forge bounce details."""
    return " ".join(value.split())[:80].replace("[", "(").replace("]", ")")


def _bounce(evidence: str, read: Callable[[], DeliveryReport]) -> KindResult:
    """A bounce result; details that cannot be read leave it a bounce all the same."""
    try:
        report = read()
    except Exception:
        logger.debug("bounce details unreadable", exc_info=True)
        report = DeliveryReport()
    details = []
    if report.action:
        details.append(f"Action: {report.action}")
    if report.status:
        details.append(f"Status: {report.status}")
    return KindResult(
        kind=MessageKind.BOUNCE,
        reason=f"{evidence} [{', '.join(details)}]" if details else evidence,
        failed_recipients=report.recipients,
        status=report.status,
        original_message_id=report.original_message_id,
    )


def _own(
    mail: _Mail,
    own_addresses: Collection[str],
    is_own_message_id: Callable[[str], bool] | None,
) -> KindResult | None:
    message_id = strip_brackets(mail.header("message-id"))
    if message_id and is_own_message_id is not None:
        try:
            ours = is_own_message_id(message_id)
        except Exception:
            logger.debug("is_own_message_id failed for %r", message_id, exc_info=True)
            ours = False
        if ours:
            reason = f"Message-ID <{_quote(message_id)}> is in our format"
            return KindResult(MessageKind.OWN, reason)
    for name in OWN_HEADERS:
        if mail.has(name):
            return KindResult(MessageKind.OWN, f"{name} header")
    address = mail.sender[1]
    if address and address in {own.strip().lower() for own in own_addresses}:
        # A list that posts our mail back under its own Message-ID keeps our From: it is the
        # list's copy, not one of ours (no reply to record, nothing to answer).
        if _our_group(mail, own_addresses) is None:
            for name in LIST_HEADERS:
                value = mail.header(name)
                if value is not None:
                    reason = f"From {address}, posted back by a list ({name}: {_quote(value)})"
                    return KindResult(MessageKind.LIST, reason)
        return KindResult(MessageKind.OWN, f"From {address} is one of our addresses")
    return None


def _feedback(mail: _Mail) -> KindResult | None:
    # RFC 5965 (ARF): a multipart/report of type feedback-report with a message/feedback-report.
    if mail.report_type == "feedback-report":
        return KindResult(MessageKind.FEEDBACK, "multipart/report; report-type=feedback-report")
    if "message/feedback-report" in mail.part_types:
        return KindResult(MessageKind.FEEDBACK, "message/feedback-report part")
    ses = read_ses_notification(mail.text) if mail.sender[1].endswith(".amazonaws.com") else None
    if ses and ses[0] == "complaint":
        return KindResult(MessageKind.FEEDBACK, "Amazon SES notification: Complaint")
    return None


def _x_failed_recipients(mail: _Mail) -> tuple[str, ...]:
    # Exim and Gmail list here only the recipients whose delivery failed for good.
    return tuple(
        dict.fromkeys(
            address.strip().strip("<>").lower()
            for value in all_headers(mail.msg, "x-failed-recipients")
            for address in value.split(",")
            if "@" in address
        )
    )


def _standard_bounce(mail: _Mail) -> KindResult | None:
    """Machine-readable evidence: an RFC 3464 report, X-Failed-Recipients, an MTA sender."""
    failed = _x_failed_recipients(mail)
    if mail.report_type == "delivery-status" or mail.part_types & DSN_TYPES:

        def read_report() -> DeliveryReport:
            report = read_delivery_status(mail.msg) or DeliveryReport()
            if report.recipients and report.status:
                return report
            # A report without per-recipient fields: its human-readable part still tells.
            return merged(report, read_plain_bounce(mail.msg, failed))

        evidence = (
            "multipart/report; report-type=delivery-status"
            if mail.report_type == "delivery-status"
            else "message/delivery-status part"
        )
        return _bounce(evidence, read_report)
    if failed:
        evidence = f"X-Failed-Recipients: {_quote(', '.join(failed))}"
        return _bounce(evidence, lambda: read_plain_bounce(mail.msg, failed))
    if mail.sender[1].endswith(".amazonaws.com"):
        # Amazon SES reports bounces (and deliveries) to its users as JSON sent through SNS.
        ses = read_ses_notification(mail.text)
        if ses and ses[0] in ("bounce", "delivery"):
            report = ses[1]
            return _bounce(f"Amazon SES notification: {ses[0].title()}", lambda: report)
    name, address = mail.sender
    local = address.split("@", 1)[0]
    if local in MTA_LOCAL_PARTS or name.lower() in MTA_LOCAL_PARTS or MTA_NAME.search(name):
        evidence = f"From {_quote(name or address)} (a mail server)"
        return _bounce(evidence, lambda: read_plain_bounce(mail.msg))
    if mail.header("from") == "<>":
        # A null address as author: only delivery software writes that.
        return _bounce("From: <> (null sender)", lambda: read_plain_bounce(mail.msg))
    return None


def _report_of_other_type(mail: _Mail) -> KindResult | None:
    # RFC 8098 message disposition notifications (read receipts) answer a message automatically.
    if mail.report_type == "disposition-notification" or (
        "message/disposition-notification" in mail.part_types
    ):
        return KindResult(
            MessageKind.AUTO_REPLY, "multipart/report; report-type=disposition-notification"
        )
    return None


def _auto_submitted(mail: _Mail) -> KindResult | None:
    # RFC 3834 5: any value but "no" means an automatic sender. "auto-generated" (not a reply
    # to anything: notifications, newsletters) is left for the list rule below.
    value = mail.auto_submitted
    if value is None or value in ("no", "", "auto-generated"):
        return None
    return KindResult(MessageKind.AUTO_REPLY, f"Auto-Submitted: {_quote(value)}")


def _guessed_bounce(mail: _Mail) -> KindResult | None:
    """A bounce with no machine-readable part: who sent it AND what it says must both fit."""
    name, address = mail.sender
    local = address.split("@", 1)[0]
    reply_to = address_of(mail.header("reply-to"))[1]
    no_reply = local in NO_REPLY_LOCAL_PARTS and (
        # A Reply-To pointing at someone else means a person (a web form) is behind it.
        not reply_to or reply_to.split("@", 1)[0] in NO_REPLY_LOCAL_PARTS
    )
    who = None
    if local in ROLE_LOCAL_PARTS or ROLE_NAME.search(name) or no_reply:
        who = f"From {_quote(address or name)}"
    elif mail.null_return_path:
        who = "null Return-Path"
    if who is None:
        return None
    what = None
    if BOUNCE_SUBJECT.search(mail.subject):
        what = f"Subject: {_quote(mail.subject)}"
    elif wording := BOUNCE_WORDING.search(mail.text):
        what = f'text says "{_quote(wording.group(0))}"'
    elif find_status(mail.text, failures_only=True) and mail.part_types & RETURNED_TYPES:
        what = "status code and returned message"
    if what is None:
        return None
    return _bounce(f"{who} and {what}", lambda: read_plain_bounce(mail.msg))


def _auto_reply(mail: _Mail) -> KindResult | None:
    for name in AUTO_REPLY_HEADERS:
        value = mail.header(name)
        if value is not None and value.strip().lower() not in DENIALS:
            return KindResult(MessageKind.AUTO_REPLY, f"{name}: {_quote(value)}")
    # X-Auto-Response-Suppress is deliberately not read: Outlook and Exchange put it on ordinary
    # mail to ask for no auto-replies; it says nothing about who wrote the message.
    for name in ("precedence", "x-precedence"):
        value = (mail.header(name) or "").strip().lower()
        if value == "auto_reply":
            return KindResult(MessageKind.AUTO_REPLY, f"Precedence: {value}")
    if (mail.header("x-apple-action") or "").strip().lower() == "vacation":
        return KindResult(MessageKind.AUTO_REPLY, "X-Apple-Action: VACATION")
    subject = unicodedata.normalize("NFC", mail.subject).casefold()
    if VACATION_SUBJECT.search(subject):
        return KindResult(MessageKind.AUTO_REPLY, f"Subject: {_quote(mail.subject)}")
    return None


def _mailing_list(mail: _Mail, own_addresses: Collection[str]) -> KindResult | None:
    # Mail to a support address that is itself a group (Google Groups, Mailman) carries the
    # group's own List-* fields and "Precedence: list": those say nothing about the sender.
    ours = _our_group(mail, own_addresses)
    if ours is None:
        for name in LIST_HEADERS:
            value = mail.header(name)
            if value is not None:
                return KindResult(MessageKind.LIST, f"{name}: {_quote(value)}")
    # RFC 2076/3834: Precedence bulk, list and junk mark mass mailings.
    precedence = (mail.header("precedence") or "").strip().lower()
    if precedence in ("bulk", "junk") or (precedence == "list" and ours is None):
        return KindResult(MessageKind.LIST, f"Precedence: {precedence}")
    if mail.auto_submitted == "auto-generated":
        return KindResult(MessageKind.LIST, "Auto-Submitted: auto-generated")
    return None


def _our_group(mail: _Mail, own_addresses: Collection[str]) -> str | None:
    """Our address when the message's list is one of our own addresses, else None.

    RFC 2919 List-Id of a group at support@example.com is ``<support.example.com>`` (Google
    Groups, Mailman 3); RFC 2369 List-Post is ``<mailto:support@example.com>``.
    """
    own = {address.strip().lower() for address in own_addresses}
    if not own:
        return None
    list_id = _LIST_ID.search(mail.header("list-id") or "")
    if list_id is not None:
        by_id = {address.replace("@", "."): address for address in own}
        found = by_id.get(list_id.group(1).lower())
        if found is not None:
            return found
    list_post = _MAILTO.search(mail.header("list-post") or "")
    if list_post is not None and list_post.group(1).lower() in own:
        return list_post.group(1).lower()
    return None


def detect_kind(
    msg: Message,
    *,
    own_addresses: Collection[str] = (),
    is_own_message_id: Callable[[str], bool] | None = None,
) -> KindResult:
    """Classify ``msg``; the first rule that matches wins, most specific first.

    1. own: our Message-ID format (``is_own_message_id`` gets it without angle brackets), an
       X-Amends-* header, or a From in ``own_addresses``;
    2. feedback: an ARF report (RFC 5965);
    3. bounce with machine-readable evidence: RFC 3464 report, X-Failed-Recipients, a
       MAILER-DAEMON / "Mail Delivery System" sender, an Amazon SES bounce notification;
    4. auto-reply: a read receipt (RFC 8098) or Auto-Submitted other than "no" and
       "auto-generated" (RFC 3834) - the sender's own word outranks the guesses below;
    5. bounce guessed from a postmaster-like sender or null Return-Path together with a
       delivery-failure subject or wording;
    6. auto-reply by vendor headers, Precedence: auto_reply or a vacation subject - before the
       list rule, because responders often add Precedence: bulk too;
    7. list or bulk: RFC 2369/2919 List-* fields, Precedence bulk/list/junk, auto-generated -
       except the List-* fields and Precedence: list of a group that is one of ``own_addresses``
       (a support address run as a Google Group or Mailman list);
    8. otherwise a customer.
    A rule that fails on a malformed message is skipped; the function never raises.
    """
    mail = _Mail(msg)
    rules: tuple[tuple[str, Callable[[], KindResult | None]], ...] = (
        ("own", lambda: _own(mail, own_addresses, is_own_message_id)),
        ("feedback", lambda: _feedback(mail)),
        ("standard bounce", lambda: _standard_bounce(mail)),
        ("report", lambda: _report_of_other_type(mail)),
        ("auto-submitted", lambda: _auto_submitted(mail)),
        ("guessed bounce", lambda: _guessed_bounce(mail)),
        ("auto-reply", lambda: _auto_reply(mail)),
        ("list", lambda: _mailing_list(mail, own_addresses)),
    )
    for name, rule in rules:
        try:
            result = rule()
        except Exception:
            logger.debug("kind rule %r failed on a malformed message", name, exc_info=True)
            continue
        if result is not None:
            return result
    group = _our_group(mail, own_addresses)
    if group is not None:
        return KindResult(
            MessageKind.CUSTOMER, f"no machine markers (came through our group {group})"
        )
    return KindResult(MessageKind.CUSTOMER, "no machine markers")


def is_machine(result: KindResult) -> bool:
    """True for everything but customer mail: no draft, no follow-up, ever."""
    return result.kind is not MessageKind.CUSTOMER


def is_permanent_failure(result: KindResult) -> bool:
    """True when a bounce says the delivery was given up: Action failed or a 5.x.x status.

    Only such a result may mark an address undeliverable; a delayed report (Action: delayed,
    4.x.x such as 4.4.7) is still machine mail, but the message may yet arrive.
    """
    if result.kind is not MessageKind.BOUNCE:
        return False
    permanent_status = bool(result.status and result.status.startswith("5"))
    return permanent_status or _ACTION_FAILED in result.reason
