"""Errors of the failure-type classifier."""

from __future__ import annotations

from models.errors import AmendsError


class ClassifierError(AmendsError):
    """The classifier could not be trained, loaded or used."""


class ModelNotFound(ClassifierError, FileNotFoundError):
    """No model file, or no registered version, where one was expected."""


class ModelIntegrityError(ClassifierError):
    """A model file does not match its registered hash or holds types we do not load."""


class TrainingDataError(ClassifierError, ValueError):
    """Training or evaluation data that cannot be used as it is (with where and why)."""


class VersionExists(ClassifierError, FileExistsError):
    """A model version of that name is already registered (another run got there first)."""
