"""Model files: saved with skops, loaded only when their hash and their types are the expected ones.

A skops file is a zip of JSON and arrays; loading it instantiates only the types it names, and we
allow exactly those our estimator is made of. Nothing is ever unpickled.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
import zipfile
from pathlib import Path

import skops.io as sio
from sklearn.exceptions import InconsistentVersionWarning

from classifier.errors import ModelIntegrityError, ModelNotFound
from classifier.model import FailureTypeClassifier

log = logging.getLogger(__name__)

# Beyond the numpy, scipy and scikit-learn types skops trusts by default.
TRUSTED_TYPES = frozenset(
    {
        "classifier.model.FailureTypeClassifier",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.model_selection._split.StratifiedKFold",
    }
)


def file_sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def save_model(model: FailureTypeClassifier, path: Path) -> str:
    """Write ``model`` to ``path`` atomically, readable by the owner only; returns its sha256."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        os.close(fd)
        sio.dump(model, tmp)
        tmp.chmod(0o600)
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return file_sha256(path)


def load_model(path: Path, expected_sha256: str | None) -> FailureTypeClassifier:
    """Load a model file after checking its hash against the registry and its types."""
    if not path.is_file():
        raise ModelNotFound(
            f"model file {path} does not exist",
            hint="run `amends model list` to see the registered files, or `amends train`",
        )
    actual = file_sha256(path)
    if expected_sha256 is not None and actual != expected_sha256:
        raise ModelIntegrityError(
            f"model file {path} has changed since it was registered "
            f"(sha256 {actual[:12]}…, registered {expected_sha256[:12]}…); it was not loaded",
            hint="restore the file from a backup, activate another version with "
            "`amends model activate`, or train a new one with `amends train`",
        )
    try:
        untrusted = set(sio.get_untrusted_types(file=path))
        unexpected = sorted(untrusted - TRUSTED_TYPES)
        if unexpected:
            raise ModelIntegrityError(
                f"model file {path} holds types Amends does not load: {', '.join(unexpected)}",
                hint="only models trained by `amends train` can be used",
            )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", InconsistentVersionWarning)
            model = sio.load(path, trusted=sorted(untrusted))
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise ModelIntegrityError(
            f"model file {path} is damaged or not a model file ({exc})",
            hint="activate another version with `amends model activate`, or retrain",
        ) from exc
    if not isinstance(model, FailureTypeClassifier):
        raise ModelIntegrityError(f"model file {path} does not hold a failure-type classifier")
    versions = [w.message for w in caught if isinstance(w.message, InconsistentVersionWarning)]
    if versions:
        log.warning(
            "model file %s was saved by scikit-learn %s and is used with %s: its predictions "
            "may differ; train a new model with `amends train`",
            path,
            versions[0].original_sklearn_version,
            versions[0].current_sklearn_version,
        )
    for other in caught:
        if not isinstance(other.message, InconsistentVersionWarning):
            warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)
    return model
