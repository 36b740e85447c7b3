"""The worker's clock: the real time, or a fixed/shifted one for demos and tests.

``AMENDS_NOW`` set to an ISO 8601 time (e.g. ``2026-12-01T09:30:00+00:00``) makes every stage
run as if it were that time, which is how the demo and the tests jump days ahead to a due
follow-up without waiting. Unset in production.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from amends.errors import AmendsError

ENV = "AMENDS_NOW"


def now() -> datetime:
    """The current time, aware and in UTC."""
    fixed = os.environ.get(ENV)
    if not fixed:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(fixed)
    except ValueError as exc:
        raise AmendsError(
            f"{ENV}={fixed!r} is not an ISO 8601 time",
            hint=f"unset {ENV}, or give a time such as 2026-12-01T09:30:00+00:00",
        ) from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)
