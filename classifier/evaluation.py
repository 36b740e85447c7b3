"""Scoring models: per-class figures, macro-F1, confusion matrices, and the promotion decision."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from classifier.errors import TrainingDataError
from classifier.model import FailureTypeClassifier
from classifier.text import fold


@dataclass(frozen=True)
class ClassScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Evaluation:
    """How well predictions matched the truth on ``size`` examples."""

    labels: list[str]
    per_class: dict[str, ClassScore]
    macro_f1: float
    accuracy: float
    confusion: list[list[int]]
    size: int
    method: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "size": self.size,
            "macro_f1": round(self.macro_f1, 4),
            "accuracy": round(self.accuracy, 4),
            "labels": self.labels,
            "per_class": {
                label: {
                    "precision": round(s.precision, 4),
                    "recall": round(s.recall, 4),
                    "f1": round(s.f1, 4),
                    "support": s.support,
                }
                for label, s in self.per_class.items()
            },
            "confusion": self.confusion,
        }


def score(
    truth: Sequence[str], predicted: Sequence[str], method: str, labels: Sequence[str] | None = None
) -> Evaluation:
    """Figures over the labels that occur in ``truth`` (a label never expected cannot be
    recalled; predicting it anyway still costs precision elsewhere through the misses)."""
    names = sorted(set(labels) if labels is not None else set(truth))
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=names, zero_division=0
    )
    matrix = confusion_matrix(truth, predicted, labels=names)
    return Evaluation(
        labels=names,
        per_class={
            name: ClassScore(float(p), float(r), float(f), int(s))
            for name, p, r, f, s in zip(names, precision, recall, f1, support, strict=True)
        },
        macro_f1=float(np.mean(f1)) if len(names) else 0.0,
        accuracy=float(np.mean(np.asarray(truth) == np.asarray(predicted))) if truth else 0.0,
        confusion=matrix.astype(int).tolist(),
        size=len(truth),
        method=method,
    )


def text_key(text: str) -> str:
    """A short stable fingerprint of a text as the model reads it (folded)."""
    return hashlib.sha256(fold(text).encode()).hexdigest()[:16]


def holdout_split(
    texts: Sequence[str], labels: Sequence[str], fraction: float, min_train: int
) -> tuple[list[int], list[int]]:
    """Indices of the training and the held-out side.

    A text's side is decided by its fingerprint, not by chance, so it is held out in every run
    that holds it out at all: a model registered from one run never saw the held-out texts of
    the next, and the two can be compared fairly. Where the fingerprints leave fewer than
    ``min_train`` examples of a label to train on, held-out ones move back (in fingerprint
    order) until there are enough.
    """
    if not 0 < fraction < 1:
        raise TrainingDataError(f"the held-out fraction must be between 0 and 1, not {fraction}")
    keys = [text_key(text) for text in texts]
    held = [int(key, 16) % 10_000 < fraction * 10_000 for key in keys]
    for label in sorted(set(labels)):
        mine = [i for i, lab in enumerate(labels) if lab == label]
        training = sum(not held[i] for i in mine)
        for i in sorted((i for i in mine if held[i]), key=lambda i: keys[i]):
            if training >= min_train:
                break
            held[i] = False
            training += 1
    train = [i for i, h in enumerate(held) if not h]
    test = [i for i, h in enumerate(held) if h]
    if not test:
        raise TrainingDataError(
            "no text could be held out for evaluation",
            hint="label more examples, or hold out a bigger fraction (--holdout)",
        )
    return train, test


def cross_validate(
    make_model: Callable[[], FailureTypeClassifier],
    texts: Sequence[str],
    labels: Sequence[str],
    folds: int,
    seed: int,
    on_fold: Callable[[int], None] | None = None,
) -> Evaluation:
    """Stratified k-fold: every text is predicted once by a model that never saw it."""
    y = np.asarray(list(labels), dtype=object)
    smallest = min(np.unique(y, return_counts=True)[1])
    if smallest < folds:
        raise TrainingDataError(
            f"{folds}-fold cross-validation needs {folds} examples of every label; "
            f"the rarest has {smallest}",
            hint="use fewer folds (--cv) or label more examples",
        )
    predicted = np.empty(len(y), dtype=object)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    text_list = list(texts)
    for number, (train, test) in enumerate(splitter.split(text_list, y), 1):
        model = make_model().fit([text_list[i] for i in train], y[train])
        predicted[test] = model.predict([text_list[i] for i in test])
        if on_fold is not None:
            on_fold(number)
    return score(list(y), list(predicted), method=f"{folds}-fold cross-validation")


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str


def promotion_decision(
    candidate: Evaluation, active: Evaluation | None, max_regression: float
) -> Decision:
    """Promote unless the candidate's macro-F1 falls more than ``max_regression`` below the
    active model's; both evaluations must be on the same texts."""
    if active is None:
        return Decision(True, "there is no active model")
    drop = active.macro_f1 - candidate.macro_f1
    figures = (
        f"macro-F1 {candidate.macro_f1:.3f} against the active model's {active.macro_f1:.3f} "
        f"on the same {candidate.method}"
    )
    if drop > max_regression:
        return Decision(
            False,
            f"{figures}: a drop of {drop:.3f}, more than the allowed {max_regression:.3f} "
            "(classifier.max_regression)",
        )
    return Decision(True, figures)


def save_confusion_png(evaluation: Evaluation, path: Path, title: str) -> Path:
    """Draw the confusion matrix (rows: true label, columns: predicted) into a PNG file."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    matrix = np.asarray(evaluation.confusion)
    size = max(4.0, 0.55 * len(evaluation.labels) + 2.5)
    fig, ax = plt.subplots(figsize=(size + 1.5, size), dpi=110)
    try:
        image = ax.imshow(matrix, cmap="Blues")
        ax.set_xticks(range(len(evaluation.labels)), evaluation.labels, rotation=45, ha="right")
        ax.set_yticks(range(len(evaluation.labels)), evaluation.labels)
        ax.set_xlabel("predicted failure type")
        ax.set_ylabel("true failure type")
        ax.set_title(f"{title}\n{evaluation.method}, macro-F1 {evaluation.macro_f1:.3f}")
        threshold = matrix.max() / 2 if matrix.size else 0
        for (row, column), value in np.ndenumerate(matrix):
            if value:
                ax.text(
                    column,
                    row,
                    str(value),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if value > threshold else "black",
                )
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path)
    finally:
        plt.close(fig)
    return path
