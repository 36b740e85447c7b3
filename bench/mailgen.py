"""Realistic generated support mail for benchmarks: six languages, several charsets and MIME
shapes, 1-50 KB, with a share of bounces and auto-replies. Deterministic for a given seed."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

SENTENCES = {
    "en": (
        "utf-8",
        [
            "I ordered a blender two weeks ago and it still has not arrived.",
            "The parcel came today but the glass jug was cracked.",
            "You charged my card twice for the same order.",
            "Nobody answered my last three emails about the refund.",
        ],
    ),
    "sr": (
        "utf-8",
        [
            "Поручио сам блендер пре две недеље и још није стигао.",
            "Пакет је стигао данас али је стаклена посуда напукла.",
            "Naplatili ste mi karticu dva puta za istu porudžbinu.",
            "Niko nije odgovorio na moja poslednja tri mejla.",
        ],
    ),
    "pl": (
        "iso-8859-2",
        [
            "Zamówiłem blender dwa tygodnie temu i nadal nie dotarł.",
            "Paczka przyszła dzisiaj, ale szklany dzbanek był pęknięty.",
            "Obciążyliście moją kartę dwa razy za to samo zamówienie.",
        ],
    ),
    "sl": (
        "windows-1250",
        [
            "Pred dvema tednoma sem naročil mešalnik in še vedno ni prispel.",
            "Paket je prišel danes, a steklena posoda je bila počena.",
        ],
    ),
    "ko": (
        "euc-kr",
        [
            "2주 전에 블렌더를 주문했는데 아직 도착하지 않았습니다.",
            "오늘 소포가 왔는데 유리 용기가 깨져 있었습니다.",
            "같은 주문에 대해 카드가 두 번 청구되었습니다.",
        ],
    ),
    "ro": (
        "utf-8",
        [
            "Am comandat un blender acum două săptămâni și încă nu a sosit.",
            "Coletul a venit azi, dar vasul de sticlă era crăpat.",
        ],
    ),
}


def _body(rng: random.Random, language: str, size: int) -> str:
    _, sentences = SENTENCES[language]
    parts = [f"Order {rng.randint(1000, 99999)}."]
    while sum(len(p) for p in parts) < size:
        parts.append(rng.choice(sentences))
    quote = "\n".join(f"> {rng.choice(SENTENCES['en'][1])}" for _ in range(rng.randint(0, 6)))
    return " ".join(parts) + "\n\nBest regards,\nA customer\n\n" + quote


def customer_mail(rng: random.Random, index: int, when: datetime) -> bytes:
    language = rng.choice(list(SENTENCES))
    charset, _ = SENTENCES[language]
    size = int(rng.triangular(400, 14_000, 1_500))
    msg = EmailMessage()
    msg["From"] = f"Customer {index} <customer{index % 5000}@example.net>"
    msg["To"] = "support@example.com"
    msg["Subject"] = f"Order problem {index}"
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(idstring=str(index), domain="example.net")
    shape = rng.random()
    text = _body(rng, language, size)
    if shape < 0.5:
        msg.set_content(text, charset=charset)
    elif shape < 0.8:
        msg.set_content(text, charset=charset)
        html = "<html><body><p>" + text.replace("\n", "<br>") + "</p></body></html>"
        msg.add_alternative(html, subtype="html", charset="utf-8")
    elif shape < 0.9:
        html = "<html><head><style>p{}</style></head><body><p>" + text + "</p></body></html>"
        msg.set_content(html, subtype="html", charset="utf-8")
    else:
        msg.set_content(text, charset=charset)
        msg.add_attachment(
            rng.randbytes(rng.randint(500, 12_000)),
            maintype="application",
            subtype="pdf",
            filename=f"invoice-{index}.pdf",
        )
    return bytes(msg)


def bounce(index: int, when: datetime) -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\n"
        "To: support@example.com\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\nDate: {format_datetime(when)}\r\n"
        f"Message-ID: <bounce-{index}@mx.example.com>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n\r\n"
        f"Final-Recipient: rfc822; gone{index}@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--b--\r\n"
    ).encode()


def auto_reply(index: int, when: datetime) -> bytes:
    return (
        f"From: away{index}@example.net\r\nTo: support@example.com\r\n"
        f"Subject: Out of Office: Order problem\r\nDate: {format_datetime(when)}\r\n"
        f"Message-ID: <ooo-{index}@example.net>\r\nAuto-Submitted: auto-replied\r\n\r\n"
        "I am away until Monday.\r\n"
    ).encode()


def generate(count: int, seed: int = 11) -> list[bytes]:
    rng = random.Random(seed)
    start = datetime(2026, 10, 1, tzinfo=UTC)
    out = []
    for i in range(count):
        when = start + timedelta(minutes=7 * i)
        roll = rng.random()
        if roll < 0.03:
            out.append(bounce(i, when))
        elif roll < 0.06:
            out.append(auto_reply(i, when))
        else:
            out.append(customer_mail(rng, i, when))
    return out
