"""Kind detection on the real corpora and on hand-built messages: who sent this mail?

Corpora (see ../shared/corpora/README.md): sisimai/set-of-emails (BSD-2-Clause), mailgun/flanker
(Apache-2.0), mikel/mail (MIT), CPython's email test data (PSF-2.0).
"""

from __future__ import annotations

import email
import email.policy
import re
from email.header import Header
from email.message import Message
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox.kind import detect_kind, is_machine, is_permanent_failure
from inbox.message import KindResult
from models.mail import MessageKind

STATUS = re.compile(r"^\d\.\d+\.\d+$")


def parse(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=email.policy.default)


def load(path: Path) -> Message:
    return parse(path.read_bytes())


def build(
    headers: dict[str, str], body: str = "Hello,\r\nmy parcel arrived broken.\r\n"
) -> Message:
    """A message as it comes off the wire: headers (non-ASCII ones as RFC 2047 words), body."""
    lines = []
    for name, value in headers.items():
        encoded = value if value.isascii() else Header(value, "utf-8").encode()
        lines.append(f"{name}: {encoded}")
    return parse(("\r\n".join(lines) + "\r\n\r\n" + body).encode())


CUSTOMER = {
    "From": "Jane Doe <jane.doe@example.org>",
    "To": "Support <support@shop.example>",
    "Subject": "My order #1234 arrived broken",
    "Date": "Mon, 02 Mar 2026 10:00:00 +0100",
    "Message-ID": "<CAF1234abcd@mail.example.org>",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=utf-8",
}


def customer(**extra: str) -> Message:
    return build({**CUSTOMER, **{name.replace("_", "-"): value for name, value in extra.items()}})


def corpus(corpus_messages: list[Path], folder: str, *prefixes: str) -> list[Path]:
    found = [p for p in corpus_messages if p.parent.name == folder and p.name.startswith(prefixes)]
    assert found, f"no {prefixes} files in {folder}"
    return found


def by_name(corpora_dir: Path, name: str) -> KindResult:
    return detect_kind(load(corpora_dir / name))


# --- the corpora ----------------------------------------------------------------------------


def test_detect_kind_never_raises_on_any_corpus_message(corpus_messages: list[Path]) -> None:
    failures = []
    for path in corpus_messages:
        try:
            result = detect_kind(load(path))
        except Exception as exc:  # the assertion below lists every file that raised
            failures.append(f"{path.name}: {exc!r}")
            continue
        assert isinstance(result, KindResult)
        assert result.reason
    assert failures == []


# The one file named like a bounce that is something else: an Amazon SES *complaint*
# notification (a recipient pressed "this is spam"), i.e. a feedback report.
NOT_BOUNCES = {"lhost-amazonses-11.eml": MessageKind.FEEDBACK}


def bounce_files(corpus_messages: list[Path]) -> list[Path]:
    return corpus(corpus_messages, "sisimai", "lhost-", "rhost-") + corpus(
        corpus_messages, "flanker", "bounce-"
    )


def test_every_corpus_bounce_is_a_bounce(corpus_messages: list[Path]) -> None:
    wrong = {}
    for path in bounce_files(corpus_messages):
        result = detect_kind(load(path))
        assert is_machine(result), path.name
        expected = NOT_BOUNCES.get(path.name, MessageKind.BOUNCE)
        if result.kind is not expected:
            wrong[path.name] = (result.kind, result.reason)
    assert wrong == {}


def test_bounce_details_cover_nearly_every_corpus_bounce(corpus_messages: list[Path]) -> None:
    results = [
        detect_kind(load(path))
        for path in bounce_files(corpus_messages)
        if path.name not in NOT_BOUNCES
    ]
    total = len(results)
    recipients = sum(bool(r.failed_recipients) for r in results)
    status = sum(bool(r.status and STATUS.match(r.status)) for r in results)
    original = sum(bool(r.original_message_id) for r in results)
    figures = f"{total} bounces: {recipients} recipients, {status} status, {original} original id"
    # Measured: 337 bounces: 335 with recipients (the other two are SES *delivery* notices),
    # 228 with a status (plain-text bounces rarely give one), 292 with the original Message-ID.
    assert total >= 330, figures
    assert recipients / total >= 0.97, figures
    assert original / total >= 0.8, figures
    assert status / total >= 0.6, figures


