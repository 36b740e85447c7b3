"""Reading a customer's answer to the follow-up: the rating they gave (1 to 5), whether the fix
held, and whether they asked us to stop writing. Pure: text in, ``Answer`` out.

The answer is read sentence by sentence, in every language at once (customers mix them), from
phrase lists in ``outbox.answer_phrases``. A number is a rating only where it cannot be an order
number, a date, an amount or a count: alone in its sentence or next to a rating cue ("4/5",
"ocena 4", "5점"). On the fix, a statement ("it works now") outweighs a feeling ("very happy"),
which outweighs a bare "yes"; within each kind the first sentence that says something decides,
because people answer the question before they tell the story.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from outbox.answer_phrases import ANSWERS, FEELINGS, LANGUAGES, PATTERN_LISTS, STATEMENTS
from outbox.fold import Folded, fold_mapped

__all__ = ["Answer", "patterns", "read_answer"]

# People answer first: beyond this lie stories, signatures and quoted mail the caller missed.
_SCAN_CHARS = 2_000
_EVIDENCE_MAX = 80

_DIGITS = r"\d{1,2}(?:[.,]\d)?"
_FILLED_STARS = "★⭐🌟*"
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
_BULLET = re.compile(r"^(?:[-•·>] )+")
_NUMBERED_LINE = re.compile(r"^[ \t]*\d{1,2}[.)][ \t]+\S", re.MULTILINE)
_LEADING_PUNCTUATION = re.compile(r"^\W+")
_UNNAMED = re.compile(r"\(\?P<\w+>")


@dataclass(frozen=True)
class Answer:
    """What a customer's answer to the follow-up says."""

    rating: int | None  # 1-5 when the customer gave one
    fix_held: bool | None  # "yes, it works" / "no, still broken"; None when not said
    opt_out: bool  # asked us to stop writing
    evidence: str  # the words the reading rests on, as written (at most 80 characters)

    @property
    def understood(self) -> bool:
        return self.rating is not None or self.fix_held is not None or self.opt_out

    def satisfied(self, satisfied_from: int = 4) -> bool | None:
        """A rating of ``satisfied_from`` or more is satisfied, a lower one is not; without a
        rating, whether the fix held; None when the answer says neither."""
        if self.rating is not None:
            return self.rating >= satisfied_from
        return self.fix_held


@dataclass(frozen=True)
class _Pattern:
    language: str  # "" for the symbols all languages share ("4/5", "★★★★☆")
    regex: re.Pattern[str]


@dataclass(frozen=True)
class _Compiled:
    lists: dict[str, tuple[_Pattern, ...]]  # phrase-list name -> every language's patterns
    screens: dict[str, re.Pattern[str]]  # phrase-list name -> one pattern that finds any of it
    symbols: tuple[_Pattern, ...]  # "4/5", stars
    alone: tuple[_Pattern, ...]  # a number alone in its sentence, or opening or closing it
    connectives: re.Pattern[str]
    numeric: re.Pattern[str]  # a digit or a number word: without one, no rating cue applies
    values: dict[str, int]  # number word -> value
    abbreviations: frozenset[str]


