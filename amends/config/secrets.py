"""Read passwords from where the configuration points: an environment variable or a file."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from amends.config.load import problem_at
from amends.config.schema import Config, SecretSource
from amends.errors import ConfigError, ConfigProblem

Key = tuple[str | int, ...]


def secret_sites(config: Config) -> Iterator[tuple[Key, SecretSource]]:
    """Every place in the configuration that may name a secret."""
    yield ("database",), config.database
    for i, mailbox in enumerate(config.mailboxes):
        yield ("mailboxes", i, "imap"), mailbox.imap
    if config.smtp is not None:
        yield ("smtp",), config.smtp


def _problem(config: Config, key: Key, message: str, *, warning: bool = False) -> ConfigProblem:
    return problem_at(config.source, key, message, warning=warning)


def read_secret(config: Config, key: Key, source: SecretSource) -> str | None:
    """The secret configured at ``key``, or None when none is configured.

    Raises ``ConfigError`` naming the key when the variable is unset or the file unreadable.
    """
    if source.password_env:
        value = os.environ.get(source.password_env)
        if not value:
            raise ConfigError(
                [
                    _problem(
                        config,
                        (*key, "password_env"),
                        f"environment variable {source.password_env} is not set (or is empty)",
                    )
                ],
                hint=f"export {source.password_env}=… in the environment that runs amends",
            )
        return value
    if source.password_file:
        try:
            value = source.password_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ConfigError(
                [
                    _problem(
                        config,
                        (*key, "password_file"),
                        f"cannot read {source.password_file}: {reason}",
                    )
                ]
            ) from exc
        if not value:
            raise ConfigError(
                [_problem(config, (*key, "password_file"), f"{source.password_file} is empty")]
            )
        return value
    return None


def secret_problems(config: Config) -> list[ConfigProblem]:
    """Secrets that cannot be read here, and secret files others can read (as warnings)."""
    problems: list[ConfigProblem] = []
    for key, source in secret_sites(config):
        try:
            read_secret(config, key, source)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        if source.password_file and _readable_by_others(source.password_file):
            problems.append(
                _problem(
                    config,
                    (*key, "password_file"),
                    f"{source.password_file} can be read by other users: chmod 600 it",
                    warning=True,
                )
            )
    return problems


def _readable_by_others(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IRGRP | stat.S_IROTH))