def test_standard_delivery_status_reports_yield_recipients_and_status(
    corpus_messages: list[Path],
) -> None:
    results = {path.name: detect_kind(load(path)) for path in bounce_files(corpus_messages)}
    standard = {
        name: r
        for name, r in results.items()
        if r.reason.startswith(("multipart/report; report-type=delivery-status", "message/"))
    }
    complete = [
        name
        for name, r in standard.items()
        if r.failed_recipients and r.status and STATUS.match(r.status)
    ]
    # Measured: 152 of 156. lhost-postfix-64 has no per-recipient fields; activehunter-02,
    # sendgrid-03 and rhost-messagelabs-01 give no status code anywhere.
    assert len(standard) >= 150
    assert len(complete) / len(standard) >= 0.95, sorted(set(standard) - set(complete))


@pytest.mark.parametrize(
    ("name", "recipients", "status", "original_id"),
    [
        ("cpython/msg_16.txt", ("jangel1@cougar.noc.ucla.edu",), "5.0.0", None),
        ("flanker/bounce-mailbox-full.eml", ("user@aol.com",), "5.2.2", None),
        ("flanker/bounce-office365.eml", ("noname@example.com",), "5.1.10", None),
        ("ruby-mail/multipart_report_emails_report_530.eml", ("edwin@zzzzzzz.com",), "5.3.0", None),
        # Final-Recipient and Original-Recipient both kept: we may know either of them.
        (
            "sisimai/lhost-postfix-01.eml",
            ("r@p351355.pool.example.ne.jp", "kijitora@example.org"),
            "5.1.1",
            None,
        ),
        (
            "sisimai/rhost-outlook-04.eml",
            ("sabineko@example.co.jp", "mikeneko@example.co.jp"),
            "5.1.1",
            None,
        ),
        ("sisimai/lhost-sendgrid-01.eml", ("kijitora@example.jp",), "5.1.1", None),
        # X-Failed-Recipients (Exim) with the status from the report's text.
        (
            "sisimai/lhost-exim-02.eml",
            ("kijitora@example.jp", "sabatora@example.jp"),
            "5.1.1",
            None,
        ),
        # Amazon SES notification sent as JSON through SNS.
        ("sisimai/lhost-amazonses-09.eml", ("bounce@simulator.amazonses.com",), "5.1.1", None),
    ],
)
def test_bounce_details_of_a_sample(
    corpora_dir: Path,
    name: str,
    recipients: tuple[str, ...],
    status: str,
    original_id: str | None,
) -> None:
    result = by_name(corpora_dir, name)
    assert result.kind is MessageKind.BOUNCE
    assert result.failed_recipients == recipients
    assert result.status == status
    assert is_permanent_failure(result)
    if original_id:
        assert result.original_message_id == original_id
    assert "<" not in (result.original_message_id or "")


def test_a_report_with_many_recipients(corpora_dir: Path) -> None:
    # 25 per-recipient blocks, all "failed", naming 11 distinct addresses.
    result = by_name(corpora_dir, "cpython/msg_43.txt")
    assert len(result.failed_recipients) == 11
    assert result.failed_recipients[:2] == ("xxxxxxx@dot.ca.gov", "xxxxxxxxxxxxx@dot.ca.gov")
    assert result.status == "5.7.1"
    assert result.original_message_id == "edab.7804f5cb8070@python.org"


def test_original_message_id_comes_from_the_returned_message(corpora_dir: Path) -> None:
    # message/rfc822 part
    result = by_name(corpora_dir, "flanker/bounce-mailbox-full.eml")
    assert result.original_message_id == "4E326A95.3010907@example.com"
    # text/rfc822-headers part (RFC 3462)
    result = by_name(corpora_dir, "ruby-mail/multipart_report_emails_report_530.eml")
    assert result.original_message_id == "200712232303.lBNN3jDq002941@mail12.rrrr.com.au"
    # quoted inline by a plain-text bounce (Exim)
    result = by_name(corpora_dir, "sisimai/lhost-exim-06.eml")
    assert result.original_message_id == "00000000000000000000000000000000@mx.example.org"


