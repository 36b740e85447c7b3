"""The bootstrap corpus shipped in ``classifier/data/bootstrap`` (see its DATA_CARD.md)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from classifier.dataset import Dataset, Example
from classifier.text import model_text

BOOTSTRAP_DIR = Path(__file__).parent / "data" / "bootstrap"
SOURCE = "bootstrap corpus"


def corpus_files() -> list[Path]:
    return sorted(BOOTSTRAP_DIR.glob("*.jsonl"))


def corpus_fingerprint() -> str:
    """sha256 over the corpus files: the default model is retrained only when they change."""
    digest = hashlib.sha256()
    for path in corpus_files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def bootstrap_dataset(strip: Callable[[str], str] | None = None) -> Dataset:
    """Every corpus email as an example; ``strip`` removes quotes and signatures from bodies
    the way the inbox does for live mail, so training sees what prediction will see."""
    examples = []
    for path in corpus_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            body = strip(row["body"]) if strip else row["body"]
            examples.append(Example(model_text(row["subject"], body), row["label"], SOURCE))
    return Dataset(examples)
