"""Text folding for phrase matching: case, diacritics, script and typography made uniform.

``fold`` keeps a map from every folded character back to the original text, so a match found
in folded text can be shown to the user as the customer or agent wrote it.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
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
    """Folded text that remembers, for each of its characters, where it came from: ``origin``
    (built when first asked for), or ``position(index)`` for one."""

    source: str
    # Set by the folding: the whole map, or the spans of ``source`` the text was copied from
    # (then the map is built only when asked for; most texts never are).
    _origin: tuple[int, ...] | None
    _spans: list[tuple[int, int]]

    @property
    def origin(self) -> tuple[int, ...]:
        if self._origin is None:
            self._origin = tuple(itertools.chain.from_iterable(range(a, b) for a, b in self._spans))
        return self._origin

    def position(self, index: int) -> int:
        """Where the folded character at ``index`` came from."""
        if self._origin is not None:
            return self._origin[index]
        for start, end in self._spans:
            if index < end - start:
                return start + index
            index -= end - start
        raise IndexError(index)

    def original(self, start: int, end: int) -> str:
        """The original text behind the folded span ``[start, end)``."""
        if start >= end or not self:
            return ""
        first = self.position(start)
        last = self.position(end - 1)
        return self.source[first : last + 1]


def _is_space(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) == "Cc"


# Every whitespace and control character is below U+3001 (U+3000 is the last space).
_SPACES = "".join(chr(code) for code in range(0x3001) if _is_space(chr(code)))
_WORD = re.compile(f"[^{re.escape(_SPACES)}]+")


class _FoldTable(dict[int, str]):
    """``str.translate`` table filled on first sight of each character, so folding runs in C
    for every character seen before. Characters that fold to more or fewer than one, or to a
    space, are noted: a text with one of them is folded word by word."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = _fold_char(char)
        if len(folded) != 1 or (folded.isspace() and not _is_space(char)):
            _RESIZING.add(char)
        self[code] = folded
        return folded


class _FlatTable(_FoldTable):
    """The same, with every whitespace and control character made a plain space."""

    def __missing__(self, code: int) -> str:
        if _is_space(chr(code)):
            self[code] = " "
            return " "
        return super().__missing__(code)


_TABLE = _FoldTable()
_FLAT = _FlatTable()
_RESIZING: set[str] = set()
_SPACE_RUN = re.compile("  +")


def fold_mapped(text: str) -> Folded:
    """``text`` folded, with whitespace runs made one space and the ends trimmed, remembering
    where each character came from."""
    flat = text.translate(_FLAT)
    if not _RESIZING.isdisjoint(text):
        return _fold_words(text)
    # One folded character per original one, whitespace all plain spaces: the text is copied
    # in a few spans, around the ends' spaces and the second and later spaces of each run.
    start, stop = len(flat) - len(flat.lstrip(" ")), len(flat.rstrip(" "))
    spans: list[tuple[int, int]] = []
    for run in _SPACE_RUN.finditer(flat, start, stop):
        spans.append((start, run.start() + 1))
        start = run.end()
    if start < stop:
        spans.append((start, stop))
    return _folded("".join(flat[a:b] for a, b in spans), text, None, spans)


def _folded(
    text: str, source: str, origin: tuple[int, ...] | None, spans: list[tuple[int, int]]
) -> Folded:
    result = Folded(text)
    result.source, result._origin, result._spans = source, origin, spans
    return result


def _fold_words(text: str) -> Folded:
    folded = text.translate(_TABLE)
    # With a character that folds to more or fewer than one, the folded text no longer runs
    # in step with the original: each word is folded by itself.
    resizing = not _RESIZING.isdisjoint(text)
    pieces: list[str] = []
    origin: list[int] = []
    last_end = -1
    for match in _WORD.finditer(text):
        start, end = match.span()
        where: Sequence[int]
        if not resizing:
            piece, where = folded[start:end], range(start, end)
        elif _RESIZING.isdisjoint(word := match.group()):
            piece, where = word.translate(_TABLE), range(start, end)
        else:
            piece, where = _fold_word(text, start, end)
            if not piece:
                continue  # nothing left of it (a lone combining mark): as if it were space
        if last_end >= 0:
            # Whitespace ran from the last word to this one: one space, standing for its
            # first character.
            pieces.append(" ")
            origin.append(last_end)
        pieces.append(piece)
        origin.extend(where)
        last_end = end
    if 0 <= last_end < len(text):
        pieces.append(" ")  # whitespace after the last word, trimmed below
        origin.append(last_end)
    joined = "".join(pieces)
    if joined.endswith(" "):
        joined = joined[:-1]
        origin.pop()
    return _folded(joined, text, tuple(origin), [])


def _fold_word(text: str, start: int, end: int) -> tuple[str, list[int]]:
    pieces: list[str] = []
    origin: list[int] = []
    for index in range(start, end):
        piece = _TABLE[ord(text[index])]
        pieces.append(piece)
        origin.extend([index] * len(piece))
    return "".join(pieces), origin


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
    return _folded("".join(out), text, tuple(origin), [])


def fold(text: str) -> str:
    """Lower case, no diacritics, Serbian in Latin script, plain quotes, single spaces."""
    return str(fold_mapped(text))