def test_delayed_and_expired_reports(corpora_dir: Path) -> None:
    delayed = by_name(corpora_dir, "ruby-mail/multipart_report_emails_report_422.eml")
    assert delayed.kind is MessageKind.BOUNCE
    assert delayed.status == "4.2.2"
    assert delayed.failed_recipients == ("fraser@oooooooo.com.au",)
    assert not is_permanent_failure(delayed)
    # Given up after days in the queue: Action failed although the status is 4.x.x.
    expired = by_name(corpora_dir, "sisimai/lhost-amazonses-17.eml")
    assert expired.status == "4.4.7"
    assert is_permanent_failure(expired)


def test_plain_text_bounces_name_the_failed_recipient(corpora_dir: Path) -> None:
    cases = {
        "sisimai/lhost-dragonfly-01.eml": ("pseudo-local-part@google.example.com",),
        "sisimai/lhost-postfix-07.eml": ("kijitora@user.example.or.jp",),  # not the help desk
        "sisimai/lhost-apachejames-01.eml": ("000000000000@vtext.example.com",),
        "sisimai/lhost-mfilter-03.eml": ("kijitora@example.org",),
        "flanker/bounce-broken-mime.eml": ("info@example.net",),
    }
    for name, recipients in cases.items():
        result = by_name(corpora_dir, name)
        assert (result.kind, result.failed_recipients) == (MessageKind.BOUNCE, recipients), name


def test_auto_replies_feedback_reports_and_read_receipts(corpus_messages: list[Path]) -> None:
    for path in corpus(corpus_messages, "sisimai", "rfc3834-"):
        assert detect_kind(load(path)).kind is MessageKind.AUTO_REPLY, path.name
    for path in corpus(corpus_messages, "sisimai", "arf-") + corpus(
        corpus_messages, "flanker", "complaints-"
    ):
        assert detect_kind(load(path)).kind is MessageKind.FEEDBACK, path.name
    receipt = detect_kind(load(corpus(corpus_messages, "flanker", "disposition-")[0]))
    assert receipt.kind is MessageKind.AUTO_REPLY  # an RFC 8098 read receipt


@pytest.mark.parametrize(
    ("name", "kind", "reason"),
    [
        # A person's mail (Japanese text) and a person forwarding a message as an attachment.
        ("not-bounce-is-not-bounce-01.eml", MessageKind.CUSTOMER, "no machine markers"),
        ("not-bounce-is-not-bounce-02.eml", MessageKind.CUSTOMER, "no machine markers"),
        # A postmaster's hand-made notice without any RFC 3464 part, labelled by its sender as
        # an RFC 3834 auto-reply: machine mail, but no report we could take an address from.
        ("not-bounce-rb-issue-368-bug.eml", MessageKind.AUTO_REPLY, "Auto-Submitted: auto-replied"),
    ],
)
def test_sisimai_not_bounces(corpora_dir: Path, name: str, kind: MessageKind, reason: str) -> None:
    result = by_name(corpora_dir, f"sisimai/{name}")
    assert (result.kind, result.reason) == (kind, reason)


@pytest.mark.parametrize(
    "name",
    [
        "ruby-mail/plain_emails_basic_email.eml",
        "ruby-mail/rfc2822_example01.eml",
        "ruby-mail/multi_charset_japanese_iso_2022.eml",
        "cpython/msg_01.txt",
        "flanker/text-only.eml",
        "flanker/iphone.eml",
        "flanker/enclosed.eml",
    ],
)
def test_ordinary_corpus_mail_is_customer_mail(corpora_dir: Path, name: str) -> None:
    assert by_name(corpora_dir, name) == KindResult(MessageKind.CUSTOMER, "no machine markers")


# --- customers -------------------------------------------------------------------------------


def test_plain_customer_mail() -> None:
    result = detect_kind(customer())
    assert result == KindResult(MessageKind.CUSTOMER, "no machine markers")
    assert not is_machine(result)
    assert not is_permanent_failure(result)


