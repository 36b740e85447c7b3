"""How severe a complaint email is: a 0–1 score with human-readable reasons, in six languages.

Signals and weights (each counts at most once; the score is their sum, capped at 1.0):

    legal_threat       0.50  sue, lawyer, court, consumer protection, ombudsman, regulator, police
    chargeback_threat  0.40  chargeback, disputing the payment with the bank or card issuer
    cancel_threat      0.35  will cancel / leave / switch to a competitor / close the account
    public_threat      0.35  social media, bad reviews, press, TV, "tell everyone"
    repeat             0.25  "third time", "still not", "how many times"; 0.10 for "again" alone
    capitals           0.20  at least 3 and 30% of the cased words of 3+ letters in capitals
    exclamations       0.15  a "!!" run, or 3+ marks at more than 3 per 100 words

Languages: English, Serbian (Cyrillic and Latin), Slovenian, Polish, Korean and Romanian. Text and
patterns are both folded (NFKC, lower case, diacritics stripped, đ→dj, ł→l, Serbian Cyrillic
transliterated to Latin), so "raskinuću", "raskinucu" and "раскинућу" all match one pattern and a
Romanian ş (cedilla) matches ș (comma). Threat phrases inside a question ("Can I close my
account?") or right after a negation ("I will not cancel") do not count. Only the first
1,000 characters of the subject and 20,000 of the body are read, which keeps the cost bounded.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from classifier.severity_phrases import LANGUAGES as _LANGUAGES

__all__ = ["DEFAULT_SEVERE_AT", "SeverityAssessment", "SeverityReason", "assess_severity"]

DEFAULT_SEVERE_AT: float = 0.5

MAX_SUBJECT_CHARS = 1_000
MAX_BODY_CHARS = 20_000
EVIDENCE_CHARS = 60

_LABELS = {
    "legal_threat": "threatens legal action",
    "chargeback_threat": "threatens a chargeback",
    "cancel_threat": "threatens to cancel or leave",
    "public_threat": "threatens to go public",
    "repeat": "repeated failure",
    "capitals": "shouting in capitals",
    "exclamations": "exclamation marks",
}
_KIND_ORDER = tuple(_LABELS)
_THREATS = frozenset({"legal_threat", "chargeback_threat", "cancel_threat", "public_threat"})
_FIGURES = frozenset({"capitals", "exclamations"})


@dataclass(frozen=True)
class SeverityReason:
    """One signal that made the complaint more severe, with the customer's words as evidence."""

    kind: str
    evidence: str
    weight: float

    def __post_init__(self) -> None:
        if self.kind not in _LABELS:
            raise ValueError(f"unknown severity reason kind {self.kind!r}")

    def __str__(self) -> str:
        label = _LABELS[self.kind]
        if self.kind in _FIGURES:
            return f"{label}: {self.evidence}"
        return f"{label}: “{self.evidence}”"


@dataclass(frozen=True)
class SeverityAssessment:
    """The score (0.0–1.0, two decimals) and the reasons behind it, strongest first."""

    score: float
    reasons: tuple[SeverityReason, ...]

    def is_severe(self, threshold: float) -> bool:
        return self.score >= threshold


# (phrase list, reason kind, weight); a stronger rule of one kind is tried before a weaker one.
_PHRASE_RULES = (
    ("legal", "legal_threat", 0.5),
    ("chargeback", "chargeback_threat", 0.4),
    ("cancel", "cancel_threat", 0.35),
    ("public", "public_threat", 0.35),
    ("repeat", "repeat", 0.25),
    ("repeat_weak", "repeat", 0.1),
)
_CAPITALS_WEIGHT = 0.2
_EXCLAMATIONS_WEIGHT = 0.15
_MIN_SHOUTED_WORDS = 3
_SHOUTED_SHARE = 0.3
_MIN_EXCLAMATIONS = 3
_EXCLAMATIONS_PER_100_WORDS = 3.0

_APOSTROPHES = frozenset("’‘ʼ´′")
_TRANSLITERATION = str.maketrans(
    {
        "đ": "dj", "ł": "l", "ı": "i", "ø": "o",
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "dj", "е": "e", "ж": "z",
        "з": "z", "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n",
        "њ": "nj", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "c", "у": "u",
        "ф": "f", "х": "h", "ц": "c", "ч": "c", "џ": "dz", "ш": "s",
    }
)  # fmt: skip


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char in _APOSTROPHES:
        return "'"
    lowered = unicodedata.normalize("NFKC", char).lower()
    bare = "".join(c for c in unicodedata.normalize("NFD", lowered) if not unicodedata.combining(c))
    # NFC puts Hangul syllables back together after NFD split them into jamo.
    return unicodedata.normalize("NFC", bare).translate(_TRANSLITERATION)


