"""Find the line of each key in a TOML text, so configuration errors can point at it.

``tomllib`` returns plain dicts without positions; this scanner reads the text once and maps
every table header and ``key = value`` line to its path (``("mailboxes", 0, "imap", "port")``).
It understands tables, arrays of tables, dotted and quoted keys, and skips the inside of
multi-line strings and arrays. Anything it cannot place falls back to its parent's line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

Path = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _split_key(text: str) -> list[str] | None:
    """Split a (possibly dotted, possibly quoted) TOML key; None if it is not a key."""
    parts: list[str] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            return None
        if text[i] in "\"'":
            quote = text[i]
            end = text.find(quote, i + 1)
            if end < 0:
                return None
            parts.append(text[i + 1 : end])
            i = end + 1
        else:
            match = _BARE_KEY.match(text, i)
            if not match:
                return None
            parts.append(match.group())
            i = match.end()
        while i < n and text[i] in " \t":
            i += 1
        if i < n:
            if text[i] != ".":
                return None
            i += 1
    return parts or None


def _key_and_rest(line: str) -> tuple[list[str], str] | None:
    """Split ``key = value`` at the first ``=`` outside quotes."""
    quote: str | None = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "=":
            key = _split_key(line[:i])
            return (key, line[i + 1 :]) if key else None
    return None


def _bracket_depth(value: str) -> int:
    """Net count of open ``[``/``{`` in a value, ignoring those inside strings and comments."""
    depth = 0
    quote: str | None = None
    for ch in value:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            break
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
    return depth


def _opens_multiline_string(value: str) -> str | None:
    """Return the delimiter if the value opens a multi-line string left open on this line."""
    stripped = value.strip()
    for delim in ('"""', "'''"):
        if stripped.startswith(delim) and stripped.count(delim) % 2 == 1:
            return delim
    return None


def key_lines(text: str) -> dict[Path, int]:
    """Map every table and key path in ``text`` to its 1-based line number."""
    lines: dict[Path, int] = {}
    array_counts: dict[Path, int] = {}
    table: Path = ()
    open_string: str | None = None
    depth = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if open_string:
            if raw.count(open_string) % 2 == 1:
                open_string = None
            continue
        if depth > 0:
            depth += _bracket_depth(raw)
            continue
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[["):
            name = _split_key(line[2 : line.find("]]")]) if "]]" in line else None
            if name:
                prefix = _resolve(name[:-1], array_counts)
                path = (*prefix, name[-1])
                index = array_counts.get(path, -1) + 1
                array_counts[path] = index
                table = (*path, index)
                lines.setdefault(path, number)
                lines[table] = number
            continue
        if line.startswith("["):
            name = _split_key(line[1 : line.find("]")]) if "]" in line else None
            if name:
                table = (*_resolve(name[:-1], array_counts), name[-1])
                lines[table] = number
            continue
        parsed = _key_and_rest(line)
        if parsed is None:
            continue
        key, rest = parsed
        path = (*table, *key)
        lines[path] = number
        open_string = _opens_multiline_string(rest)
        if not open_string:
            depth = max(_bracket_depth(rest), 0)
    return lines


def _resolve(names: Sequence[str], array_counts: dict[Path, int]) -> Path:
    """Turn a header's parent names into a path, entering the latest element of arrays."""
    path: Path = ()
    for name in names:
        path = (*path, name)
        if path in array_counts:
            path = (*path, array_counts[path])
    return path


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of ``path``, or of its nearest ancestor that appears in the text."""
    for end in range(len(path), 0, -1):
        found = lines.get(tuple(path[:end]))
        if found is not None:
            return found
    return None
