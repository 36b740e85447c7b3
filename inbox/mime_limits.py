"""Bounds on the MIME structure, applied to the raw bytes before the stdlib parser sees them.

The stdlib parser has no limits: 10,000 parts cost it seconds, and nesting of a few thousand
levels ends in RecursionError (each level also slows every line below it). A cheap scan of the
delimiter lines finds where a message passes ``MAX_PARTS`` parts or ``MAX_DEPTH`` levels, and
the message is cut there; the parser copes with the missing closing boundaries.
"""

from __future__ import annotations

import re

MAX_PARTS = 1000
MAX_DEPTH = 50

# Lines that open or close parts: delimiters, boundary declarations, enclosed messages.
_STRUCTURE_LINE = re.compile(
    rb"^(?:--([^\r\n]*)"
    rb"|[^\r\n]*?boundary[ \t]*=[ \t]*(?:\"([^\"\r\n]*)\"|([^\s;\"]+))"
    rb"|(content-type:[ \t]*message/))",
    re.IGNORECASE | re.MULTILINE,
)


def bound_structure(raw: bytes, max_parts: int = MAX_PARTS) -> tuple[bytes, tuple[str, ...]]:
    """``raw`` cut before the first part past the limits, and the defects that describe the cut."""
    lowered = raw.lower()
    if (
        raw.count(b"\n--") < max_parts
        and lowered.count(b"boundary") + lowered.count(b"message/") <= MAX_DEPTH
    ):
        # Too few delimiters and declarations to break a limit: the common case, no scan.
        return raw, ()
    # Each entry is an open multipart (its boundary) or an enclosed message (None).
    stack: list[bytes | None] = []
    parts = 0
    for match in _STRUCTURE_LINE.finditer(raw):
        delimiter, quoted, bare, enclosed = match.groups()
        if delimiter is not None:
            found = _closing_level(stack, delimiter.rstrip())
            if found is None:
                continue  # a dashed line of text, not a delimiter of an open multipart
            level, closes = found
            del stack[level + (0 if closes else 1) :]
            if not closes:
                parts += 1
                if parts > max_parts:
                    return raw[: match.start()], (f"mime: parts capped at {max_parts}",)
            continue
        if enclosed is not None:
            stack.append(None)
        elif quoted or bare:
            stack.append(quoted or bare)
        else:
            continue  # an empty boundary opens nothing
        if len(stack) > MAX_DEPTH:
            return raw[: match.start()], (f"mime: nesting capped at {MAX_DEPTH}",)
    return raw, ()


def _closing_level(stack: list[bytes | None], line: bytes) -> tuple[int, bool] | None:
    """Which open multipart ``--line`` delimits (innermost first), and whether it closes it."""
    for level in range(len(stack) - 1, -1, -1):
        boundary = stack[level]
        if boundary is None or not line.startswith(boundary):
            continue
        rest = line[len(boundary) :]
        if rest in (b"", b"--"):
            return level, rest == b"--"
    return None
