"""Errors of the failure-type classifier."""

from __future__ import annotations

from models.errors import AmendsError


class ClassifierError(AmendsError):
    """The classifier could not be trained, loaded or used."""


class ModelNotFound(ClassifierError, FileNotFoundError):
    """No model file at the configured place."""