def test_outlook_mail_asking_for_no_auto_replies_is_still_a_customer() -> None:
    outlook = customer(
        X_Auto_Response_Suppress="All",
        X_MS_Has_Attach="",
        X_MS_TNEF_Correlator="",
        Thread_Topic="My order #1234 arrived broken",
    )
    assert detect_kind(outlook).kind is MessageKind.CUSTOMER


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Undeliverable: my parcel", "You never delivered it."),
        ("Returned mail", "My message could not be delivered to your colleague, see below."),
        ("Re: Automatic reply: my order", "Your auto-reply says nothing. Where is my money?"),
        ("Out of office hours support was rude", "Nobody helped."),
        ("Ausente el repartidor", "No vino nadie."),
    ],
)
def test_customers_talking_about_bounces_or_auto_replies(subject: str, body: str) -> None:
    assert detect_kind(build({**CUSTOMER, "Subject": subject}, body)).kind is MessageKind.CUSTOMER


def test_customer_forwarding_a_bounce_as_attachment_is_a_customer(corpora_dir: Path) -> None:
    bounce = (corpora_dir / "flanker/bounce-mailbox-full.eml").read_bytes()
    raw = (
        b"From: Jane Doe <jane.doe@example.org>\r\nTo: support@shop.example\r\n"
        b"Subject: Fwd: my mail to you bounced\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain\r\n\r\nWhy does your address reject me?\r\n"
        b"--b1\r\nContent-Type: message/rfc822\r\n\r\n" + bounce + b"\r\n--b1--\r\n"
    )
    assert detect_kind(parse(raw)).kind is MessageKind.CUSTOMER


def test_web_form_from_no_reply_with_reply_to_the_customer() -> None:
    form = customer(
        From="Shop contact form <no-reply@shop.example>",
        Reply_To="jane.doe@example.org",
        Subject="Contact form: parcel could not be delivered to my address",
    )
    assert detect_kind(form).kind is MessageKind.CUSTOMER


# --- our own mail ------------------------------------------------------------------------------


def test_own_message_id_via_callback() -> None:
    seen = []

    def ours(message_id: str) -> bool:
        seen.append(message_id)
        return message_id.endswith("@amends.invalid")

    msg = customer(Message_ID="<draft.42.abc@amends.invalid>")
    result = detect_kind(msg, is_own_message_id=ours)
    assert result.kind is MessageKind.OWN
    assert "draft.42.abc@amends.invalid" in result.reason
    assert seen == ["draft.42.abc@amends.invalid"]  # without the angle brackets
    assert detect_kind(customer(), is_own_message_id=ours).kind is MessageKind.CUSTOMER


@pytest.mark.parametrize("header", ["X-Amends-Draft", "X-Amends-Followup", "X-Amends-Owner"])
def test_own_header(header: str) -> None:
    result = detect_kind(build({**CUSTOMER, header: "ticket 42"}))
    assert (result.kind, result.reason) == (MessageKind.OWN, f"{header} header")


def test_own_address_is_case_insensitive() -> None:
    msg = customer(From="Support Team <Support@Shop.Example>")
    result = detect_kind(msg, own_addresses=["support@shop.example"])
    assert result.kind is MessageKind.OWN
    assert detect_kind(customer(), own_addresses=["support@shop.example"]).kind is (
        MessageKind.CUSTOMER
    )


def test_a_failing_callback_does_not_raise() -> None:
    def broken(message_id: str) -> bool:
        raise RuntimeError(message_id)

    assert detect_kind(customer(), is_own_message_id=broken).kind is MessageKind.CUSTOMER
    msg = customer(X_Amends_Draft="1")
    assert detect_kind(msg, is_own_message_id=broken).kind is MessageKind.OWN


