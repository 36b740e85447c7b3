"""Facts a reply restates: order numbers, amounts and dates, as the customer wrote them.

Restating the problem specifically ("the charge of 49,90 zł on order 4411") shows the
customer they were understood. Only what the message itself says is used; nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from outbox.fold import fold_mapped
from outbox.phrases import LANGUAGES

__all__ = ["Facts", "extract_facts"]

# Text beyond this is not searched: facts sit near the top of a complaint.
SEARCH_LIMIT = 20_000
MAX_ITEMS = 5
# An order number: letters, digits and dashes with at least one digit, 3-24 characters.
_NUMBER = (
    r"(?:no\.?|nr\.?|br\.?|number|num\.?|#|:|n°|№)?\s*[:#]?\s*"
    # a number has a digit: "order from Monday" names no order, and the other words get a try
    r"(?P<number>(?=[a-z0-9/-]*[0-9])[a-z0-9][a-z0-9/-]{1,22}[a-z0-9])"
)
_HASH_NUMBER = re.compile(r"(?<![\w&])#\s?([0-9][0-9-]{2,20}[0-9])\b")

_CURRENCY = (
    r"€|\$|£|₩|¥|zł|zl|lei|ron|rsd|din\.?|dinara|eur|euro|eura|usd|gbp|pln|krw|chf|원|kn|"
    r"kr|huf|czk"
)
_AMOUNT_NUMBER = r"\d{1,3}(?:[.,\u00a0\u202f ']\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_AMOUNT_SOURCE = (
    rf"(?:(?<![\w])(?:{_CURRENCY})\s?(?:{_AMOUNT_NUMBER}))"
    rf"|(?:(?<![\w.,])(?:{_AMOUNT_NUMBER})\s?(?:{_CURRENCY})(?![\w]))"
)

_MONTHS_EN = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE_SOURCE = (
    r"(?<!\d)(?:"
    r"\d{4}-\d{2}-\d{2}"  # ISO
    r"|\d{1,2}\.\s?\d{1,2}\.\s?(?:\d{4}|\d{2})\.?"  # 3.11.2026 (sr, sl, pl, ro)
    r"|\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})"  # 3/11/2026
    r"|\d{4}\s?년\s?\d{1,2}\s?월\s?\d{1,2}\s?일|\d{1,2}\s?월\s?\d{1,2}\s?일"  # Korean
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s(?:{_MONTHS_EN})\b(?:\s\d{{4}})?"
    rf"|(?:{_MONTHS_EN})\s\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s\d{{4}})?"
    r")(?!\d)"
)
# The patterns are lower case and run on lower-cased text: without IGNORECASE the engine
# rejects most positions by their first character (three times faster on long mail). Text
# whose lower-casing changes its length (a rare "İ") is searched with IGNORECASE instead,
# so that positions stay those of the original.
_AMOUNT, _AMOUNT_ANY_CASE = re.compile(_AMOUNT_SOURCE), re.compile(_AMOUNT_SOURCE, re.IGNORECASE)
_DATE, _DATE_ANY_CASE = re.compile(_DATE_SOURCE), re.compile(_DATE_SOURCE, re.IGNORECASE)


_DIGITS = re.compile(r"\d+")
# Every date and amount holds a digit, and starts and ends within this many characters of its
# digits ("september 30", "dinara"); a run of digits with that much on either side is all
# the text a match can be found in.
REACH = 16


def near_digits(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """The spans ``pattern.finditer(text)`` finds, for a pattern whose matches hold a digit
    within :data:`REACH` characters of both ends: only the text around the digits is searched
    (the date pattern tried its month names at every position of a long mail). Windows that
    meet are merged, so no match is cut; lookbehinds still see the text before a window, and
    a window ends more than a match's reach after its last digit."""
    spans: list[tuple[int, int]] = []
    window: list[int] | None = None
    for run in _DIGITS.finditer(text):
        start, end = max(0, run.start() - REACH), run.end() + REACH
        if window is not None and start <= window[1]:
            window[1] = end
            continue
        if window is not None:
            spans.extend(m.span() for m in pattern.finditer(text, window[0], window[1]))
        window = [start, end]
    if window is not None:
        spans.extend(m.span() for m in pattern.finditer(text, window[0], window[1]))
    return spans


@dataclass(frozen=True)
class Facts:
    orders: tuple[str, ...] = ()
    amounts: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()

    @property
    def order(self) -> str | None:
        return self.orders[0] if self.orders else None

    @property
    def amount(self) -> str | None:
        return self.amounts[0] if self.amounts else None

    @property
    def date(self) -> str | None:
        return self.dates[0] if self.dates else None


@lru_cache(maxsize=1)
def _order_pattern() -> re.Pattern[str]:
    words = sorted(
        {w for module in LANGUAGES.values() for w in getattr(module, "ORDER_WORDS", ())},
        key=len,
        reverse=True,
    )
    # A particle may follow the number directly (Korean "4411이"), but no more of the number.
    return re.compile(rf"(?<!\w)(?:{'|'.join(words)})\w{{0,4}}\s*{_NUMBER}(?![a-z0-9/-])")


def _unique(values: list[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        value = " ".join(value.split()).strip(" .,;:")
        if value and value.lower() not in {v.lower() for v in seen}:
            seen[value] = None
    return tuple(seen)[:MAX_ITEMS]


def extract_facts(text: str) -> Facts:
    """Order numbers, amounts and dates mentioned in ``text``, in order of appearance."""
    text = text[:SEARCH_LIMIT]
    folded = fold_mapped(text)
    orders: list[tuple[int, str]] = []
    for match in _order_pattern().finditer(folded):
        token = folded.original(*match.span("number"))
        orders.append((folded.position(match.start("number")), token))
    for match in _HASH_NUMBER.finditer(text):
        orders.append((match.start(1), match[1]))
    orders.sort(key=lambda item: item[0])
    lowered = text.lower()
    date, amount, searched = (
        (_DATE, _AMOUNT, lowered)
        if len(lowered) == len(text)
        else (_DATE_ANY_CASE, _AMOUNT_ANY_CASE, text)
    )
    date_spans = near_digits(date, searched)
    dates = [text[start:end] for start, end in date_spans]
    amounts = [
        text[start:end]
        for start, end in near_digits(amount, searched)
        if not any(s <= start < e for s, e in date_spans)
    ]
    order_values = [value for _, value in orders if value not in dates]
    return Facts(_unique(order_values), _unique(amounts), _unique(dates))
