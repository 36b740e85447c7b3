"""Run the ``amends`` command as a user would: a separate process with its own environment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

Amends = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def amends(tmp_path: Path) -> Amends:
    """Call ``amends ARGS`` in ``tmp_path`` with extra environment variables; never raises."""

    def run(
        *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("AMENDS_")}
        environment.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "amends", *args],
            cwd=cwd or tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )

    return run
