"""The TOML key-to-line scanner that lets configuration errors point at their line."""

from __future__ import annotations

import json
import tomllib

from hypothesis import given, settings
from hypothesis import strategies as st

from amends.config.locate import key_lines, line_of

TEXT = '''\
# comment
[database]
url = "sqlite:///a.db"

[[mailboxes]]
name = "one"
[mailboxes.imap]
host = "a"
port = 1

[[mailboxes]]
name = "two"
notes = """
port = 99
[not.a.table]
"""
list = [
  1,
  2,
]
[mailboxes.imap]
"host" = "b"
timeouts.read = 3

[[agents]]
name = "ana"
hours = { mon = "09:00-17:00" }
'''


def test_every_key_has_its_line() -> None:
    lines = key_lines(TEXT)
    assert lines[("database",)] == 2
    assert lines[("database", "url")] == 3
    assert lines[("mailboxes", 0)] == 5
    assert lines[("mailboxes", 0, "imap", "port")] == 9
    assert lines[("mailboxes", 1, "name")] == 12
    assert lines[("mailboxes", 1, "list")] == 17
    assert lines[("mailboxes", 1, "imap")] == 21
    assert lines[("mailboxes", 1, "imap", "host")] == 22
    assert lines[("mailboxes", 1, "imap", "timeouts", "read")] == 23
    assert lines[("agents", 0, "hours")] == 27


def test_inside_of_multiline_strings_and_arrays_is_not_read_as_keys() -> None:
    lines = key_lines(TEXT)
    assert ("mailboxes", 1, "port") not in lines
    assert ("not", "a", "table") not in lines
    # The text really is TOML, so the scanner is tested on what users write.
    assert tomllib.loads(TEXT)["mailboxes"][1]["list"] == [1, 2]


def test_unknown_paths_fall_back_to_the_nearest_ancestor() -> None:
    lines = key_lines(TEXT)
    assert line_of(lines, ("mailboxes", 1, "list", 1)) == 17
    assert line_of(lines, ("mailboxes", 0, "imap", "username")) == 7
    assert line_of(lines, ("agents", 0, "hours", "mon")) == 27
    assert line_of(lines, ("smtp", "host")) is None


# Property: for any configuration shaped like ours (scalars, tables, arrays of tables, with
# multi-line strings and arrays whose contents look like keys and headers), every key's line is
# the line that defines it.

keys = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True)
tricky_text = st.sampled_from(["port = 9", "[fake]", "[[fake]]", "x = '''", "plain words", ""])
scalars = st.one_of(
    st.integers(-5, 70000),
    st.booleans(),
    st.text(
        st.characters(
            codec="utf-8", exclude_characters='"\\\r\n\x7f', exclude_categories=["Cc", "Cs"]
        ),
        max_size=12,
    ),
    st.lists(tricky_text, min_size=1, max_size=3).map(lambda lines: ("multiline", lines)),
    st.lists(
        st.one_of(st.integers(0, 9), st.lists(tricky_text, min_size=1, max_size=2)), max_size=4
    ).map(lambda items: ("array", items)),
)
flat_tables = st.dictionaries(keys, scalars, max_size=4)
documents = st.fixed_dictionaries(
    {
        "scalars": st.dictionaries(keys, scalars, max_size=3),
        "tables": st.dictionaries(keys, flat_tables, max_size=2),
        "arrays": st.dictionaries(
            keys,
            st.lists(
                st.tuples(flat_tables, st.dictionaries(keys, flat_tables, max_size=2)),
                min_size=1,
                max_size=3,
            ),
            max_size=2,
        ),
    }
)


def _value(value: object) -> tuple[str, object]:
    """TOML text for a generated value, and the Python value tomllib should read back."""
    if isinstance(value, tuple) and value[0] == "multiline":
        lines = list(value[1])  # type: ignore[arg-type]
        return '"""\n' + "\n".join(lines) + '"""', "\n".join(lines)
    if isinstance(value, tuple) and value[0] == "array":
        # Items are integers or multi-line strings whose lines look like keys and headers.
        rendered = [_value(("multiline", i) if isinstance(i, list) else i) for i in value[1]]  # type: ignore[union-attr]
        body = "".join(f"  {text},\n" for text, _ in rendered)
        return "[\n" + body + "]", [item for _, item in rendered]
    if isinstance(value, bool):
        return ("true" if value else "false"), value
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False), value
    return str(value), value


def _render(
    doc: dict[str, dict],
) -> tuple[str, dict[str, object], dict[tuple[str | int, ...], str]]:
    out: list[str] = []
    expected: dict[str, object] = {}
    where: dict[tuple[str | int, ...], str] = {}

    def block(
        prefix: tuple[str | int, ...], table: dict[str, object], target: dict[str, object]
    ) -> None:
        for key, raw in table.items():
            text, value = _value(raw)
            where[(*prefix, key)] = key
            out.append(f"{key} = {text}")
            target[key] = value

    scalars_, tables, arrays = doc["scalars"], doc["tables"], doc["arrays"]
    taken = set(scalars_)
    block((), scalars_, expected)
    for name, table in tables.items():
        if name in taken:
            continue
        taken.add(name)
        out.append(f"[{name}]")
        expected[name] = {}
        block((name,), table, expected[name])  # type: ignore[arg-type]
    for name, elements in arrays.items():
        if name in taken:
            continue
        taken.add(name)
        expected[name] = []
        for index, (fields, subtables) in enumerate(elements):
            out.append(f"[[{name}]]")
            element: dict[str, object] = {}
            expected[name].append(element)  # type: ignore[union-attr]
            block((name, index), fields, element)
            for sub, sub_fields in subtables.items():
                if sub in fields:
                    continue
                out.append(f"[{name}.{sub}]")
                element[sub] = {}
                block((name, index, sub), sub_fields, element[sub])  # type: ignore[arg-type]
    return "\n".join(out) + "\n", expected, where


@settings(max_examples=300, deadline=None)
@given(documents)
def test_every_generated_key_maps_to_its_own_line(doc: dict[str, dict]) -> None:
    text, expected, where = _render(doc)
    assert tomllib.loads(text) == expected  # the generator writes real TOML
    source = text.splitlines()
    lines = key_lines(text)
    for path, key in where.items():
        line = line_of(lines, path)
        assert line is not None, path
        assert source[line - 1].startswith(f"{key} = "), (path, line, source[line - 1])
        assert lines.get(path) == line
