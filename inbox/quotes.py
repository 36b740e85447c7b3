"""The customer's new words in a reply: quoted text, reply headers and signatures removed.

Covers the forms mail clients write in English, Serbian (Cyrillic and Latin), Slovenian, Polish,
Korean and Romanian (plus the commonest German, French, Spanish and Italian ones): ">" quoting,
"On <date>, <name> wrote:" attributions, Outlook's "-----Original Message-----" and
"From: / Sent: / To: / Subject:" blocks, Gmail and Apple forward markers, "-- " signatures,
"Sent from my phone" lines and sign-offs followed only by a short block. Conservative by
design: it never returns less than something, and when stripping leaves no words it returns the
body as it was.
"""

from __future__ import annotations

import re

# Replies with more than this are trimmed first: the new words are at the top.
MAX_INPUT_CHARS = 100_000
# A sign-off is only a sign-off when at most this much follows it.
SIGNOFF_TAIL_LINES = 6
SIGNOFF_TAIL_CHARS = 400
SIGNATURE_TAIL_LINES = 15

_WROTE = (
    r"wrote|writes|"
    r"(?:је\s+)?написа(?:о|ла|о/ла|о\(ла\))?|(?:je\s+)?napisa(?:o|la|o/la|o\(la\))?|"
    r"napisal(?:a|\(a\))?|napisał(?:a|\(a\))?|pisze|nadesłał|"
    r"a\s+scris|"
    r"님이\s*작성(?:했습니다|하였습니다|한\s*글)?|"
    r"schrieb|a\s+écrit|escribió|ha\s+scritto|написал(?:а|\(а\))?|пишет"
)
# An attribution is one line ending in "wrote:"; Gmail wraps long ones, so a preceding line that
# opens like an attribution ("On Mon, ...", "pon, 3. jan ...", "2026년 ...") belongs to it.
_ATTRIBUTION = re.compile(rf"(?:{_WROTE})[ \t]*:[ \t]*$")
# Only lines ending in a colon can be attributions: finding those first is ten times faster
# than trying the verbs at every position.
_COLON_LINE = re.compile(r"^[^\n]{0,300}:[ \t]*$", re.MULTILINE)
_ATTRIBUTION_OPENER = re.compile(
    r"^[ \t>]*(?:On|Am|Le|El|Il|Op|W\s+dniu|Dnia|V|În|In|Pe|La|У|U|\d|[^\W\d_]{2,6}\.?,)\s"
)
_FROM_LABELS = r"From|Od|Од|Von|De|De\s+la|Da|Van|보낸\s*사람|От"
_SUBJECT_LABELS = (
    r"Subject|Tema|Тема|Predmet|Предмет|Zadeva|Temat|Subiect|제목|Betreff|Objet|Asunto|Oggetto"
)
# Outlook's header block: a From line, then a Subject line within the next few lines. Requiring
# both keeps "From: Belgrade / To: Ljubljana" in a complaint about a flight.
_OUTLOOK_BLOCK = re.compile(
    rf"^[ \t*]*(?:{_FROM_LABELS})[ \t*]*:[^\n]*\n(?:[^\n]*\n){{0,5}}?"
    rf"[ \t*]*(?:{_SUBJECT_LABELS})[ \t*]*:",
    re.MULTILINE,
)
_SEPARATOR = re.compile(
    r"^[ \t>]*(?:-{2,}[ \t]*(?:Original Message|Originalna poruka|Izvorna poruka|"
    r"Оригинална порука|Izvirno sporočilo|Oryginalna wiadomość|Wiadomość oryginalna|"
    r"Mesaj(?:ul)? original|원본 메시지|Ursprüngliche Nachricht|Message d'origine|"
    r"Forwarded message|Prosleđena poruka|Прослеђена порука|Proslijeđena poruka|"
    r"Posredovano sporočilo|Przekazana wiadomość|Wiadomość przekazana dalej|"
    r"Mesaj redirec[țţt]ionat|전달된 메시지|전달된 메일|Weitergeleitete Nachricht)[ \t]*-{2,}"
    r"|(?:Begin forwarded message|Početak prosleđene poruke|Почетак прослеђене поруке|"
    r"Začetek posredovanega sporočila|Początek przekazywanej wiadomości|"
    r"Începutul mesajului redirec[țţt]ionat|전달된 메시지)[ \t]*:)",
    re.MULTILINE | re.IGNORECASE,
)
_QUOTED_LINE = re.compile(r"^[ \t]*>[^\n]*(?:\n|$)", re.MULTILINE)
_SIG_DELIMITER = re.compile(r"^--[ \t]?$", re.MULTILINE)
_MOBILE_SIGNATURE = re.compile(
    r"^[ \t]*(?:Sent from my|Sent from (?:Mail|Outlook|Yahoo)|Get Outlook for|Sent via|"
    r"Poslato sa|Poslano (?:sa|s|iz|z)|Послато са|Послато из|Wysłane z|Wysłano z|Trimis de pe|"
    r"Von meinem|Envoyé de mon|Enviado desde mi|Inviato da|[^\n]{0,30}에서 보냄)[^\n]{0,80}$",
    re.MULTILINE | re.IGNORECASE,
)
_SIGNOFFS = (
    r"best regards|kind regards|warm regards|regards|best wishes|all the best|best|"
    r"many thanks|thanks in advance|thanks|thank you|cheers|sincerely|yours sincerely|"
    r"yours truly|respectfully|"
    r"srdačan pozdrav|srdacan pozdrav|pozdravi|pozdrav|sa poštovanjem|s poštovanjem|"
    r"sa postovanjem|s postovanjem|hvala unapred|hvala unaprijed|hvala lepa|hvala|srdačno|"
    r"срдачан поздрав|поздрави|поздрав|са поштовањем|с поштовањем|хвала унапред|хвала|срдачно|"
    r"lep pozdrav|lepo pozdravljeni|prijazen pozdrav|s spoštovanjem|najlepša hvala|lp|"
    r"pozdrawiam serdecznie|serdecznie pozdrawiam|pozdrawiam|z poważaniem|z powazaniem|"
    r"z pozdrowieniami|z góry dziękuję|dziękuję|dziekuje|łączę pozdrowienia|"
    r"감사합니다|고맙습니다|감사드립니다|수고하세요|안녕히 계세요|좋은 하루 되세요|"
    r"cu stimă|cu stima|cu respect|mulțumesc anticipat|mulțumesc|mulţumesc|multumesc|"
    r"toate cele bune|o zi bună|o zi buna|numai bine|salutări|salutari|cu drag|"
    r"mit freundlichen grüßen|viele grüße|cordialement|saludos|cordiali saluti"
)
# The sign-off alone on its line, optionally followed by a short name ("Thanks, John").
_SIGNOFF_LINE = re.compile(
    rf"^[ \t]*(?i:{_SIGNOFFS})[ \t]*[,.!:;]*[ \t]*"
    r"(?:[A-ZА-ЯЂЉЊЋЏŠĐČĆŽŁŚŻŹĆŃÓĘĄȘȚĂÂÎ가-힣][^\s,.!?]*(?:[ \t]+[^\s,.!?]+){0,2})?[ \t]*[.!]?$",
    re.MULTILINE,
)
_TRAILING_RULES = re.compile(r"(?:\n[ \t]*(?:_{5,}|-{5,}|={5,})?[ \t]*)+\Z")
_MANY_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_WORD = re.compile(r"\w")


