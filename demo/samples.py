"""The demo's inbox: customer complaints in several languages, a bounce and
an out-of-office.

Written for the demo (not taken from the corpora). Each message gets a
date in the recent past, as its IMAP arrival time and its Date header."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

SUPPORT = "support@example.com"
SHOP = "Example Shop"


@dataclass(frozen=True)
class Complaint:
    """A customer's mail to the support address, ``hours_ago`` before the demo starts."""

    name: str
    address: str
    subject: str
    body: str
    hours_ago: float
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Delivery:
    """One message ready to APPEND: its bytes and its arrival time."""

    raw: bytes
    arrived: datetime
    summary: str


COMPLAINTS = [
    Complaint(
        "Emma Clarke",
        "emma.clarke@example.co.uk",
        "Wrong size in order 48213",
        """Hello,

I ordered the Ridgeline trail running shoes in size 39 (order 48213) for
a race this Sunday. The box that arrived today says 39 on the label, but
the shoes inside are a size 43. They are far too big to run in.

Could you send the right pair before the weekend? I have kept the box
and the packing slip.

Thanks,
Emma Clarke
""",
        hours_ago=50,
    ),
    Complaint(
        "David Okafor",
        "d.okafor@example.net",
        "Charged twice for order 50917 - I will dispute this with my bank",
        """To whom it may concern,

I have been charged £214.80 TWICE for order 50917. I placed one order
and received one confirmation email, yet my card statement shows two
payments on the same day.

This is the second time this has happened with your shop. If the
duplicate payment is not refunded by Friday I will file a chargeback
with my bank and post a review everywhere I can. Refund the second
payment now!!

David Okafor
""",
        hours_ago=46,
    ),
    Complaint(
        "Sarah Mitchell",
        "sarah.mitchell@example.org",
        "Complaint about the agent on your phone line",
        """Hello,

I called your customer line yesterday afternoon to ask how to return a
jacket from order 44790. The agent I spoke to sighed loudly, told me to
"just read the website" and hung up on me when I asked to speak to her
manager.

I have been a customer for six years and I have never been spoken to
like that. I expect an apology and an answer to my question.

Sarah Mitchell
""",
        hours_ago=30,
    ),
    Complaint(
        "Tomasz Wiśniewski",
        "tomasz.wisniewski@example.pl",
        "Zamówienie 66120 wciąż nie dotarło",
        """Dzień dobry,

dwa tygodnie temu zamówiłem ekspres do kawy (zamówienie nr 66120), a w
śledzeniu przesyłki nadal widzę status „w przygotowaniu”. Termin dostawy
minął w zeszły piątek. Zapłaciłem za dostawę ekspresową, a do dziś nic
nie dostałem i nikt mnie nie poinformował o opóźnieniu.

Proszę o informację, kiedy paczka zostanie wysłana.

Pozdrawiam,
Tomasz Wiśniewski
""",
        hours_ago=27,
    ),
    Complaint(
        "Marko Jovanović",
        "marko.jovanovic@example.rs",
        "Porudžbina 71544 – usisivač ne radi",
        """Poštovani,

usisivač iz porudžbine 71544 stigao je juče. Kutija je bila ulubljena, a
kada sam ga uključio, motor je zabrujao i posle nekoliko sekundi se
ugasio. Od tada uopšte ne radi. Na kućištu postoji i pukotina pored
drške.

Molim vas za zamenu ispravnim uređajem.

Srdačan pozdrav,
Marko Jovanović
""",
        hours_ago=22,
    ),
    Complaint(
        "Nina Kovač",
        "nina.kovac@example.si",
        "Paket za naročilo 39802 se je izgubil",
        """Pozdravljeni,

po sledenju pošiljke je bil paket z naročilom 39802 dostavljen v petek,
vendar ga nisem prejela. Pred vrati ga ni bilo, sosedje ga niso videli,
v paketniku ga tudi ni. Dostavna služba pravi, naj se obrnem na vas.

Prosim, sporočite mi, kaj lahko storite.

Lep pozdrav,
Nina Kovač
""",
        hours_ago=20,
    ),
    Complaint(
        "Andrei Popescu",
        "andrei.popescu@example.ro",
        "Factură greșită pentru comanda 82317",
        """Bună ziua,

Am primit factura pentru comanda 82317, iar suma este 1.249 lei, deși în
coș prețul afișat era 999 lei, cu reducerea de 20%. De pe card mi s-a
retras suma mai mare. Vă rog să îmi returnați diferența de 250 lei și să
îmi trimiteți o factură corectă.

Cu stimă,
Andrei Popescu
""",
        hours_ago=8,
    ),
    Complaint(
        "김지은",
        "jieun.kim@example.kr",
        "주문번호 55671 배송이 아직 안 왔어요",
        """안녕하세요.

지난주 월요일에 주문한 가습기(주문번호 55671)가 아직
도착하지 않았습니다. 배송 조회를 해도 일주일째 '배송 준비 중'으로만
나옵니다. 아이 방에 급하게 필요해서 빠른 배송을 선택했는데 너무
늦어지고 있어요.

언제 받을 수 있는지 알려주세요.

김지은 드림
""",
        hours_ago=6,
    ),
    Complaint(
        "Jonas Becker",
        "jonas.becker@example.de",
        "Bestellung 60455: Kaffeemaschine kam beschädigt an",
        """Guten Tag,

heute wurde meine Bestellung 60455 geliefert. Die Glaskanne der
Kaffeemaschine war zerbrochen, und das Gerät selbst hat eine Delle an
der Seite. Beim ersten Einschalten ist die Sicherung herausgesprungen.

Bitte schicken Sie mir ein neues Gerät. Fotos kann ich Ihnen gern
schicken.

Mit freundlichen Grüßen
Jonas Becker
""",
        hours_ago=3,
    ),
    Complaint(
        "Camille Martin",
        "camille.martin@example.fr",
        "Commande 73390 : mauvais article reçu",
        """Bonjour,

J'ai commandé une housse de couette en lin gris, taille 240 x 220
(commande 73390). J'ai reçu une housse en coton bleu, taille 140 x 200,
qui ne correspond pas du tout à ma commande.

Pouvez-vous m'envoyer le bon article ? Je vous renvoie volontiers
celui-ci.

Cordialement,
Camille Martin
""",
        hours_ago=1.5,
    ),
]