# --- auto-replies and lists --------------------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        "Automatic reply: Your order #1234",
        "Out of Office: back on Monday",
        "Out of Office AutoReply: order",
        "Autoreply: order",
        "Одсутан: Ваша поруџбина",  # sr, Cyrillic
        "Аутоматски одговор: поруџбина",
        "Odsutan: Vaša porudžbina",  # sr, Latin
        "Automatski odgovor: porudžbina",
        "Odsotnost: naročilo",  # sl
        "Samodejni odgovor: naročilo",
        "Nieobecność: zamówienie",  # pl
        "Odpowiedź automatyczna: zamówienie",
        "부재중: 주문 문의",  # ko
        "[부재중] 주문 문의",
        "자동 회신: 주문",
        "Răspuns automat: comanda",  # ro
        "Abwesenheitsnotiz: Bestellung",  # de
        "Automatische Antwort: Bestellung",
        "Réponse automatique : commande",  # fr
        "Réponse automatique d'absence du bureau: commande",
        "Respuesta automática: pedido",  # es
        "Fuera de la oficina: pedido",
    ],
)
def test_vacation_subjects(subject: str) -> None:
    result = detect_kind(build({**CUSTOMER, "Subject": subject}))
    assert result.kind is MessageKind.AUTO_REPLY
    assert result.reason.startswith("Subject: ")


@pytest.mark.parametrize(
    ("header", "value", "kind"),
    [
        ("Auto-Submitted", "auto-replied", MessageKind.AUTO_REPLY),
        ("Auto-Submitted", "auto-replied (vacation)", MessageKind.AUTO_REPLY),
        ("Auto-Submitted", "auto-notified", MessageKind.AUTO_REPLY),
        ("Auto-Submitted", "no", MessageKind.CUSTOMER),
        ("Auto-Submitted", "auto-generated", MessageKind.LIST),
        ("X-Autoreply", "yes", MessageKind.AUTO_REPLY),
        ("X-Autorespond", "Out of office", MessageKind.AUTO_REPLY),
        ("X-Autogenerated", "Reply", MessageKind.AUTO_REPLY),
        ("X-AutoReply-From", "jane.doe@example.org", MessageKind.AUTO_REPLY),
        ("X-Mail-Autoreply", "yes", MessageKind.AUTO_REPLY),
        ("X-Autoreply", "no", MessageKind.CUSTOMER),
        ("Precedence", "auto_reply", MessageKind.AUTO_REPLY),
        ("Precedence", "bulk", MessageKind.LIST),
        ("Precedence", "list", MessageKind.LIST),
        ("Precedence", "junk", MessageKind.LIST),
        ("List-Id", "Shop news <news.shop.example>", MessageKind.LIST),
        ("List-Unsubscribe", "<mailto:leave@shop.example>", MessageKind.LIST),
        ("List-Post", "<mailto:users@lists.example>", MessageKind.LIST),
        ("X-Mailing-List", "users@lists.example", MessageKind.LIST),
    ],
)
def test_machine_headers(header: str, value: str, kind: MessageKind) -> None:
    result = detect_kind(build({**CUSTOMER, header: value}))
    assert result.kind is kind
    if kind is not MessageKind.CUSTOMER:
        assert result.reason.startswith(header.split("-")[0]), result.reason


GROUP = {  # what Google Groups adds to mail sent to a group at support@shop.example
    "List-Id": "<support.shop.example>",
    "List-Post": "<https://groups.google.com/a/shop.example/group/support/post>, "
    "<mailto:support@shop.example>",
    "List-Unsubscribe": "<mailto:googlegroups-manage+1234+unsubscribe@googlegroups.com>",
    "Mailing-List": "list support@shop.example; contact support+owners@shop.example",
    "Precedence": "list",
}


def test_mail_through_our_own_group_is_customer_mail() -> None:
    own = {"support@shop.example"}
    result = detect_kind(build({**CUSTOMER, **GROUP}), own_addresses=own)
    assert result.kind is MessageKind.CUSTOMER
    assert "our group support@shop.example" in result.reason
    # Mailman 2 style: only List-Post names the address.
    mailman = {
        "List-Id": "Support <support.lists.shop.example>",
        "List-Post": "<mailto:Support@Shop.example>",
        "Precedence": "list",
    }
    result = detect_kind(build({**CUSTOMER, **mailman}), own_addresses=own)
    assert result.kind is MessageKind.CUSTOMER


