"""Text folding for phrase matching: case, diacritics, script and typography made uniform.

``fold`` keeps a map from every folded character back to the original text, so a match found
in folded text can be shown to the user as the customer or agent wrote it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["Folded", "fold", "fold_mapped"]

# Serbian Cyrillic to Latin (gaj's alphabet), so one pattern serves both scripts.
_CYRILLIC_LETTERS = "абвгдђежзијклљмнњопрстћуфхцчџш"
_LATIN_LETTERS = "a b v g d đ e ž z i j k l lj m n nj o p r s t ć u f h c č dž š"
_CYRILLIC = dict(zip(_CYRILLIC_LETTERS, _LATIN_LETTERS.split(), strict=True))
_PLAIN = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00a0": " ", "\u202f": " ",
    "ł": "l", "đ": "d", "ø": "o", "ß": "ss",
}  # fmt: skip


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    text = _PLAIN.get(char, char).casefold()
    text = "".join(_CYRILLIC.get(c, c) for c in text)
    text = "".join(_PLAIN.get(c, c) for c in text)
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    # NFC again: Hangul syllables decompose into jamo under NFKD and must be put back.
    return unicodedata.normalize("NFC", kept)


class Folded(str):
    """Folded text that remembers, for each of its characters, where it came from."""

    origin: tuple[int, ...]
    source: str

    def original(self, start: int, end: int) -> str:
        """The original text behind the folded span ``[start, end)``."""
        if start >= end or not self.origin:
            return ""
        first = self.origin[start]
        last = self.origin[end - 1]
        return self.source[first : last + 1]


def _is_space(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) == "Cc"


# Every whitespace and control character is below U+3001 (U+3000 is the last space).
_SPACES = "".join(chr(code) for code in range(0x3001) if _is_space(chr(code)))
_WORD = re.compile(f"[^{re.escape(_SPACES)}]+")


class _FoldTable(dict[int, str]):
    """``str.translate`` table filled on first sight of each character, so folding runs in C
    for every character seen before. Characters that fold to more or fewer than one are
    noted: a text with one of them takes the character-by-character way."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        if len(folded) != 1:
            _RESIZING.add(chr(code))
        self[code] = folded
        return folded


_TABLE = _FoldTable()
_RESIZING: set[str] = set()


def fold_mapped(text: str) -> Folded:
    """``text`` folded, with whitespace runs made one space and the ends trimmed, remembering
    where each character came from."""
    words = [match.span() for match in _WORD.finditer(text)]
    folded = text.translate(_TABLE)
    if not _RESIZING.isdisjoint(text):
        return _fold_each(text)
    # One folded character per original one: whole words are copied, and each whitespace
    # run becomes one space that stands for the run's first character.
    pieces: list[str] = []
    origin: list[int] = []
    for start, end in words:
        pieces.append(folded[start:end])
        origin.extend(range(start, end))
        pieces.append(" ")
        origin.append(end)
    if words and words[-1][1] == len(text):  # no whitespace after the last word
        pieces.pop()
        origin.pop()
    joined = "".join(pieces)
    if joined.endswith(" "):
        joined = joined[:-1]
        origin.pop()
    result = Folded(joined)
    result.origin = tuple(origin)
    result.source = text
    return result


def _fold_each(text: str) -> Folded:
    out: list[str] = []
    origin: list[int] = []
    space = True  # drops leading whitespace
    for index, char in enumerate(text):
        if _is_space(char):
            if not space:
                out.append(" ")
                origin.append(index)
                space = True
            continue
        folded = _fold_char(char)
        for piece in folded:
            out.append(piece)
            origin.append(index)
        space = space and not folded
    if out and out[-1] == " ":
        out.pop()
        origin.pop()
    result = Folded("".join(out))
    result.origin = tuple(origin)
    result.source = text
    return result


def fold(text: str) -> str:
    """Lower case, no diacritics, Serbian in Latin script, plain quotes, single spaces."""
    return str(fold_mapped(text))