BOUNCED_ADDRESS = "l.horvat@example.hr"

# A Postfix-style delivery status notification (RFC 3464) for a reply sent weeks ago.
_BOUNCE = """\
From: Mail Delivery System <MAILER-DAEMON@mx1.example.hr>
To: {support}
Subject: Undelivered Mail Returned to Sender
Date: {date}
Message-ID: <{stamp}.bounce@mx1.example.hr>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
 boundary="=_bounce_{stamp}"

This is a MIME-encapsulated message.

--=_bounce_{stamp}
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx1.example.hr.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{address}>: host mx1.example.hr[192.0.2.25] said: 550 5.1.1
    <{address}>: Recipient address rejected: User unknown in virtual mailbox
    table (in reply to RCPT TO command)

--=_bounce_{stamp}
Content-Type: message/delivery-status

Reporting-MTA: dns; mx1.example.hr
Arrival-Date: {date}

Final-Recipient: rfc822; {address}
Original-Recipient: rfc822;{address}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx1.example.hr
Diagnostic-Code: smtp; 550 5.1.1 <{address}>: Recipient address rejected: User
    unknown in virtual mailbox table

--=_bounce_{stamp}
Content-Type: text/rfc822-headers

From: {shop} <{support}>
To: Luka Horvat <{address}>
Subject: Re: Refund for order 45102
Message-ID: <refund-45102.{stamp}@example.com>

--=_bounce_{stamp}--
"""


def complaint_message(complaint: Complaint, arrived: datetime, number: int) -> bytes:
    """The complaint as the customer's mail client would send it."""
    message = EmailMessage()
    message["From"] = f"{complaint.name} <{complaint.address}>"
    message["To"] = f"{SHOP} <{SUPPORT}>"
    message["Subject"] = complaint.subject
    message["Date"] = format_datetime(arrived)
    domain = complaint.address.split("@", 1)[1]
    message["Message-ID"] = f"<demo-{number}.{arrived:%Y%m%d%H%M%S}@{domain}>"
    for name, value in complaint.headers.items():
        message[name] = value
    message.set_content(complaint.body)
    return bytes(message)


def bounce_message(arrived: datetime) -> bytes:
    """A delivery failure for a reply sent to an address that no longer exists."""
    text = _BOUNCE.format(
        support=SUPPORT,
        shop=SHOP,
        address=BOUNCED_ADDRESS,
        date=format_datetime(arrived),
        stamp=f"{arrived:%Y%m%d%H%M%S}",
    )
    return text.encode("ascii")


def out_of_office_message(arrived: datetime) -> bytes:
    """A customer's automatic answer (RFC 3834) to an earlier reply from support."""
    message = EmailMessage()
    message["From"] = "Hannah Weber <hannah.weber@example.at>"
    message["To"] = SUPPORT
    message["Subject"] = "Out of office: Re: Your return 31877"
    message["Date"] = format_datetime(arrived)
    message["Message-ID"] = f"<ooo.{arrived:%Y%m%d%H%M%S}@example.at>"
    message["In-Reply-To"] = "<return-31877@example.com>"
    message["Auto-Submitted"] = "auto-replied"
    message.set_content(
        "Thank you for your message. I am out of the office until Monday with no access to\n"
        "email. For anything urgent, please call our office on +43 1 234 5678.\n\n"
        "Hannah Weber\n"
    )
    return bytes(message)


def inbox(now: datetime) -> list[Delivery]:
    """Every message of the demo inbox, oldest first, dated relative to ``now``."""
    deliveries = []
    for number, complaint in enumerate(COMPLAINTS, start=1):
        arrived = now - timedelta(hours=complaint.hours_ago)
        raw = complaint_message(complaint, arrived, number)
        deliveries.append(Delivery(raw, arrived, f"{complaint.name}: {complaint.subject}"))
    bounced = now - timedelta(hours=12)
    deliveries.append(
        Delivery(
            bounce_message(bounced), bounced, "MAILER-DAEMON: Undelivered Mail Returned (a bounce)"
        )
    )
    away = now - timedelta(hours=4)
    deliveries.append(
        Delivery(out_of_office_message(away), away, "Hannah Weber: Out of office (an auto-reply)")
    )
    return sorted(deliveries, key=lambda delivery: delivery.arrived)
