"""The recovery lint's phrase lists, one module per language the drafts are written in.

Every list holds regular expressions matched against *folded* text (see ``outbox.lint.fold``):
lower case, diacritics removed, Serbian Cyrillic written in Latin letters, typographic quotes
and apostrophes made plain, and every run of whitespace a single space. Write patterns in that
form. ``EXAMPLES`` maps each check to sentences it must recognise; the tests hold every pattern
to at least one example, so a pattern nobody can trigger is caught.
"""

from __future__ import annotations

from types import ModuleType

from outbox.phrases import en, ko, pl, ro, sl, sr

LANGUAGES: dict[str, ModuleType] = {m.LANGUAGE: m for m in (en, sr, sl, pl, ko, ro)}

# Banned: their presence is a finding. Required: their absence is.
BANNED = (
    "ANYTHING_ELSE",
    "EXCUSE",
    "POLICY",
    "DEFLECTION",
    "IMPERSONAL_APOLOGY",
)
OPENERS = ("UNFORTUNATELY_OPENER",)
REQUIRED = ("APOLOGY", "SATISFACTION", "ACTION")
