"""Labelled training data: reading CSV and JSONL files, combining sources, de-duplicating.

Every problem in a file is reported with the file and line; rows that are merely unusable (no
text) are skipped and counted, so ``amends train`` can say what it left out and why.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from charset_normalizer import from_bytes

from classifier.errors import TrainingDataError
from classifier.text import fold, model_text

_LABEL = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Bigger than any sane row; the model reads only the first MAX_MODEL_CHARS of a text anyway.
_CSV_FIELD_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True)
class Example:
    """One labelled text. ``source`` says where it came from, for reports and conflicts."""

    text: str
    label: str
    source: str
    ticket_id: int | None = None


@dataclass
class Dataset:
    """Examples ready for training, with notes on everything that was skipped or merged."""

    examples: list[Example]
    notes: list[str] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [e.text for e in self.examples]

    @property
    def labels(self) -> list[str]:
        return [e.label for e in self.examples]

    def label_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(self.labels).items()))

    def source_counts(self) -> dict[str, int]:
        return dict(Counter(e.source for e in self.examples))


def normalise_label(raw: Any, where: str) -> str:
    label = str(raw if raw is not None else "").strip().lower()
    if not _LABEL.match(label):
        raise TrainingDataError(
            f"{where}: {raw!r} is not a label (lower-case letters, digits and '_', starting "
            "with a letter)"
        )
    return label


def _decode(raw: bytes, path: Path, notes: list[str]) -> str:
    """UTF-8 when the file is UTF-8; otherwise line by line, each in its own detected charset.

    Files exported from several tools and pasted together mix encodings; deciding per line keeps
    the good lines good.
    """
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    lines, guessed = [], 0
    for line in raw.split(b"\n"):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            best = from_bytes(line).best()
            lines.append(str(best) if best is not None else line.decode("cp1252", "replace"))
            guessed += 1
    notes.append(f"{path}: {guessed} line(s) were not UTF-8; their encoding was detected per line")
    return "\n".join(lines)


def _row_text(row: dict[str, Any], where: str) -> str:
    text = row.get("text")
    if text not in (None, ""):
        return model_text(None, str(text))
    return model_text(
        str(row.get("subject") or ""),
        str(row.get("body") or ""),
    )


def _check_columns(columns: Iterable[str], path: Path) -> None:
    present = {c.strip().lower() for c in columns if c}
    has_text = "text" in present or "subject" in present or "body" in present
    if "label" not in present or not has_text:
        raise TrainingDataError(
            f"{path}: needs a 'label' column and a 'text' column (or 'subject' and/or 'body'); "
            f"found: {', '.join(sorted(present)) or 'no columns'}",
            hint="the first line of a CSV file names the columns, e.g. text,label",
        )


def _rows_from_csv(text: str, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    limit = csv.field_size_limit()
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        _check_columns(reader.fieldnames or [], path)
        for row in reader:
            clean = {(k or "").strip().lower(): v for k, v in row.items()}
            yield reader.line_num, clean
    except csv.Error as exc:
        raise TrainingDataError(f"{path}: not a readable CSV file ({exc})") from exc
    finally:
        csv.field_size_limit(limit)


def _rows_from_jsonl(text: str, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    checked = False
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TrainingDataError(
                f"{path}, line {number}: not a JSON object ({exc.msg})",
                hint="JSONL holds one JSON object per line",
            ) from exc
        if not isinstance(row, dict):
            raise TrainingDataError(f"{path}, line {number}: a JSON object was expected")
        clean = {str(k).strip().lower(): v for k, v in row.items()}
        if not checked:
            _check_columns(clean, path)
            checked = True
        yield number, clean


def read_labelled_file(path: Path, source: str | None = None) -> Dataset:
    """Read a CSV (``.csv``) or JSON Lines (``.jsonl``/``.json``/``.ndjson``) file of labels."""
    if not path.is_file():
        raise TrainingDataError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".jsonl", ".json", ".ndjson"}:
        raise TrainingDataError(
            f"{path}: unknown format {suffix or '(no extension)'}",
            hint="use a .csv file with a header line, or a .jsonl file with one object per line",
        )
    notes: list[str] = []
    text = _decode(path.read_bytes(), path, notes)
    rows = _rows_from_csv(text, path) if suffix == ".csv" else _rows_from_jsonl(text, path)
    examples, empty = [], 0
    for number, row in rows:
        where = f"{path}, line {number}"
        body = _row_text(row, where)
        if not body.strip():
            empty += 1
            continue
        examples.append(
            Example(body, normalise_label(row.get("label"), where), source or str(path))
        )
    if empty:
        notes.append(f"{path}: {empty} row(s) without any text were skipped")
    return Dataset(examples, notes)


def combine(parts: Sequence[Dataset], *, known_labels: Iterable[str] | None = None) -> Dataset:
    """Join sources, drop duplicate texts and settle conflicting labels.

    Later parts win: pass the bootstrap corpus first and the team's own labels last, so a
    correction overrides what the corpus says about the same text.
    """
    notes = [note for part in parts for note in part.notes]
    by_key: dict[str, Example] = {}
    duplicates = conflicts = 0
    for part in parts:
        for example in part.examples:
            key = fold(example.text)
            if not key:
                continue
            previous = by_key.get(key)
            if previous is not None and previous.label == example.label:
                duplicates += 1
                continue
            if previous is not None:
                conflicts += 1
                # The later source's label stands.
                del by_key[key]
            by_key[key] = example
    if duplicates:
        notes.append(f"{duplicates} duplicate text(s) were dropped")
    if conflicts:
        notes.append(
            f"{conflicts} text(s) appeared with different labels; the label from the later "
            "source (the team's own labels over files over the bootstrap corpus) was kept"
        )
    dataset = Dataset(list(by_key.values()), notes)
    if known_labels is not None:
        unknown = sorted(set(dataset.labels) - set(known_labels))
        if unknown:
            where = Counter(e.source for e in dataset.examples if e.label in unknown)
            raise TrainingDataError(
                f"labels not in the configuration: {', '.join(unknown)} "
                f"(in {', '.join(sorted(where))})",
                hint="fix the labels in the data, or add them under [classifier.labels] in the "
                "configuration (with a description) and give a team their failure types",
            )
    if not dataset.examples:
        raise TrainingDataError("no labelled text to train on")
    return dataset
