"""Amends: the CLI, configuration and the worker that wires the stages together."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("amends")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