def _fold_pattern(source: str) -> str:
    """A phrase folded like the text: lower case, no diacritics. Escapes (``\\W``, ``\\S``,
    ``\\B``) keep their case; the text is folded, so the pattern needs no IGNORECASE, which
    would keep the engine from rejecting most alternatives by their first letter."""
    folded: list[str] = []
    escaped = False
    for char in source:
        if escaped:
            folded.append(char)
            escaped = False
        elif char == "\\":
            folded.append(char)
            escaped = True
        else:
            folded.append(char.lower() if char.isascii() else _fold_char(char))
    return "".join(folded)


def _sources(key: str) -> list[str]:
    return [_fold_pattern(p) for phrases in _LANGUAGES.values() for p in phrases.get(key, ())]


def _compile(key: str) -> re.Pattern[str]:
    """One pattern for all languages' phrases of ``key``.

    The phrases that start at a word boundary share one leading boundary: the engine then tries
    the long alternation only where a word starts, not at every character (eight times faster
    on long mail, the same matches).
    """
    sources = _sources(key)
    bounded = [s.removeprefix("\\b") for s in sources if s.startswith("\\b")]
    parts = [f"(?:{s})" for s in sources if not s.startswith("\\b")]
    if bounded:
        parts.insert(0, "\\b(?=\\w)(?:" + "|".join(f"(?:{s})" for s in bounded) + ")")
    return re.compile("|".join(parts))


def _anchors(key: str) -> tuple[str, ...] | None:
    """Literal strings of which every match of ``key``'s patterns contains at least one, or
    None when a pattern has none to offer.

    Most mail holds none of a rule's anchors, and looking for them (``str.__contains__``) is
    far cheaper than the alternation of a hundred phrases tried at every word start: severity
    was two thirds of classifying long mail.
    """
    found: set[str] = set()
    for source in _sources(key):
        try:
            required = _required(_sre_parser.parse(source))
        except Exception:  # an internal module of re: never let it break the rules
            return None
        if required is None:
            return None
        found |= required
    # A string that contains another adds nothing: the shorter one is present whenever it is.
    kept: list[str] = []
    for anchor in sorted(found, key=len):
        if not any(shorter in anchor for shorter in kept):
            kept.append(anchor)
    return tuple(kept)


def _required(items: Any) -> frozenset[str] | None:
    """For a parsed pattern (``re._parser``'s tree), a set of strings one of which every match
    contains: a run of literal characters, the union over a group's alternatives, or a
    repeated part that must occur at least once. Of the candidates, the set whose shortest
    string is longest (the rarest, roughly); None if there is none."""
    candidates: list[frozenset[str]] = []
    run: list[str] = []
    for op, value in items:
        if op is _LITERAL:
            run.append(chr(value))
            continue
        if run:
            candidates.append(frozenset(["".join(run)]))
            if op is _BRANCH:
                # "anpc|ancom" is parsed as "an" then "pc|com": the run and what each
                # alternative starts with are a better anchor than the run alone.
                heads = [_literal_head(alternative) for alternative in value[1]]
                if all(heads):
                    candidates.append(frozenset("".join(run) + head for head in heads))
            run = []
        required: frozenset[str] | None = None
        if op is _SUBPATTERN and not value[1] and not value[2]:  # no inline flags
            required = _required(value[3])
        elif op is _BRANCH:
            alternatives = [_required(alternative) for alternative in value[1]]
            if all(a is not None for a in alternatives):
                required = frozenset().union(*(a for a in alternatives if a is not None))
        elif op in _REPEATS and value[0] >= 1:
            required = _required(value[2])
        if required:
            candidates.append(required)
    if run:
        candidates.append(frozenset(["".join(run)]))
    if not candidates:
        return None
    return max(candidates, key=lambda c: (min(len(s) for s in c), -len(c)))


def _literal_head(items: Any) -> str:
    head: list[str] = []
    for op, value in items:
        if op is not _LITERAL:
            break
        head.append(chr(value))
    return "".join(head)


