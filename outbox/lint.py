"""The recovery lint: what a service-recovery reply must say, and what it must never say.

Runs on every draft and on agents' own texts (``amends lint FILE``). Banned and required
phrases of all languages apply to every text: an English excuse in a Polish reply is still an
excuse, and an apology is recognised in whichever language it is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, Literal

from outbox.fold import Folded, fold_mapped
from outbox.phrases import BANNED, LANGUAGES, OPENERS, REQUIRED

__all__ = ["CHECKS", "Finding", "lint", "reply_text", "summary"]

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Check:
    code: str
    level: Level
    message: str


# Keyed by the phrase-list name in outbox.phrases.<language>.
CHECKS: dict[str, Check] = {
    "ANYTHING_ELSE": Check(
        "anything_else",
        "error",
        'closes with "anything else?": ask whether the customer is satisfied with the solution',
    ),
    "EXCUSE": Check(
        "excuse", "error", "makes an excuse or shifts the blame: take responsibility instead"
    ),
    "POLICY": Check("policy", "error", 'hides behind "policy": explain what happened and why'),
    "DEFLECTION": Check(
        "deflection",
        "error",
        "sends the customer elsewhere or asks them to repeat themselves: solve it here",
    ),
    "IMPERSONAL_APOLOGY": Check(
        "impersonal_apology",
        "warning",
        'a stock apology ("any inconvenience"): apologise in the first person for what happened',
    ),
    "UNFORTUNATELY_OPENER": Check(
        "unfortunately_opener",
        "warning",
        'opens with "unfortunately": open with the apology',
    ),
    "APOLOGY": Check(
        "missing_apology", "error", 'no first-person apology ("I\'m sorry", "I apologise")'
    ),
    "SATISFACTION": Check(
        "missing_satisfaction_question",
        "error",
        'no closing question asking whether the customer is satisfied ("Does this solution '
        'work for you?")',
    ),
    "ACTION": Check(
        "missing_action",
        "error",
        'no concrete action: say what you have done or will do ("I have sent a replacement")',
    ),
}

# A first line this short ending like a salutation is the greeting, not the opening.
_GREETING_MAX = 80
_GREETING_END = (",", ":", "!", "،")
_EXCERPT_MAX = 80
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")


@dataclass(frozen=True)
class Finding:
    code: str
    level: Level
    message: str
    excerpt: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def __str__(self) -> str:
        quoted = f" (“{self.excerpt}”)" if self.excerpt else ""
        return f"{self.level}: {self.code}{quoted}: {self.message}"


@lru_cache(maxsize=1)
def _compiled() -> dict[str, list[re.Pattern[str]]]:
    patterns: dict[str, list[re.Pattern[str]]] = {}
    for name in (*BANNED, *OPENERS, *REQUIRED):
        patterns[name] = [
            re.compile(_literal_first(p))
            for module in LANGUAGES.values()
            for p in getattr(module, name, ())
        ]
    return patterns


# A phrase's leading "\b" and the literal words after it, or a group of literal choices.
_BOUNDED_HEAD = re.compile(r"\\b(?:([\w' ]+)|\(((?:[\w' ]+\|)+[\w' ]+)\))(?![?*+{])")


def _literal_first(source: str) -> str:
    """``source`` with a leading ``\\bwords`` written as ``words(?<!\\wwords)`` (each choice,
    for ``\\b(one|other)``): the same matches, but re looks for the literal words at C speed
    instead of trying the whole pattern at every position. A draft's paragraphs meet some 360
    phrases; this made linting them about twice as fast. The lookbehind is the word boundary:
    no word character before the words."""
    head = _BOUNDED_HEAD.match(source)
    if head is None:
        return source
    choices = [head[1]] if head[1] else head[2].split("|")
    if not all(choice[0].isalnum() for choice in choices):
        return source
    bounded = "|".join(f"{choice}(?<!\\w{choice})" for choice in choices)
    return f"(?:{bounded}){source[head.end() :]}"


def _excerpt(folded: Folded, match: re.Match[str]) -> str:
    text = " ".join(folded.original(match.start(), match.end()).split())
    return text if len(text) <= _EXCERPT_MAX else text[: _EXCERPT_MAX - 1] + "…"


def _openings(text: str) -> list[str]:
    """Where the reply opens: its first paragraph without a salutation line, and the second
    paragraph when the first is a one-line greeting ("Dear Ana," / "안녕하십니까, 고객님.")."""
    paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()]
    if not paragraphs:
        return []
    first = paragraphs[0]
    line, _, rest = first.partition("\n")
    salutation = len(line) <= _GREETING_MAX and line.rstrip().endswith(_GREETING_END)
    openings = [rest] if salutation and rest else [first]
    if "\n" not in first and len(first) <= _GREETING_MAX and len(paragraphs) > 1:
        openings.append(paragraphs[1])
    return openings


def _search(names: Iterable[str], folded: Folded) -> Iterator[tuple[str, re.Match[str]]]:
    patterns = _compiled()
    for name in names:
        for pattern in patterns[name]:
            match = pattern.search(folded)
            if match:
                yield name, match
                break


@dataclass(frozen=True)
class _Scan:
    banned: tuple[tuple[str, str], ...]  # (phrase list, the words as written)
    present: frozenset[str]  # the required phrase lists found


@lru_cache(maxsize=8192)
def _scan(paragraph: str) -> _Scan:
    """One paragraph's banned and required phrases. Cached: a template's paragraphs repeat
    from draft to draft, only those holding a name or an order number differ."""
    folded = fold_mapped(paragraph)
    banned = tuple((name, _excerpt(folded, match)) for name, match in _search(BANNED, folded))
    return _Scan(banned, frozenset(name for name, _ in _search(REQUIRED, folded)))


def lint(text: str) -> list[Finding]:
    """Every problem in a reply's own text (without the quoted customer message).

    Phrases are looked for within paragraphs: a phrase split by a blank line is not one.
    """
    scans = [_scan(p.strip()) for p in _PARAGRAPH_BREAK.split(text) if p.strip()]
    first: dict[str, str] = {}
    for scan in scans:
        for name, excerpt in scan.banned:
            first.setdefault(name, excerpt)
    findings = [
        Finding(CHECKS[name].code, CHECKS[name].level, CHECKS[name].message, first[name])
        for name in BANNED
        if name in first
    ]
    for opening in map(fold_mapped, _openings(text)):
        opener = next(_search(OPENERS, opening), None)
        if opener is not None:
            check = CHECKS[opener[0]]
            findings.append(
                Finding(check.code, check.level, check.message, _excerpt(opening, opener[1]))
            )
            break
    present = frozenset().union(*(scan.present for scan in scans))
    for name in REQUIRED:
        if name not in present:
            check = CHECKS[name]
            findings.append(Finding(check.code, check.level, check.message))
    return findings


def summary(findings: Iterable[Finding], limit: int = 400) -> str:
    """One line for the draft's ``X-Amends-Lint`` header: "ok" or the findings' codes."""
    items = list(findings)
    if not items:
        return "ok"
    parts = [f"{f.code}" + (f' "{f.excerpt}"' if f.excerpt else "") for f in items]
    line = f"{len(items)} finding{'s' if len(items) != 1 else ''}: " + "; ".join(parts)
    return line if len(line) <= limit else line[: limit - 1] + "…"


_QUOTE_INTRO = re.compile(r"^.{0,200}:\s*$")


def reply_text(text: str) -> str:
    """The agent's own words in a reply: quoted lines (``>``) and the line before them removed.

    The customer's message quoted below a reply is not the agent's text: an "unfortunately" or
    "policy" there must not count against the reply.
    """
    lines = text.splitlines()
    kept: list[str] = []
    for index, line in enumerate(lines):
        if line.lstrip().startswith(">"):
            continue
        following = next((ln for ln in lines[index + 1 :] if ln.strip()), "")
        if _QUOTE_INTRO.match(line) and following.lstrip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()
