"""The text the model reads: subject and new body text, folded so that spelling variants meet.

Customers in the supported languages often type without diacritics ("racun" for "račun") and
Serbian is written in two scripts, so the model sees one folded form: NFKC, lower case,
Serbian Cyrillic transliterated to Latin, diacritics removed (đ → dj, ł → l), every digit turned
into 0 (order numbers carry no failure type), whitespace collapsed. Hangul is left intact.
"""

from __future__ import annotations

import re
import unicodedata

# A 10 MB body says nothing more about its failure type than its first pages do; the cap also
# bounds the time and memory one message can cost.
MAX_MODEL_CHARS = 20_000

_SERBIAN_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "dj", "е": "e", "ж": "z", "з": "z",
    "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n", "њ": "nj", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "c", "у": "u", "ф": "f", "х": "h", "ц": "c",
    "ч": "c", "џ": "dz", "ш": "s",
}  # fmt: skip
# Letters that do not decompose into base + combining mark under NFKD.
_UNDECOMPOSABLE = {"đ": "dj", "ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ı": "i"}

_FOLD = str.maketrans(
    {
        **_SERBIAN_CYRILLIC,
        **_UNDECOMPOSABLE,
        **{str(d): "0" for d in range(10)},
    }
)
_SPACE = re.compile(r"\s+")


def model_text(subject: str | None, body: str | None) -> str:
    """Subject and body as one string, capped at :data:`MAX_MODEL_CHARS` characters."""
    text = f"{(subject or '').strip()}\n{(body or '').strip()}".strip()
    return text[:MAX_MODEL_CHARS]


# Combining diacritical marks (and their extensions): what NFKD splits off "č", "ș", "ą".
_MARKS = dict.fromkeys(
    [*range(0x0300, 0x0370), *range(0x1AB0, 0x1B00), *range(0x1DC0, 0x1E00), *range(0x20D0, 0x2100)]
)


def _strip_marks(text: str) -> str:
    # NFKD splits "č" into "c" + caron; dropping the marks and recomposing with NFC leaves
    # Hangul syllables whole (their jamo are letters, not marks).
    return unicodedata.normalize("NFC", unicodedata.normalize("NFKD", text).translate(_MARKS))


def fold(text: str) -> str:
    """The folded form the vectorizers see (see the module docstring).

    Word by word, each distinct word folded once (mail repeats the same few thousand words):
    every step is per character or within a word, and whitespace ends up collapsed, so the
    result is that of folding the whole text at once, several times faster.
    """
    cache = _FOLDED_WORDS
    folded: list[str] = []
    for word in text.split():
        found = cache.get(word)
        if found is None:
            if len(cache) >= FOLD_CACHE_SIZE:
                cache.clear()
            found = cache[word] = _fold_word(word)
        folded.append(found)
    return _SPACE.sub(" ", " ".join(folded)).strip()


def _fold_word(text: str) -> str:
    lowered = unicodedata.normalize("NFKC", text).lower().translate(_FOLD)
    if not lowered.isascii():
        lowered = _strip_marks(lowered)
    return lowered


FOLD_CACHE_SIZE = 200_000
_FOLDED_WORDS: dict[str, str] = {}