# re's own parser (internal, hence looked up by name) tells the patterns' literal parts.
_sre_parser: Any = importlib.import_module("re._parser")
_sre_constants: Any = importlib.import_module("re._constants")
_LITERAL, _BRANCH, _SUBPATTERN = (
    _sre_constants.LITERAL,
    _sre_constants.BRANCH,
    _sre_constants.SUBPATTERN,
)
_REPEATS = (_sre_constants.MAX_REPEAT, _sre_constants.MIN_REPEAT)

_COMPILED_RULES = tuple(
    (_compile(key), _anchors(key), kind, weight) for key, kind, weight in _PHRASE_RULES
)
_WORDS = re.compile(r"\w+")
ANCHOR_CACHE_SIZE = 200_000


class _AnchorIndex:
    """Which rules have an anchor in a text, as a bit set (bit i: rule i; rules without
    anchors always set).

    An anchor made of word characters only can occur only inside one word of the text, so
    each distinct word is checked against such anchors once and the answer kept (mail repeats
    its words); the few anchors with other characters ("'ll", "n-") are looked for in the
    whole text. Far cheaper than a hundred substring searches per rule over the whole text.
    """

    def __init__(self, rules: Sequence[tuple[str, ...] | None]) -> None:
        self.always = sum(1 << i for i, anchors in enumerate(rules) if anchors is None)
        self.in_words = [
            tuple(a for a in anchors or () if _WORDS.fullmatch(a)) for anchors in rules
        ]
        self.elsewhere = [
            tuple(a for a in anchors or () if not _WORDS.fullmatch(a)) for anchors in rules
        ]
        self._words: dict[str, int] = {}

    def rules_in(self, text: str) -> int:
        found = self.always
        words = self._words
        for word in set(_WORDS.findall(text)):
            bits = words.get(word)
            if bits is None:
                bits = 0
                for index, anchors in enumerate(self.in_words):
                    if any(anchor in word for anchor in anchors):
                        bits |= 1 << index
                if len(words) >= ANCHOR_CACHE_SIZE:
                    words.clear()
                words[word] = bits
            found |= bits
        for index, anchors in enumerate(self.elsewhere):
            if not found >> index & 1 and any(anchor in text for anchor in anchors):
                found |= 1 << index
        return found


_ANCHOR_INDEX = _AnchorIndex([anchors for _, anchors, _, _ in _COMPILED_RULES])
_SENTENCE_END = re.compile(r"[.!?\n。]")
_NEGATED = re.compile(r"(?:^|[^\w'])(?:ne|nie|nu|not)\s+$")
_LETTERS = re.compile(r"[^\W\d_]+")
_LONG_WORD = re.compile(r"[^\W\d_]{5,}")  # a shouted word has more than four letters
# Korean and Slavic patterns match stems; the evidence shows the whole word ("해지하겠습니다").
_WORD_REST = re.compile(r"\w{0,20}")
_EXCLAMATION_RUN = re.compile(r"[!！](?:[?？]*[!！])+")
# A threat sentence is rarely longer; past this a "?" belongs to another sentence.
_SENTENCE_WINDOW = 300


@dataclass(frozen=True)
class _Folded:
    """Text folded for matching, with the way back to the customer's own characters."""

    original: str
    text: str
    positions: list[int] | None  # None: one folded character per original one

    def quote(self, start: int, end: int) -> str:
        if self.positions is not None:
            last = len(self.positions)
            start = self.positions[start]
            end = self.positions[end] if end < last else len(self.original)
        return _trim(self.original[start:end])