def strip_quotes(body: str) -> str:
    """``body`` without quoted replies and signature; ``body`` itself when nothing would remain."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")[:MAX_INPUT_CHARS]
    text = _cut_reply(text)
    text = _QUOTED_LINE.sub("", text)
    text = _cut_signature(text)
    text = _TRAILING_RULES.sub("", text.rstrip())
    text = _MANY_BLANK_LINES.sub("\n\n", text).strip()
    if not _WORD.search(text):
        return body.strip()
    return text


def _cut_reply(text: str) -> str:
    """Cut at the first reply header; an attribution above ">" quoting only loses its line."""
    removed: list[tuple[int, int]] = []
    cut = len(text)
    for pattern in (_SEPARATOR, _OUTLOOK_BLOCK):
        match = pattern.search(text)
        if match:
            cut = min(cut, match.start())
    for match in _COLON_LINE.finditer(text, 0, cut):
        if not _ATTRIBUTION.search(match.group()):
            continue
        start = _attribution_start(text, match.start())
        following = text[match.end() :].lstrip()
        if following.startswith(">"):
            # Interleaved replies: keep the answers between the quotes.
            removed.append((start, match.end()))
            continue
        cut = min(cut, start)
        break
    kept = []
    position = 0
    for start, end in removed:
        if start >= cut:
            break
        kept.append(text[position:start])
        position = end
    kept.append(text[position:cut])
    return "".join(kept)


def _attribution_start(text: str, start: int) -> int:
    line = text[start : text.find("\n", start) if "\n" in text[start:] else len(text)]
    if start == 0 or _ATTRIBUTION_OPENER.match(line):
        return start
    previous_start = text.rfind("\n", 0, start - 1) + 1
    previous = text[previous_start : start - 1]
    # A sentence of the customer's ends with punctuation; a wrapped attribution does not.
    if (
        previous.strip()
        and len(previous) <= 300
        and _ATTRIBUTION_OPENER.match(previous)
        and not previous.rstrip().endswith((".", "!", "?"))
    ):
        return previous_start
    return start


def _cut_signature(text: str) -> str:
    for match in _SIG_DELIMITER.finditer(text):
        if match.start() == 0:
            continue
        tail_lines = text[match.end() :].strip("\n").count("\n") + 1
        if match.group().endswith(" ") or tail_lines <= SIGNATURE_TAIL_LINES:
            text = text[: match.start()]
            break
    for pattern in (_MOBILE_SIGNATURE, _SIGNOFF_LINE):
        for match in pattern.finditer(text):
            if match.start() == 0 or not _WORD.search(text[: match.start()]):
                continue  # never the first line: that would be the whole message
            if _short_tail(text[match.end() :]):
                text = text[: match.start()]
                break
    return text


def _short_tail(tail: str) -> bool:
    lines = [line for line in tail.split("\n") if line.strip()]
    return (
        len(lines) <= SIGNOFF_TAIL_LINES
        and sum(len(line) for line in lines) <= SIGNOFF_TAIL_CHARS
        and all(len(line) <= 80 for line in lines)
    )