def test_our_mail_posted_back_by_a_list_is_list_mail() -> None:
    """A list that posts our reply back under its own Message-ID keeps our From; it is the
    list's copy (not a reply of ours to record), unless the list is our own group."""
    own = {"support@shop.example"}
    echoed = {
        **CUSTOMER,
        "From": "Support <support@shop.example>",
        "List-Id": "Team <team.lists.partner.example>",
        "Message-ID": "<echo-1@lists.partner.example>",
    }
    result = detect_kind(build(echoed), own_addresses=own)
    assert result.kind is MessageKind.LIST
    assert (
        "posted back by a list" in result.reason and "team.lists.partner.example" in result.reason
    )
    assert detect_kind(build({**echoed, **GROUP}), own_addresses=own).kind is MessageKind.OWN
    plain = {**CUSTOMER, "From": "support@shop.example", "Precedence": "bulk"}
    assert detect_kind(build(plain), own_addresses=own).kind is MessageKind.OWN


def test_our_group_does_not_hide_other_machine_mail() -> None:
    own = {"support@shop.example"}
    # Without knowing the address, the group's fields make it list mail.
    assert detect_kind(build({**CUSTOMER, **GROUP})).kind is MessageKind.LIST
    # Somebody else's list is still a list.
    other = {**GROUP, "List-Id": "<news.shop.example>", "List-Post": "<mailto:news@x.example>"}
    assert detect_kind(build({**CUSTOMER, **other}), own_addresses=own).kind is MessageKind.LIST
    # A newsletter or vacation reply that reached us through our group keeps its own markers.
    bulk = {**GROUP, "Precedence": "bulk"}
    assert detect_kind(build({**CUSTOMER, **bulk}), own_addresses=own).kind is MessageKind.LIST
    away = {**GROUP, "Auto-Submitted": "auto-replied"}
    assert detect_kind(build({**CUSTOMER, **away}), own_addresses=own).kind is (
        MessageKind.AUTO_REPLY
    )


def test_an_auto_reply_with_precedence_bulk_is_an_auto_reply() -> None:
    for extra in (
        {"Auto-Submitted": "auto-replied"},
        {"Subject": "Automatic reply: Your order"},
        {"X-Autoreply": "yes"},
    ):
        msg = build({**CUSTOMER, "Precedence": "bulk", "List-Id": "<x.example>", **extra})
        assert detect_kind(msg).kind is MessageKind.AUTO_REPLY, extra


def test_a_bounce_from_a_list_is_a_bounce(corpora_dir: Path) -> None:
    # A DSN that carries the List-Id and Precedence: bulk of the list it went through.
    result = by_name(corpora_dir, "cpython/msg_16.txt")
    assert result.kind is MessageKind.BOUNCE


# --- permanent failures ----------------------------------------------------------------------


def dsn(action: str, status: str) -> Message:
    return parse(
        (
            "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
            "To: support@shop.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            "MIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n'
            "\r\n--b\r\nContent-Type: text/plain\r\n\r\nThis is the mail system.\r\n"
            "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.example.net\r\n\r\n"
            f"Final-Recipient: rfc822; jane.doe@example.org\r\nAction: {action}\r\n"
            f"Status: {status}\r\n\r\n"
            "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            "Message-ID: <followup.7@amends.invalid>\r\nTo: jane.doe@example.org\r\n\r\n--b--\r\n"
        ).encode()
    )


@pytest.mark.parametrize(
    ("action", "status", "permanent"),
    [
        ("failed", "5.1.1", True),
        ("failed", "4.4.7", True),  # expired in the queue: given up
        ("delayed", "4.4.7", False),
        ("delayed", "4.2.2", False),
    ],
)
def test_is_permanent_failure(action: str, status: str, permanent: bool) -> None:
    result = detect_kind(dsn(action, status))
    assert result.kind is MessageKind.BOUNCE
    assert result.failed_recipients == ("jane.doe@example.org",)
    assert result.status == status
    assert result.original_message_id == "followup.7@amends.invalid"
    assert f"Action: {action}" in result.reason
    assert is_permanent_failure(result) is permanent


