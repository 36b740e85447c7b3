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

import bisect
import importlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
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


def _compile(sources: Sequence[str]) -> re.Pattern[str]:
    """One pattern for phrases (in their order).

    The phrases that start at a word boundary share one leading boundary: the engine then tries
    the long alternation only where a word starts, not at every character (eight times faster
    on long mail, the same matches).
    """
    bounded = [s.removeprefix("\\b") for s in sources if s.startswith("\\b")]
    parts = [f"(?:{s})" for s in sources if not s.startswith("\\b")]
    if bounded:
        parts.insert(0, "\\b(?=\\w)(?:" + "|".join(f"(?:{s})" for s in bounded) + ")")
    return re.compile("|".join(parts))


def _phrase_anchors(source: str) -> frozenset[str] | None:
    """Literal strings of which every match of the phrase contains at least one, from re's
    own parse of it; None when it has none to offer (it is then always tried)."""
    try:
        return _required(_sre_parser.parse(source))
    except Exception:  # an internal module of re: never let it break the rules
        return None


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

_WORDS = re.compile(r"\w+")
ANCHOR_CACHE_SIZE = 200_000


@dataclass(frozen=True)
class _Rule:
    """One phrase rule: its phrases, their pattern, and for each phrase the anchors (as bits,
    see :class:`_AnchorIndex`) of which a match needs one; None: always tried."""

    number: int
    kind: str
    weight: float
    sources: tuple[str, ...]
    needs: tuple[int | None, ...]
    pattern: re.Pattern[str]

    def pattern_for(self, present: int) -> re.Pattern[str] | None:
        """The pattern of the phrases that can match a text holding the ``present`` anchors
        (in their order, so the first match is the one the whole rule would find); None when
        no phrase can."""
        chosen = tuple(n for n, need in enumerate(self.needs) if need is None or need & present)
        if len(chosen) == len(self.sources):
            return self.pattern
        return _phrases_pattern(self.number, chosen) if chosen else None


class _AnchorIndex:
    """Which anchors a text holds, as a bit set.

    Most mail holds few of them, and a rule of a hundred phrases then needs only the two or
    three that can match: a short pattern instead of a hundred alternatives tried at every
    word start (severity was two thirds of classifying long mail). An anchor made of word
    characters only can occur only inside one word, so each distinct word is looked at once
    (its substrings looked up) and the answer kept, mail repeating its words; the few anchors
    with other characters ("'ll", "n-") are searched for in the whole text.
    """

    def __init__(self, anchors: Sequence[str]) -> None:
        self.by_length: dict[int, dict[str, int]] = {}
        self.elsewhere: list[tuple[str, int]] = []
        for number, anchor in enumerate(anchors):
            if _WORDS.fullmatch(anchor):
                self.by_length.setdefault(len(anchor), {})[anchor] = 1 << number
            else:
                self.elsewhere.append((anchor, 1 << number))
        self._words: dict[str, int] = {}

    def present(self, text: str) -> int:
        found = 0
        words = self._words
        for word in set(_WORDS.findall(text)):
            bits = words.get(word)
            if bits is None:
                bits = self._in_word(word)
                if len(words) >= ANCHOR_CACHE_SIZE:
                    words.clear()
                words[word] = bits
            found |= bits
        for anchor, bit in self.elsewhere:
            if anchor in text:
                found |= bit
        return found

    def _in_word(self, word: str) -> int:
        bits = 0
        for length, anchors in self.by_length.items():
            for start in range(len(word) - length + 1):
                bits |= anchors.get(word[start : start + length], 0)
        return bits


def _rules() -> tuple[tuple[_Rule, ...], _AnchorIndex]:
    anchor_bits: dict[str, int] = {}
    rules = []
    for number, (key, kind, weight) in enumerate(_PHRASE_RULES):
        sources = tuple(_sources(key))
        needs: list[int | None] = []
        for source in sources:
            anchors = _phrase_anchors(source)
            if anchors is None:
                needs.append(None)
                continue
            need = 0
            for anchor in anchors:
                need |= 1 << anchor_bits.setdefault(anchor, len(anchor_bits))
            needs.append(need)
        rules.append(_Rule(number, kind, weight, sources, tuple(needs), _compile(sources)))
    return tuple(rules), _AnchorIndex(list(anchor_bits))


_RULES, _ANCHOR_INDEX = _rules()


@lru_cache(maxsize=4096)
def _phrases_pattern(rule: int, chosen: tuple[int, ...]) -> re.Pattern[str]:
    sources = _RULES[rule].sources
    return _compile([sources[n] for n in chosen])


_SENTENCE_END = re.compile(r"[.!?\n。]")
_NEGATED = re.compile(r"(?:^|[^\w'])(?:ne|nie|nu|not)\s+$")
_LETTERS = re.compile(r"[^\W\d_]+")
# Five letters in a row none of which is lower case: every shouted word (more than four
# letters, none of them lower case) is one such run, and most mail has none at all.
_UPPER_RUN = re.compile(
    r"[^\W\d_" + "".join(re.escape(c) for c in map(chr, range(0x10000)) if c.islower()) + "]{5,}"
)
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
    resized: bool  # some character folded to more or fewer than one

    @cached_property
    def _shifts(self) -> tuple[list[int], list[int], list[int], list[int]]:
        """For each character that folds to more or fewer than one, in order: where its
        folded form starts, its length, its original position, and the shift (folded minus
        original position) after it. Between them the two texts run in step."""
        starts: list[int] = []
        lengths: list[int] = []
        positions: list[int] = []
        shifts: list[int] = []
        shift = 0
        resizing = re.compile("[" + re.escape("".join(sorted(_RESIZING))) + "]")
        for match in resizing.finditer(self.original):
            index = match.start()
            length = len(_FOLD_TABLE[ord(match.group())])
            starts.append(index + shift)
            lengths.append(length)
            positions.append(index)
            shift += length - 1
            shifts.append(shift)
        return starts, lengths, positions, shifts

    def _original(self, folded: int) -> int:
        """The original position of the folded character at ``folded``."""
        if not self.resized:
            return folded
        starts, lengths, positions, shifts = self._shifts
        last = bisect.bisect_right(starts, folded) - 1
        if last < 0:
            return folded
        if folded < starts[last] + lengths[last]:
            return positions[last]  # inside one character's folded form
        return folded - shifts[last]

    def quote(self, start: int, end: int) -> str:
        first = self._original(start)
        stop = self._original(end) if end < len(self.text) else len(self.original)
        return _trim(self.original[first:stop])


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
        return _Folded(text, text.lower(), resized=False)
    folded = text.translate(_FOLD_TABLE)
    return _Folded(text, folded, resized=not _RESIZING.isdisjoint(text))


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
    """The threat and repeat reasons in the text; ``anchored``: try only the phrases whose
    anchors the text holds (the same result, sooner)."""
    found: dict[str, SeverityReason] = {}
    present = _ANCHOR_INDEX.present(folded.text) if anchored else 0
    for rule in _RULES:
        kind, weight = rule.kind, rule.weight
        if kind in found:
            continue
        pattern = rule.pattern_for(present) if anchored else rule.pattern
        if pattern is None:
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
    runs = _UPPER_RUN.findall(text)
    if sum(1 for run in runs if run.isupper()) < _MIN_SHOUTED_WORDS:
        return None
    return _count_shouting(text)


def _count_shouting(text: str) -> SeverityReason | None:
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
