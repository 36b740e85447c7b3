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
    text_key,
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
    # The candidate on the texts it was compared with the active model on, and their number.
    candidate_compared: Evaluation | None = None
    compared_on: int | None = None
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
    """Evaluate, train and register a model from ``dataset``; activate it when it earns it.

    The registered model is the one trained on the training side of the split: every text on
    the held-out side stays unseen, so the next candidate can be compared with it fairly.
    """
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

    train_rows, test_rows = holdout_split(
        texts, labels, options.holdout_fraction, new_model().min_per_label
    )
    progress("training on the training side", done, steps)
    candidate = new_model().fit([texts[i] for i in train_rows], [labels[i] for i in train_rows])
    test_x = [texts[i] for i in test_rows]
    test_y = [labels[i] for i in test_rows]
    method = f"held-out {len(test_rows) / len(texts):.0%}"
    predicted = list(candidate.predict(test_x))
    report.candidate = score(test_y, predicted, method=method)
    done += 1
    progress("scoring the active model on held-out texts it never saw", done, steps)
    _compare_with_active(engine, report, test_x, test_y, predicted, options)
    assert report.decision is not None
    metrics: dict[str, Any] = {
        "holdout": report.candidate.as_dict(),
        "data": {
            "size": len(texts),
            "trained_on": len(train_rows),
            "labels": report.label_counts,
            "sources": report.source_counts,
            "notes": report.notes,
        },
        "compared_with": report.active_version,
        "compared_on": report.compared_on,
        "active_on_holdout": report.active.as_dict() if report.active else None,
        "decision": report.decision.reason,
        "params": {k: _plain(v) for k, v in candidate.get_params().items()},
    }
    if report.cross_validation is not None:
        metrics["cross_validation"] = report.cross_validation.as_dict()
    done += 1
    progress("saving the model", done, steps)
    report.version = registry.register(
        engine,
        candidate,
        options.model_dir,
        metrics=metrics,
        training_size=len(train_rows),
        notes=options.notes,
        name=options.version_name,
        seen=(text_key(texts[i]) for i in train_rows),
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


def _compare_with_active(
    engine: Engine,
    report: TrainingReport,
    test_x: list[str],
    test_y: list[str],
    predicted: list[str],
    options: TrainingOptions,
) -> None:
    """Score the active model and the candidate on the held-out texts the active model never
    saw in training, and decide on promotion from those figures."""
    assert report.candidate is not None
    current: LoadedModel | None = registry.load_active(engine)
    if current is None:
        report.decision = promotion_decision(report.candidate, None, options.max_regression)
        return
    report.active_version = current.version.version
    seen = registry.seen_texts(current.version)
    if seen is None:
        fresh = list(range(len(test_x)))
        report.notes.append(
            f"the texts model {current.version.version} was trained on are not recorded: it is "
            "compared on all held-out texts, some of which it may have seen"
        )
    else:
        fresh = [i for i, text in enumerate(test_x) if text_key(text) not in seen]
    report.compared_on = len(fresh)
    if not fresh:
        report.decision = Decision(
            False,
            f"the active model {current.version.version} was trained on every held-out text, "
            "so the two cannot be compared fairly",
        )
        return
    truth = [test_y[i] for i in fresh]
    method = f"{len(fresh)} held-out texts new to both models"
    report.candidate_compared = score(truth, [predicted[i] for i in fresh], method=method)
    report.active = score(
        truth,
        list(current.model.predict([test_x[i] for i in fresh])),
        method=method,
        labels=report.candidate_compared.labels,
    )
    report.decision = promotion_decision(
        report.candidate_compared, report.active, options.max_regression
    )


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