def _alternatives(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _number(words: Iterable[str]) -> str:
    spelled = _alternatives(words)
    spelled = f"|(?<!\\w)(?:{spelled})" if spelled else ""
    return rf"(?P<n>(?<![0-9a-z.,/]){_DIGITS}(?!\d|[.,]\d){spelled})"


def _scale(words: Mapping[str, int]) -> str:
    spelled = _alternatives(w for w, value in words.items() if value in (5, 10))
    spelled = f"|(?<!\\w)(?:{spelled})" if spelled else ""
    return rf"(?P<of>(?<![0-9.,])(?:5|10)(?!\d){spelled})"


def _expand(template: str, words: Mapping[str, int], end: str) -> str:
    # str.replace, not format: the templates are full of regex braces ("{0,2}").
    return (
        template.replace("{n}", _number(words)).replace("{of}", _scale(words)).replace("{end}", end)
    )


def _screen(patterns: Iterable[_Pattern]) -> re.Pattern[str]:
    """One pattern that finds whether any of a list's patterns would: most sentences match
    nothing, and one search says so at once. Groups are unnamed (every rating cue names the
    same ones) and the leading word boundary most patterns share is tested once."""
    bounded, other = [], []
    for pattern in patterns:
        source = _UNNAMED.sub("(?:", pattern.regex.pattern)
        if source.startswith(r"\b"):
            bounded.append(f"(?:{source[2:]})")
        else:
            other.append(f"(?:{source})")
    if bounded:
        other.insert(0, rf"\b(?:{'|'.join(bounded)})")
    return re.compile("|".join(other) or "(?!)")


@lru_cache(maxsize=1)
def _compiled() -> _Compiled:
    connectives = "|".join(f"(?:{p})" for m in LANGUAGES.values() for p in m.CONNECTIVES)
    # A rating ends the sentence, meets a punctuation mark (not the "/" of a scale) or a "but".
    end = rf"(?=[ ]?(?:$|[^\w\s/])|[ ](?:{connectives}))"
    lists: dict[str, tuple[_Pattern, ...]] = {}
    for name in PATTERN_LISTS:
        lists[name] = tuple(
            _Pattern(
                code,
                re.compile(_expand(p, module.NUMBER_WORDS, end) if name == "RATING_CUES" else p),
            )
            for code, module in LANGUAGES.items()
            for p in getattr(module, name)
        )
    screens = {name: _screen(patterns) for name, patterns in lists.items()}
    values: dict[str, int] = {}
    for module in LANGUAGES.values():
        values.update(module.NUMBER_WORDS)
    any_number, digits = _number(values), _number(())
    not_a_date = r"(?<!\bon )(?<!\bsince )(?<!\buntil )(?<!\bfrom )"
    symbols = (
        rf"{not_a_date}{digits} ?/ ?(?P<slash>5|10)(?!\d|[.,/-]\d)",
        r"(?<![★⭐🌟☆✩\ufe0f])(?P<stars>[★⭐🌟]\ufe0f?(?:[★⭐🌟☆✩]\ufe0f?){0,4})(?![★⭐🌟☆✩])",
        r"^(?P<stars>\*{2,5})(?=$|[ .!,])",
    )
    # Alone: "4", "(4)", "4 :)" but not "5 %" or "5 €"; opening: "5, all good", "2 - still
    # broken"; closing: "all good, 5" (not "qty: 2").
    alone = (
        rf"^[(\[]?{any_number}[^\w%‰°#$€£¥₩]*$",
        rf"^{any_number} ?[-,:] ?(?=[^\W\d_])",
        rf"(?<=[^\W\d_]) ?[,;-] ?{digits}[.!]*$",
    )
    return _Compiled(
        lists=lists,
        screens=screens,
        symbols=tuple(_Pattern("", re.compile(p)) for p in symbols),
        alone=tuple(_Pattern("", re.compile(p)) for p in alone),
        connectives=re.compile(connectives),
        numeric=re.compile(rf"\d|{_alternatives(values)}"),
        values=values,
        abbreviations=frozenset(a for m in LANGUAGES.values() for a in m.ABBREVIATIONS),
    )


def patterns(language: str, name: str) -> tuple[re.Pattern[str], ...]:
    """One language's phrase list as compiled, in list order (rating cues expanded)."""
    return tuple(p.regex for p in _compiled().lists[name] if p.language == language)


@dataclass(frozen=True)
class _Sentence:
    text: str  # folded
    line: Folded
    offset: int  # where ``text`` starts in ``line``
    index: int  # position in the answer
    first: bool  # opens its line
    last: bool  # closes its line
    breaks: tuple[int, ...]  # where a clause opens with a connective ("but", "ali")

    def words(self, start: int, end: int) -> str:
        return " ".join(self.line.original(self.offset + start, self.offset + end).split())


@dataclass(frozen=True)
class _Found:
    sentence: _Sentence
    start: int
    end: int

    @property
    def order(self) -> tuple[int, int]:
        return self.sentence.index, self.start

    @property
    def words(self) -> str:
        return self.sentence.words(self.start, self.end)


def _spans(line: str, abbreviations: frozenset[str]) -> list[tuple[int, int]]:
    """Sentence spans of a folded line. A full stop after an abbreviation ("nov. 3") or between
    the numbers of a date ("15. 3. 2025") does not end a sentence."""
    spans: list[tuple[int, int]] = []
    start = 0
    for mark in _SENTENCE_END.finditer(line):
        if mark.group() == ".":
            word = _LEADING_PUNCTUATION.sub("", line[start : mark.start()].rpartition(" ")[2])
            following = line[mark.end() :].lstrip()[:1]
            if word in abbreviations or (word[-1:].isdigit() and following.isdigit()):
                continue
        spans.append((start, mark.end()))
        start = mark.end()
    if start < len(line):
        spans.append((start, len(line)))
    return spans


def _sentences(text: str) -> list[_Sentence]:
    compiled = _compiled()
    sentences: list[_Sentence] = []
    for raw in text.splitlines():
        line = fold_mapped(raw)
        pieces: list[tuple[int, str]] = []
        for start, end in _spans(line, compiled.abbreviations):
            segment = line[start:end]
            piece = segment.strip()
            start += len(segment) - len(segment.lstrip())
            bullet = _BULLET.match(piece)
            if bullet:
                start, piece = start + bullet.end(), piece[bullet.end() :]
            if piece:
                pieces.append((start, piece))
        for number, (start, piece) in enumerate(pieces):
            breaks = tuple(m.start() for m in compiled.connectives.finditer(piece))
            first, last = number == 0, number == len(pieces) - 1
            sentences.append(_Sentence(piece, line, start, len(sentences), first, last, breaks))
    return sentences


def _value(text: str, values: Mapping[str, int]) -> Fraction:
    return Fraction(values[text]) if text in values else Fraction(text.replace(",", "."))


def _on_scale(value: Fraction, scale: int | None) -> int | None:
    """A value on a scale of 5 or 10 as a rating from 1 to 5, halves rounded up."""
    if scale is None:
        if not 1 <= value <= 5:
            return None
        scale = 5
    if scale not in (5, 10) or not 0 <= value <= scale:
        return None
    return max(1, math.floor(value * 5 / scale + Fraction(1, 2)))


def _rating_of(match: re.Match[str], values: Mapping[str, int]) -> int | None:
    groups = match.groupdict()
    if groups.get("stars") is not None:
        return _on_scale(Fraction(sum(c in _FILLED_STARS for c in groups["stars"])), None)
    scale = groups.get("of") or groups.get("slash")
    return _on_scale(_value(groups["n"], values), int(_value(scale, values)) if scale else None)


def _read_rating(
    sentences: Sequence[_Sentence], listed: bool, language: str | None
) -> tuple[int, _Found] | None:
    """The first clear rating: the earliest in the first sentence that has one."""
    compiled = _compiled()
    for sentence in sentences:
        # In a numbered list, "1." opening a line is the item's number, not a rating.
        alone = () if listed and sentence.first and not sentence.last else compiled.alone
        best: tuple[tuple[int, int, bool], int, _Found] | None = None
        cues = compiled.lists["RATING_CUES"]
        if not compiled.numeric.search(sentence.text):
            cues = ()
        for pattern in (*cues, *compiled.symbols, *alone):
            for match in pattern.regex.finditer(sentence.text):
                rating = _rating_of(match, compiled.values)
                if rating is None:
                    continue
                key = (match.start(), match.start() - match.end(), pattern.language != language)
                if best is None or key < best[0]:
                    # A number alone is quoted without the comma or dash that set it apart.
                    start, end = match.span("n") if pattern in alone else match.span()
                    best = (key, rating, _Found(sentence, start, end))
                break
        if best is not None:
            return best[1], best[2]
    return None


def _matches(
    name: str, sentence: _Sentence, blocked: Sequence[tuple[int, int]]
) -> list[tuple[str, int, int]]:
    compiled = _compiled()
    found: list[tuple[str, int, int]] = []
    if not compiled.screens[name].search(sentence.text):
        return found
    for pattern in compiled.lists[name]:
        for match in pattern.regex.finditer(sentence.text):
            start, end = match.span()
            if end > start and not any(
                start < b_end and b_start < end for b_start, b_end in blocked
            ):
                found.append((pattern.language, start, end))
    return found


@dataclass(frozen=True)
class _Hit:
    clause: int
    negative: bool
    found: _Found
    language: str


def _verdict(
    group: Sequence[_Sentence],
    names: tuple[str, str],
    language: str | None,
    opt_out: Mapping[int, list[tuple[int, int]]],
) -> tuple[bool, _Found] | None:
    """What a run of sentences says on the fix with one kind of evidence. The conversation's
    language, when it has a say, silences the others; a negative match wins over the positive
    ones it overlaps ("not satisfied"); after a "but", the last clause that says anything
    decides; within a clause, a negative wins."""
    positive, negative = names
    hits: list[_Hit] = []
    clause = 0
    for sentence in group:
        blocked = opt_out.get(sentence.index, [])  # "ne pišite mi više" is not a "no"
        for is_negative, name in ((True, negative), (False, positive)):
            for code, start, end in _matches(name, sentence, blocked):
                where = clause + sum(b <= start for b in sentence.breaks)
                hits.append(_Hit(where, is_negative, _Found(sentence, start, end), code))
        clause += len(sentence.breaks)
    if language is not None:
        hits = [h for h in hits if h.language == language] or hits
    hits = [
        h
        for h in hits
        if h.negative or not any(n.negative and _overlap(h.found, n.found) for n in hits)
    ]
    if not hits:
        return None
    last = max(h.clause for h in hits)
    deciding = [h for h in hits if h.clause == last]
    chosen = min([h for h in deciding if h.negative] or deciding, key=lambda h: h.found.order)
    # Quote the whole phrase: "it works" and "works now" make "it works now".
    found = chosen.found
    for hit in sorted(deciding, key=lambda h: h.found.order):
        if hit.negative == chosen.negative and _overlap(hit.found, found):
            start, end = min(found.start, hit.found.start), max(found.end, hit.found.end)
            found = _Found(found.sentence, start, end)
    return not chosen.negative, found


def _overlap(one: _Found, other: _Found) -> bool:
    return one.sentence is other.sentence and one.start < other.end and other.start < one.end


def _groups(sentences: Sequence[_Sentence]) -> list[list[_Sentence]]:
    """Sentences with a sentence that opens with "but" joined to the one before it."""
    groups: list[list[_Sentence]] = []
    for sentence in sentences:
        if groups and sentence.breaks[:1] == (0,):
            groups[-1].append(sentence)
        else:
            groups.append([sentence])
    return groups


def _evidence(found: Iterable[_Found]) -> str:
    words: list[str] = []
    for item in sorted(found, key=lambda f: f.order):
        if item.words and item.words not in words:
            words.append(item.words)
    text = " … ".join(words)
    return text if len(text) <= _EVIDENCE_MAX else text[: _EVIDENCE_MAX - 1] + "…"


def _language(language: str | None) -> str | None:
    code = (language or "").strip().lower().replace("_", "-").partition("-")[0]
    return code or None


def read_answer(text: str, language: str | None = None) -> Answer:
    """Read the customer's own new text (quoted history already removed).

    Every language's phrases apply; ``language`` (the conversation's, e.g. "sr" or "sr-Latn")
    only breaks ties between them. Only the first ~2,000 characters are read.
    """
    code = _language(language)
    head = text[:_SCAN_CHARS]
    sentences = _sentences(head)
    listed = len(_NUMBERED_LINE.findall(head)) >= 2
    evidence: list[_Found] = []

    asked_to_stop = [
        _Found(sentence, start, end)
        for sentence in sentences
        for _, start, end in _matches("OPT_OUT", sentence, ())
    ]
    opt_out: dict[int, list[tuple[int, int]]] = {}
    for found in asked_to_stop:
        opt_out.setdefault(found.sentence.index, []).append((found.start, found.end))
    if asked_to_stop:
        evidence.append(min(asked_to_stop, key=lambda f: f.order))

    rating: int | None = None
    found_rating = _read_rating(sentences, listed, code)
    if found_rating is not None:
        rating, where = found_rating
        evidence.append(where)

    fix_held: bool | None = None
    groups = _groups(sentences)
    kinds = (STATEMENTS, FEELINGS, ANSWERS) if rating is None else (STATEMENTS, ANSWERS)
    for names in kinds:
        verdict = next((v for v in (_verdict(g, names, code, opt_out) for g in groups) if v), None)
        if verdict is not None:
            fix_held, where = verdict
            evidence.append(where)
            break

    return Answer(rating, fix_held, bool(opt_out), _evidence(evidence))
