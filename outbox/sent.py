"""How a reply found in Sent relates to the draft we wrote: how much the agent changed it."""

from __future__ import annotations

import difflib
import re

from outbox.lint import reply_text

__all__ = ["edit_ratio"]

# Long replies are compared by their beginning: the ratio is a figure for reports, not a diff.
MAX_WORDS = 3000
_WORD = re.compile(r"\w+", re.UNICODE)


def _words(text: str) -> list[str]:
    return _WORD.findall(reply_text(text).casefold())[:MAX_WORDS]


def edit_ratio(draft: str, sent: str) -> float:
    """0.0 when the agent sent the draft's words as written, up to 1.0 when none are left.

    Quoted lines (``>``) and the line introducing them are left out of both, as are case,
    punctuation and line breaks, which mail clients change on their own.
    """
    before, after = _words(draft), _words(sent)
    if not before and not after:
        return 0.0
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    return round(1.0 - matcher.ratio(), 3)
