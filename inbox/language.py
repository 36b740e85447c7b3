"""The language of a message (ISO 639-1), by py3langid restricted to a set of likely languages.

Serbian, Croatian and Bosnian share one Latin alphabet and most of their words; py3langid tells
them apart by small differences and often says "hr" or "bs" for Latin-script Serbian. Amends
answers all three in Serbian, so "hr", "bs" and "sh" are reported as "sr".
"""

from __future__ import annotations

import logging
import re
import threading

from py3langid.langid import MODEL_FILE, LanguageIdentifier

log = logging.getLogger(__name__)

# The languages a support mailbox in the region meets; fewer candidates, fewer confusions
# (an unrestricted model calls short Slovenian "hr" and short Romanian "lij").
LANGUAGES = (
    "en", "sr", "hr", "bs", "sl", "pl", "ko", "ro", "mk", "bg", "ru", "uk", "cs", "sk", "hu",
    "sq", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "no", "fi", "el", "tr", "ja", "zh",
)  # fmt: skip
ALIASES = {"hr": "sr", "bs": "sr", "sh": "sr"}
MIN_LETTERS = 20
MIN_CONFIDENCE = 0.3
# Enough text to tell; the classifier's cost grows with the length.
MAX_CHARS = 1000

_NOISE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+")
_NOT_LETTERS = re.compile(r"[\W\d_]+")
_lock = threading.Lock()
_identifier: LanguageIdentifier | None = None


def detect_language(text: str, fallback: str = "") -> str | None:
    """The language of ``text``, or of ``fallback`` when ``text`` is too short; None if unsure."""
    for candidate in (text, fallback):
        sample = _NOISE.sub(" ", candidate[:MAX_CHARS])
        if len(_NOT_LETTERS.sub("", sample)) >= MIN_LETTERS:
            return _classify(sample)
    return None


def identifier() -> LanguageIdentifier:
    """The shared classifier, loaded once (about half a second) on first use."""
    global _identifier
    with _lock:
        if _identifier is None:
            model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            model.set_languages(list(LANGUAGES))
            _identifier = model
        return _identifier


def _classify(sample: str) -> str | None:
    try:
        ranked = identifier().rank(sample)
    except Exception:  # a classifier bug must not stop the parse: no language is an answer
        log.debug("language detection failed", exc_info=True)
        return None
    scores: dict[str, float] = {}
    for language, score in ranked:
        code = ALIASES.get(language, language)
        scores[code] = scores.get(code, 0.0) + float(score)
    best = max(scores, key=lambda code: scores[code], default=None)
    if best is None or scores[best] < MIN_CONFIDENCE:
        return None
    return best