class _FoldTable(dict[int, str]):
    """``str.translate`` table filled on first sight of each character: the folding runs in C
    for every character seen before. Characters that fold to more or fewer than one are noted,
    since a text with one of them needs the way back to its original positions."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = char.lower() if char.isascii() else _fold_char(char)
        if len(folded) != 1:
            _RESIZING.add(char)
        self[code] = folded
        return folded


_FOLD_TABLE = _FoldTable()
_RESIZING: set[str] = set()


def _fold(text: str) -> _Folded:
    if text.isascii():
        return _Folded(text, text.lower(), None)
    folded = text.translate(_FOLD_TABLE)
    if _RESIZING.isdisjoint(text):
        return _Folded(text, folded, None)
    pieces: list[str] = []
    positions: list[int] = []
    for index, char in enumerate(text):
        folded = char.lower() if char.isascii() else _fold_char(char)
        pieces.append(folded)
        positions.extend([index] * len(folded))
    return _Folded(text, "".join(pieces), positions)


def _trim(snippet: str) -> str:
    flat = " ".join(snippet.split())
    if len(flat) <= EVIDENCE_CHARS:
        return flat
    return flat[: EVIDENCE_CHARS - 1].rstrip() + "…"


def _is_question(folded: str, end: int) -> bool:
    stop = _SENTENCE_END.search(folded, end, end + _SENTENCE_WINDOW)
    # "?!" is indignation, not a question.
    return stop is not None and stop.group() == "?" and not folded.startswith("!", stop.end())


def _is_negated(folded: str, start: int) -> bool:
    return _NEGATED.search(folded[max(0, start - 8) : start]) is not None


def _word_end(folded: str, end: int) -> int:
    rest = _WORD_REST.match(folded, end)
    return end if rest is None else rest.end()


def _phrase_reasons(folded: _Folded, *, anchored: bool = True) -> list[SeverityReason]:
    """The threat and repeat reasons in the text; ``anchored``: skip a rule whose anchors the
    text lacks (the same result, sooner)."""
    found: dict[str, SeverityReason] = {}
    present = _ANCHOR_INDEX.rules_in(folded.text) if anchored else -1
    for index, (pattern, _, kind, weight) in enumerate(_COMPILED_RULES):
        if kind in found or not present >> index & 1:
            continue
        for match in pattern.finditer(folded.text):
            start, end = match.span()
            if kind in _THREATS and (
                _is_question(folded.text, end) or _is_negated(folded.text, start)
            ):
                continue
            evidence = folded.quote(start, _word_end(folded.text, end))
            found[kind] = SeverityReason(kind, evidence, weight)
            break
    return list(found.values())


def _shouting(text: str) -> SeverityReason | None:
    # Most mail has no shouted words at all: a quick look before the word-by-word count.
    long_words = _LONG_WORD.findall(text)
    if sum(1 for word in long_words if word.isupper()) < _MIN_SHOUTED_WORDS:
        return None
    shouted = words = upper = cased = 0
    for token in text.split():
        if any(c.isdigit() for c in token):
            continue  # order numbers, postcodes, "AB-4411"
        for word in _LETTERS.findall(token):
            if len(word) < 3 or word.lower() == word.upper():
                continue  # too short to shout, or an uncased script such as Hangul
            if word.isupper():
                if len(word) <= 4:
                    continue  # acronyms: VAT, SMS, PIN, IBAN
                shouted += 1
            words += 1
            capitals = sum(c.isupper() for c in word)
            upper += capitals
            cased += capitals + sum(c.islower() for c in word)
    if shouted < _MIN_SHOUTED_WORDS or shouted < _SHOUTED_SHARE * words:
        return None
    return SeverityReason("capitals", f"{round(100 * upper / cased)}% capitals", _CAPITALS_WEIGHT)


def _exclamations(text: str) -> SeverityReason | None:
    run = _EXCLAMATION_RUN.search(text)
    if run is not None:
        return SeverityReason("exclamations", _trim(run.group()), _EXCLAMATIONS_WEIGHT)
    marks = text.count("!") + text.count("！")
    words = len(text.split())
    if marks < _MIN_EXCLAMATIONS or marks * 100 <= _EXCLAMATIONS_PER_100_WORDS * words:
        return None
    evidence = f"{marks} exclamation marks in {words} words"
    return SeverityReason("exclamations", evidence, _EXCLAMATIONS_WEIGHT)


def assess_severity(subject: str, body: str) -> SeverityAssessment:
    """Score how severe a complaint is from its subject and its body (quoted text removed)."""
    text = f"{subject[:MAX_SUBJECT_CHARS]}\n{body[:MAX_BODY_CHARS]}"
    reasons = _phrase_reasons(_fold(text))
    for signal in (_shouting(text), _exclamations(text)):
        if signal is not None:
            reasons.append(signal)
    reasons.sort(key=lambda r: (-r.weight, _KIND_ORDER.index(r.kind)))
    score = round(min(1.0, sum((r.weight for r in reasons), 0.0)), 2)
    return SeverityAssessment(score, tuple(reasons))