def test_a_subject_cannot_forge_a_permanent_failure() -> None:
    msg = build(
        {
            **CUSTOMER,
            "From": "postmaster@example.org",
            "Subject": "Undeliverable [Action: failed, Status: 4.0.0]",
        }
    )
    result = detect_kind(msg)
    assert result.kind is MessageKind.BOUNCE
    assert not is_permanent_failure(result)


# --- malformed input ---------------------------------------------------------------------------


def test_headers_that_raise_when_read() -> None:
    # Each of these makes email.policy.default raise (IndexError, TypeError) on access.
    msg = build(
        {
            "From": ":qb<",
            "Reply-To": ",b<",
            "Message-ID": "<",
            "Subject": "=?utf-8?B?####?= =?x-unknown?Q?abc?=",
            "Auto-Submitted": "auto-replied",
        }
    )
    assert detect_kind(msg, own_addresses=["support@shop.example"]).kind is MessageKind.AUTO_REPLY
    bounce = build({"From": ":qb<", "Message-ID": "<", "X-Failed-Recipients": "a@example.org"})
    result = detect_kind(bounce)
    assert (result.kind, result.failed_recipients) == (MessageKind.BOUNCE, ("a@example.org",))


def test_huge_header_values() -> None:
    msg = build({**CUSTOMER, "Subject": "Out of Office: " + "x" * 1_000_000, "From": "a" * 200_000})
    assert detect_kind(msg).kind is MessageKind.AUTO_REPLY


HEADER_NAMES = st.one_of(
    st.sampled_from(
        [
            "From",
            "Reply-To",
            "Subject",
            "Message-ID",
            "Return-Path",
            "Content-Type",
            "Auto-Submitted",
            "Precedence",
            "List-Id",
            "X-Failed-Recipients",
            "X-Autoreply",
            "X-Amends-Draft",
        ]
    ),
    st.text(
        st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=":"), max_size=20
    ),
)
HEADER_VALUES = st.one_of(
    st.text(max_size=200),
    st.text(alphabet='<>@"\\(),;:[]=?. \tabcQBq_-\x80\xff\u00e9\u4e2d', max_size=60),
    st.binary(max_size=200),
    st.sampled_from(
        [
            "<",
            ":qb<",
            ",b<",
            "<>",
            "=?utf-8?B?####?=",
            "=?x-unknown?Q?abc?=",
            "=?utf-8?q?=FF=FE?=",
            "multipart/report; report-type=delivery-status; boundary=b",
            "multipart/report; report-type=feedback-report",
            "message/delivery-status",
            "auto-replied",
            "MAILER-DAEMON <>",
        ]
    ),
    st.integers(min_value=1_000, max_value=200_000).map(lambda n: "é" * n),
)
BODIES = st.one_of(
    st.binary(max_size=500),
    st.sampled_from(
        [
            b"--b\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n"
            b"Status: 5.1.1\r\nFinal-Recipient: rfc822; <\r\n\r\n--b\r\n"
            b"Content-Type: message/rfc822\r\n\r\nMessage-ID: <\r\n\r\n--b--\r\n",
            b"--b\r\nContent-Type: text/plain; charset=x-unknown\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n%%%%\r\n--b",
        ]
    ),
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    headers=st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=8),
    body=BODIES,
    own_result=st.sampled_from([True, False, None]),
)
def test_never_raises_on_random_headers(
    headers: list[tuple[str, str | bytes]], body: bytes, own_result: bool | None
) -> None:
    raw = b"".join(
        name.encode() + b": " + (value if isinstance(value, bytes) else value.encode()) + b"\r\n"
        for name, value in headers
    )

    def is_own(message_id: str) -> bool:
        if own_result is None:
            raise ValueError(message_id)
        return own_result

    result = detect_kind(
        parse(raw + b"\r\n" + body),
        own_addresses=["support@shop.example"],
        is_own_message_id=is_own,
    )
    assert isinstance(result.kind, MessageKind)
    assert result.reason
    assert isinstance(is_machine(result), bool)
    assert isinstance(is_permanent_failure(result), bool)
