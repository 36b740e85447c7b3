"""The model registry: every trained model is a version row with its file, hash and figures.

At most one version is active (a partial unique index enforces it). Activations and rollbacks are
written to the event log, which is also the history ``rollback`` walks back through.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from classifier.errors import ClassifierError, ModelNotFound, VersionExists
from classifier.model import FailureTypeClassifier
from classifier.persist import load_model, save_model
from models.classification import ModelVersion, active_model
from models.columns import utc_now
from models.tickets import EventLog

log = logging.getLogger(__name__)

ACTIVATED = "model_activated"
ROLLED_BACK = "model_rolled_back"


@dataclass(frozen=True)
class LoadedModel:
    """The active version's row (detached) and its estimator."""

    version: ModelVersion
    model: FailureTypeClassifier


def version_name(sha256: str, now: datetime | None = None) -> str:
    """Sortable and unique: the training time and the start of the file's hash."""
    return f"{(now or datetime.now(UTC)):%Y%m%d-%H%M%S}-{sha256[:8]}"


def register(
    engine: Engine,
    model: FailureTypeClassifier,
    model_dir: Path,
    *,
    metrics: dict[str, Any],
    training_size: int,
    notes: str | None = None,
    name: str | None = None,
    seen: Iterable[str] = (),
) -> ModelVersion:
    """Save the model file (and its figures as JSON beside it) and add an inactive version.

    ``seen`` are the fingerprints of the texts it was trained on, kept in a ``.seen`` file so
    that later candidates are compared with it only on texts it never saw.
    """
    model_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = model_dir / f".new-{datetime.now(UTC):%Y%m%d%H%M%S%f}.skops"
    sha = save_model(model, staging)
    name = name or version_name(sha)
    path = model_dir / f"{name}.skops"
    try:
        # A hard link never replaces: another process's file of the same name stays intact.
        os.link(staging, path)
    except FileExistsError as exc:
        raise VersionExists(
            f"model version {name} already exists ({path})",
            hint="another training run registered it; `amends model list` shows it",
        ) from exc
    finally:
        staging.unlink(missing_ok=True)
    figures = path.with_suffix(".json")
    figures.write_text(json.dumps({"version": name, **metrics}, indent=2, ensure_ascii=False))
    figures.chmod(0o600)
    seen_file = path.with_suffix(".seen")
    seen_file.write_text("".join(f"{key}\n" for key in sorted(set(seen))))
    seen_file.chmod(0o600)
    row = ModelVersion(
        version=name,
        path=str(path.resolve()),
        file_sha256=sha,
        labels=[str(label) for label in model.classes_],
        metrics=metrics,
        training_size=training_size,
        notes=notes,
    )
    # expire_on_commit=False: the row keeps its values for the caller after the session ends.
    with Session(engine, expire_on_commit=False) as session:
        session.add(row)
        try:
            session.commit()
        except IntegrityError as exc:
            for leftover in (path, figures, seen_file):
                leftover.unlink(missing_ok=True)
            raise VersionExists(f"model version {name} is already registered") from exc
    log.info("registered model %s (%d examples, sha256 %s)", name, training_size, sha[:12])
    return row


def seen_texts(version: ModelVersion) -> set[str] | None:
    """Fingerprints of the texts ``version`` was trained on; None when they are not known."""
    try:
        return set(Path(version.path).with_suffix(".seen").read_text().split())
    except OSError:
        return None


def list_versions(engine: Engine) -> list[ModelVersion]:
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(select(ModelVersion).order_by(col(ModelVersion.created_at))))


def get_version(engine: Engine, name: str) -> ModelVersion:
    with Session(engine, expire_on_commit=False) as session:
        row = session.exec(select(ModelVersion).where(ModelVersion.version == name)).first()
    if row is None:
        raise ModelNotFound(
            f"no model version {name!r}", hint="`amends model list` shows the versions"
        )
    return row


def active_version(engine: Engine) -> ModelVersion | None:
    with Session(engine, expire_on_commit=False) as session:
        return active_model(session)


def activate(engine: Engine, name: str, *, reason: str, kind: str = ACTIVATED) -> ModelVersion:
    """Make ``name`` the active version, after checking that its file loads."""
    target = get_version(engine, name)
    load_model(Path(target.path), target.file_sha256)
    with Session(engine, expire_on_commit=False) as session:
        previous = session.exec(select(ModelVersion).where(col(ModelVersion.active))).first()
        session.execute(update(ModelVersion).where(col(ModelVersion.active)).values(active=False))
        session.flush()
        row = session.exec(select(ModelVersion).where(ModelVersion.version == name)).one()
        row.active = True
        row.promoted_at = utc_now()
        session.add(
            EventLog(
                kind=kind,
                detail=f"model {name} active: {reason}",
                data={"version": name, "previous": previous.version if previous else None},
            )
        )
        try:
            session.commit()
        except IntegrityError as exc:
            raise ClassifierError(
                f"model {name} could not be activated: another version was activated at the "
                "same moment",
                hint="check `amends model list` and activate again if needed",
            ) from exc
    log.info("model %s is now active (%s)", name, reason)
    return row


def activation_history(engine: Engine) -> list[str]:
    """The versions that were active, oldest first, with rolled-back ones taken off."""
    with Session(engine) as session:
        events = session.exec(
            select(EventLog)
            .where(col(EventLog.kind).in_([ACTIVATED, ROLLED_BACK]))
            .order_by(col(EventLog.id))
        ).all()
    stack: list[str] = []
    for event in events:
        version = (event.data or {}).get("version")
        if event.kind == ROLLED_BACK and stack:
            stack.pop()
            # A rollback re-activates the version below, already on the stack.
            if not stack or stack[-1] != version:
                stack.append(str(version))
        elif event.kind == ACTIVATED and version:
            stack.append(str(version))
    return stack


def rollback(engine: Engine) -> ModelVersion:
    """Re-activate the version that was active before the current one."""
    history = activation_history(engine)
    current = active_version(engine)
    if current is None or len(history) < 2 or history[-1] != current.version:
        raise ModelNotFound(
            "there is no earlier active model to go back to",
            hint="`amends model activate VERSION` activates any registered version",
        )
    return activate(
        engine, history[-2], reason=f"rolled back from {current.version}", kind=ROLLED_BACK
    )


_cache_lock = threading.Lock()
_cache: dict[tuple[str, str | None], FailureTypeClassifier] = {}


def load_active(engine: Engine) -> LoadedModel | None:
    """The active version and its estimator, or None when no version is active.

    Estimators are cached by file and hash, so a worker reloads only after a promotion.
    """
    row = active_version(engine)
    if row is None:
        return None
    return LoadedModel(row, load_file(Path(row.path), row.file_sha256))


def load_file(path: Path, sha256: str | None) -> FailureTypeClassifier:
    """The estimator in ``path``, checked against ``sha256``; kept for the next call (one
    version at a time), so a process loads a version once."""
    key = (str(path), sha256)
    with _cache_lock:
        model = _cache.get(key)
        if model is None:
            model = load_model(path, sha256)
            _cache.clear()
            _cache[key] = model
    return model
