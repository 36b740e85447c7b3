"""Train a candidate, prove it on held-out data against the active model, register, promote.

The candidate is judged on a stratified held-out split that the active model is scored on too;
the version that is registered is then refitted on all the data. Promotion needs macro-F1 no
more than ``max_regression`` below the active model's, unless forced.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from classifier import registry
from classifier.dataset import Dataset
from classifier.errors import TrainingDataError
from classifier.evaluation import (
    Decision,
    Evaluation,
    cross_validate,
    holdout_split,
    promotion_decision,
    save_confusion_png,
    score,
)
from classifier.model import FailureTypeClassifier
from classifier.registry import LoadedModel
from models.classification import ModelVersion

log = logging.getLogger(__name__)

SEED = 20261126


@dataclass(frozen=True)
class TrainingOptions:
    model_dir: Path
    max_regression: float = 0.01
    holdout_fraction: float = 0.2
    cv_folds: int = 0
    force: bool = False
    notes: str | None = None
    version_name: str | None = None


@dataclass
class TrainingReport:
    label_counts: dict[str, int]
    source_counts: dict[str, int]
    notes: list[str]
    cross_validation: Evaluation | None = None
    candidate: Evaluation | None = None
    active: Evaluation | None = None
    active_version: str | None = None
    decision: Decision | None = None
    version: ModelVersion | None = None
    activated: bool = False
    confusion_png: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


Progress = Callable[[str, int, int], None]


def _no_progress(step: str, done: int, total: int) -> None:
    return None


def new_model() -> FailureTypeClassifier:
    return FailureTypeClassifier(random_state=SEED % 2**31)


def required_per_label(holdout_fraction: float) -> int:
    """The fewest examples of a label that leave enough to train on after the held-out split."""
    needed = new_model().min_per_label
    n = needed + 1
    while n - math.ceil(n * holdout_fraction) < needed:
        n += 1
    return n


def check_label_counts(dataset: Dataset, options: TrainingOptions) -> None:
    counts = dataset.label_counts()
    if len(counts) < 2:
        raise TrainingDataError(
            "training needs at least two different labels; the data holds "
            + (f"only {next(iter(counts))!r}" if counts else "none"),
            hint="add examples of other failure types (or keep the bootstrap corpus in)",
        )
    needed = required_per_label(options.holdout_fraction)
    if options.cv_folds:
        needed = max(needed, options.cv_folds, required_per_label(1 / options.cv_folds))
    short = [f"{label} ({n})" for label, n in counts.items() if n < needed]
    if short:
        raise TrainingDataError(
            f"every label needs at least {needed} examples (with a "
            f"{options.holdout_fraction:.0%} held-out split"
            + (f" and {options.cv_folds}-fold cross-validation" if options.cv_folds else "")
            + f"); too few: {', '.join(short)}",
            hint="label more messages with them, keep the bootstrap corpus in, or leave "
            "those labels out of the training data",
        )


def train(
    engine: Engine,
    dataset: Dataset,
    options: TrainingOptions,
    progress: Progress = _no_progress,
) -> TrainingReport:
    """Evaluate, train and register a model from ``dataset``; activate it when it earns it."""
    report = TrainingReport(
        label_counts=dataset.label_counts(),
        source_counts=dataset.source_counts(),
        notes=list(dataset.notes),
    )
    check_label_counts(dataset, options)
    texts, labels = dataset.texts, dataset.labels
    steps = options.cv_folds + 3
    done = 0
    if options.cv_folds:

        def fold_done(number: int) -> None:
            progress(f"cross-validation fold {number}/{options.cv_folds}", number, steps)

        report.cross_validation = cross_validate(
            new_model, texts, labels, options.cv_folds, SEED, on_fold=fold_done
        )
        done = options.cv_folds

    train_x, test_x, train_y, test_y = holdout_split(texts, labels, options.holdout_fraction, SEED)
    progress("training on the training split", done, steps)
    candidate = new_model().fit(train_x, train_y)
    report.candidate = score(
        test_y, list(candidate.predict(test_x)), method=f"held-out {options.holdout_fraction:.0%}"
    )
    done += 1
    progress("scoring the active model on the same held-out data", done, steps)
    current: LoadedModel | None = registry.load_active(engine)
    if current is not None:
        report.active_version = current.version.version
        report.active = score(
            test_y,
            list(current.model.predict(test_x)),
            method=f"held-out {options.holdout_fraction:.0%}",
            labels=report.candidate.labels,
        )
    report.decision = promotion_decision(report.candidate, report.active, options.max_regression)
    done += 1
    progress("training the final model on all the data", done, steps)
    final = new_model().fit(texts, labels)
    metrics: dict[str, Any] = {
        "holdout": report.candidate.as_dict(),
        "data": {
            "size": len(texts),
            "labels": report.label_counts,
            "sources": report.source_counts,
            "notes": report.notes,
        },
        "compared_with": report.active_version,
        "active_on_holdout": report.active.as_dict() if report.active else None,
        "decision": report.decision.reason,
        "params": {k: _plain(v) for k, v in final.get_params().items()},
    }
    if report.cross_validation is not None:
        metrics["cross_validation"] = report.cross_validation.as_dict()
    report.version = registry.register(
        engine,
        final,
        options.model_dir,
        metrics=metrics,
        training_size=len(texts),
        notes=options.notes,
        name=options.version_name,
    )
    shown = report.cross_validation or report.candidate
    report.confusion_png = save_confusion_png(
        shown,
        Path(report.version.path).with_suffix(".confusion.png"),
        f"model {report.version.version}",
    )
    if report.decision.promote or options.force:
        reason = report.decision.reason if report.decision.promote else "forced by the admin"
        report.version = registry.activate(engine, report.version.version, reason=reason)
        report.activated = True
    done += 1
    progress("done", done, steps)
    return report


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
