"""Phrase lists for reading a customer's answer to the follow-up, one module per language.

Every pattern is a regular expression on *folded* text (see ``outbox.fold``): lower case, no
diacritics, Serbian Cyrillic in Latin letters, plain quotes, single spaces. The answer is read
sentence by sentence, so ``^`` and ``$`` mean the start and end of a sentence.

- ``YES`` / ``NO``: a bare answer ("yes", "nie", "아니요"), the weakest word on the fix.
- ``POSITIVE`` / ``NEGATIVE``: a statement that the fix held or did not ("works now",
  "još nije stiglo"); it outweighs a bare yes or no anywhere in the answer.
- ``SATISFIED`` / ``DISSATISFIED``: how the customer feels; it stands for the fix only when
  the answer has no rating, and outweighs a bare yes or no.
- ``OPT_OUT``: the customer asks us to stop writing.
- ``RATING_CUES``: templates for the words around a rating. ``{n}`` is the rating (a digit or
  one of ``NUMBER_WORDS``), ``{of}`` the top of the scale (5 or 10) and ``{end}`` where the
  rating must end: at the end of the sentence, a punctuation mark or one of ``CONNECTIVES``, so
  "give it 2 more days" or "3 out of 5 parcels" are not ratings.
- ``NUMBER_WORDS``: folded word → value, the words people write for a rating.
- ``CONNECTIVES``: words that open a new clause ("but", "ali", "하지만"); within a sentence the
  last clause that says something about the fix decides ("didn't work at first, but it does").
- ``ABBREVIATIONS``: folded words whose full stop does not end the sentence ("nov.", "br."), so
  the day in "nov. 3" is not read as a rating standing on its own.

A negative match wins over a positive one it overlaps ("not satisfied" over "satisfied").
``EXAMPLES`` maps each pattern list (and ``NUMBER_WORDS``) to sentences it must recognise; the
tests hold every pattern to at least one example.
"""

from __future__ import annotations

from types import ModuleType

from outbox.answer_phrases import en, ko, pl, ro, sl, sr

LANGUAGES: dict[str, ModuleType] = {m.LANGUAGE: m for m in (en, sr, sl, pl, ko, ro)}

# Evidence about the fix, strongest first: (positive list, negative list).
STATEMENTS = ("POSITIVE", "NEGATIVE")
FEELINGS = ("SATISFIED", "DISSATISFIED")
ANSWERS = ("YES", "NO")

# Every list of regular expressions (RATING_CUES are templates, see above).
PATTERN_LISTS = (*STATEMENTS, *FEELINGS, *ANSWERS, "OPT_OUT", "RATING_CUES", "CONNECTIVES")
