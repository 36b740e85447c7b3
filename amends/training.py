"""Gather training data for ``amends train`` and ``amends evaluate`` from every kind of source.

Sources, in the order their labels win a conflict (later wins): the bootstrap corpus, labelled
files (CSV or JSONL), mail folders (an mbox file or a Maildir per label), and the team's own
labels in the database (``amends label`` and the ``Amends/Labels/<label>`` folders).
Mail is parsed by the inbox stage, so training sees the same new-text-only input as prediction.
"""

from __future__ import annotations

import mailbox
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from amends.labels import feedback_dataset, mark_feedback_used
from classifier.bootstrap import bootstrap_dataset
from classifier.dataset import Dataset, Example, combine, normalise_label, read_labelled_file
from classifier.errors import TrainingDataError
from classifier.text import model_text
from classifier.training import Progress as TrainingProgress
from classifier.training import TrainingOptions, TrainingReport, train
from inbox.parse import parse_message
from inbox.quotes import strip_quotes


@dataclass(frozen=True)
class Sources:
    bootstrap: bool = True
    feedback: bool = True
    files: Sequence[Path] = ()
    # (label, path to an mbox file or a Maildir folder)
    mail: Sequence[tuple[str, Path]] = ()


@dataclass
class Gathered:
    dataset: Dataset
    feedback_ids: list[int] = field(default_factory=list)


def mail_root(root: Path) -> list[tuple[str, Path]]:
    """``ROOT/<label>`` Maildirs and ``ROOT/<label>.mbox`` files, by label."""
    if not root.is_dir():
        raise TrainingDataError(f"{root}: not a folder")
    found = []
    for entry in sorted(root.iterdir()):
        if entry.is_dir() and (entry / "cur").is_dir():
            found.append((normalise_label(entry.name, str(entry)), entry))
        elif entry.is_file() and entry.suffix == ".mbox":
            found.append((normalise_label(entry.stem, str(entry)), entry))
    if not found:
        raise TrainingDataError(
            f"{root}: holds no <label> Maildir folders and no <label>.mbox files"
        )
    return found


def mail_dataset(label: str, path: Path) -> Dataset:
    """Every customer message in an mbox file or Maildir, labelled ``label``."""
    box: mailbox.Mailbox
    if path.is_dir():
        if not (path / "cur").is_dir():
            raise TrainingDataError(f"{path}: not a Maildir (no cur/ folder)")
        box = mailbox.Maildir(path, factory=None, create=False)
    elif path.is_file():
        box = mailbox.mbox(path, factory=None, create=False)
    else:
        raise TrainingDataError(f"{path}: no such mbox file or Maildir folder")
    examples, skipped = [], 0
    source = str(path)
    try:
        for key in box.iterkeys():
            raw = box.get_bytes(key)
            parsed = parse_message(raw)
            text = model_text(parsed.subject, parsed.new_text)
            if not text.strip():
                skipped += 1
                continue
            examples.append(Example(text, label, source))
    finally:
        box.close()
    notes = [f"{path}: {skipped} message(s) without text were skipped"] if skipped else []
    if not examples:
        raise TrainingDataError(f"{path}: no message with text in it")
    return Dataset(examples, notes)


def gather(engine: Engine | None, sources: Sources, known_labels: Sequence[str]) -> Gathered:
    parts: list[Dataset] = []
    if sources.bootstrap:
        parts.append(bootstrap_dataset(strip_quotes))
    parts.extend(read_labelled_file(path) for path in sources.files)
    parts.extend(mail_dataset(label, path) for label, path in sources.mail)
    feedback_ids: list[int] = []
    if sources.feedback and engine is not None:
        feedback = feedback_dataset(engine)
        parts.append(feedback.dataset)
        feedback_ids = feedback.feedback_ids
    if not parts:
        raise TrainingDataError(
            "no training data chosen",
            hint="keep the bootstrap corpus or the team's labels, or pass --data/--mail",
        )
    return Gathered(combine(parts, known_labels=known_labels), feedback_ids)


def train_from_sources(
    engine: Engine,
    gathered: Gathered,
    options: TrainingOptions,
    progress: TrainingProgress,
) -> TrainingReport:
    report = train(engine, gathered.dataset, options, progress)
    if report.version is not None and report.version.id is not None:
        mark_feedback_used(engine, gathered.feedback_ids, report.version.id)
    return report
