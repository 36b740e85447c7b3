"""Local clocks for many timestamps at once, and who was on shift at each.

Timestamps are seconds since the epoch (UTC) in numpy arrays; a report over 200,000 tickets
converts them with one time-zone lookup per distinct quarter hour instead of per ticket.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from amends.config.types import Shift

EPOCH = date(1970, 1, 1)
DAY = 86400
QUARTER = 900  # every UTC offset in use is a multiple of 15 minutes
SLOT_HOURS = QUARTER / 3600


def _offset(zone: ZoneInfo, epoch: float) -> float:
    delta = datetime.fromtimestamp(epoch, UTC).astimezone(zone).utcoffset()
    return delta.total_seconds() if delta is not None else 0.0


def local_seconds(ts: NDArray[np.float64], zone: ZoneInfo) -> NDArray[np.float64]:
    """Wall-clock seconds since 1970-01-01 00:00 local time: ``// DAY`` gives the local day,
    ``% DAY`` the local time of day.

    The offset is looked up once per UTC day where it is the same at both ends of the day
    (nearly all), and per quarter hour on the days it changes (daylight saving time).
    """
    if ts.size == 0:
        return ts.copy()
    days, day_of = np.unique(np.floor(ts / DAY).astype(np.int64), return_inverse=True)
    day_of = day_of.reshape(ts.shape)
    starts = np.array([_offset(zone, int(d) * DAY) for d in days], dtype=np.float64)
    ends = np.array([_offset(zone, int(d) * DAY + DAY - 1) for d in days], dtype=np.float64)
    offsets: NDArray[np.float64] = starts[day_of]
    changing = (starts != ends)[day_of]
    if changing.any():
        slots, inverse = np.unique(
            np.floor(ts[changing] / QUARTER).astype(np.int64), return_inverse=True
        )
        exact = np.array([_offset(zone, int(slot) * QUARTER) for slot in slots], dtype=np.float64)
        offsets[changing] = exact[inverse.reshape(-1)]
    local: NDArray[np.float64] = ts + offsets
    return local


def local_date(day: int) -> date:
    """The date of a local day number (days since 1970-01-01)."""
    return EPOCH + timedelta(days=int(day))


def day_number(local: NDArray[np.float64]) -> NDArray[np.int64]:
    return np.floor(local / DAY).astype(np.int64)


def weekday(days: NDArray[np.int64]) -> NDArray[np.int64]:
    """0 = Monday (1970-01-01, day 0, was a Thursday)."""
    return (days + 3) % 7


def hour_of_day(local: NDArray[np.float64]) -> NDArray[np.int64]:
    return (np.floor(local % DAY) // 3600).astype(np.int64)


def on_shift(local: NDArray[np.float64], shifts: list[Shift]) -> NDArray[np.bool_]:
    """Whether each local moment falls inside any of the shifts (``Shift.contains`` for arrays)."""
    days = day_number(local)
    wd = weekday(days)
    minute = (local - days * DAY) / 60
    inside = np.zeros(local.shape, dtype=bool)
    for shift in shifts:
        start = shift.start.hour * 60 + shift.start.minute
        end = shift.end.hour * 60 + shift.end.minute
        today = np.isin(wd, list(shift.days))
        if not shift.overnight:
            inside |= today & (minute >= start) & (minute < end)
        else:
            yesterday = np.isin((wd - 1) % 7, list(shift.days))
            inside |= (today & (minute >= start)) | (yesterday & (minute < end))
    return inside


def quarter_starts(since: datetime, until: datetime) -> NDArray[np.float64]:
    """The start of every quarter hour in [since, until), as epoch seconds: the grid on which
    hours on shift are counted."""
    first = np.ceil(since.timestamp() / QUARTER) * QUARTER
    return np.arange(first, until.timestamp(), QUARTER, dtype=np.float64)
