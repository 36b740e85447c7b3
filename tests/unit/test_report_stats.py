"""The building blocks of reports: local clocks for arrays, shifts, the tests behind "unusual",
the period parsing of the CLI, and the report settings in the configuration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from amends.cli_reports import parse_moment
from amends.config import inspect_config, load_config
from amends.config.types import parse_shift
from amends.errors import AmendsError
from amends.reports import stats
from amends.reports.timeline import (
    day_number,
    hour_of_day,
    local_seconds,
    on_shift,
    quarter_starts,
    weekday,
)
from amends.reports.weekly import due_week
from tests.unit.test_config import MINIMAL, write

BELGRADE = ZoneInfo("Europe/Belgrade")


def test_local_clock_of_arrays_matches_datetime_across_daylight_saving() -> None:
    # Every 37 minutes for a year: both DST changes, every weekday and hour.
    start = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    ts = start + np.arange(0, 366 * 86400, 37 * 60, dtype=np.float64)
    for zone in (BELGRADE, ZoneInfo("Asia/Kolkata"), ZoneInfo("America/St_Johns")):
        local = local_seconds(ts, zone)
        days = day_number(local)
        moments = [datetime.fromtimestamp(t, zone) for t in ts[::97]]
        assert [m.weekday() for m in moments] == weekday(days)[::97].tolist()
        assert [m.hour for m in moments] == hour_of_day(local)[::97].tolist()


def test_shift_membership_of_arrays_matches_shift_contains() -> None:
    shifts = [parse_shift("mon-fri 09:30-17:00"), parse_shift("sat,sun 22:00-06:00")]
    ts = datetime(2026, 3, 23, tzinfo=UTC).timestamp() + np.arange(0, 14 * 86400, 600.0)
    inside = on_shift(local_seconds(ts, BELGRADE), shifts)
    expected = [any(s.contains(datetime.fromtimestamp(t, BELGRADE)) for s in shifts) for t in ts]
    assert inside.tolist() == expected
    assert 0 < inside.sum() < ts.size


def test_quarter_hour_grid_covers_the_period() -> None:
    since = datetime(2026, 11, 1, 0, 7, tzinfo=UTC)
    slots = quarter_starts(since, since + timedelta(hours=2))
    assert slots[0] == datetime(2026, 11, 1, 0, 15, tzinfo=UTC).timestamp()
    assert slots.size == 8


def test_poisson_tail_separates_a_spike_from_noise() -> None:
    p = stats.poisson_excess(np.array([6.0, 25.0]), np.array([5.0, 5.0]))
    assert p[0] > 0.3  # six where five are usual: nothing
    assert p[1] < 1e-8  # twenty-five: a spike
    assert stats.poisson_excess(np.array([0.0]), np.array([0.0]))[0] == pytest.approx(1.0)


def test_fisher_test_finds_an_over_represented_type() -> None:
    # 40 of 100 complaints in one hour are of a type that makes 10% of 1,000.
    p = stats.fisher_excess(np.array([40.0]), np.array([100.0]), np.array([100.0]), 1000.0)
    assert p[0] < 1e-12
    # Its fair share (10 of 100) is not.
    p = stats.fisher_excess(np.array([10.0]), np.array([100.0]), np.array([100.0]), 1000.0)
    assert p[0] > 0.4


def test_rate_change_compares_windows_of_different_length() -> None:
    # 5 a day for 14 days, then 10 a day for 7: up.
    up, down = stats.rate_change(np.array([70.0]), np.array([70.0]), 14.0, 7.0)
    assert up[0] < 1e-4 and down[0] > 0.99
    # The same rate in both: neither.
    up, down = stats.rate_change(np.array([70.0]), np.array([35.0]), 14.0, 7.0)
    assert up[0] > 0.4 and down[0] > 0.4


def test_report_bounds_from_the_command_line() -> None:
    now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert parse_moment("2026-11-01", BELGRADE, now) == datetime(2026, 11, 1, tzinfo=BELGRADE)
    # As an end, a day is included whole.
    end = parse_moment("2026-11-01", BELGRADE, now, end=True)
    assert end == datetime(2026, 11, 2, tzinfo=BELGRADE)
    assert parse_moment("2026-11-01T09:00", BELGRADE, now) == datetime(
        2026, 11, 1, 9, tzinfo=BELGRADE
    )
    assert parse_moment("2026-11-01T09:00+00:00", BELGRADE, now) == datetime(
        2026, 11, 1, 9, tzinfo=UTC
    )
    # "7d": the last seven days, today included.
    assert parse_moment("7d", BELGRADE, now) == datetime(2026, 11, 21, tzinfo=BELGRADE)
    with pytest.raises(AmendsError) as caught:
        parse_moment("last tuesday", BELGRADE, now)
    assert "2026-11-01" in (caught.value.hint or "")


def test_report_settings_events_and_weekly_mail_in_the_config(tmp_path: Path) -> None:
    text = (
        MINIMAL
        + """
[smtp]
host = "smtp.example.com"

[reports]
timezone = "Europe/Belgrade"

[reports.weekly]
to = ["lead@example.com"]
day = "tue"
at = "07:30"

[[events]]
name = "release 2.3"
at = 2026-11-01T09:00:00

[[events]]
name = "new courier"
at = 2026-11-10T08:00:00Z
mailbox = "support"
"""
    )
    config = load_config(write(tmp_path, text))
    assert config.reports.timezone == "Europe/Belgrade"
    assert config.reports.weekly.weekday == 1
    assert [e.name for e in config.events] == ["release 2.3", "new courier"]
    assert config.events[0].at.tzinfo is None  # read in [reports] timezone
    assert config.events[1].at == datetime(2026, 11, 10, 8, tzinfo=UTC)
    # Due on Tuesday 07:30 local: on Wednesday the week ending Monday night is due.
    week = due_week(config, datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    assert week is not None
    assert week.since == datetime(2026, 11, 17, tzinfo=BELGRADE)
    assert week.until == datetime(2026, 11, 24, tzinfo=BELGRADE)
    # Tuesday 07:00 local, before the send time: still the week before.
    week = due_week(config, datetime(2026, 11, 24, 6, 0, tzinfo=UTC))
    assert week is not None and week.until == datetime(2026, 11, 17, tzinfo=BELGRADE)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("[reports]\nalpha = 0.9", "reports.alpha"),
        ('[reports]\ntimezone = "Mars/Olympus"', "IANA time zone"),
        ('[reports.weekly]\nat = "25:00"', "time of day"),
        ('[reports.weekly]\nto = ["lead@example.com"]', "add an [smtp] section"),
        ('[[events]]\nname = "x"\nat = "yesterday"', "date and time"),
        ('[[events]]\nname = "x"\nat = 2026-11-01\nmailbox = "sales"', 'named "sales"'),
        ("[reports]\nunchanged_up_to = 0.5", "light_edit_below"),
    ],
)
def test_report_settings_are_validated(tmp_path: Path, entry: str, expected: str) -> None:
    _config, problems = inspect_config(write(tmp_path, MINIMAL + "\n" + entry + "\n"))
    found = [str(p) for p in problems if not p.warning]
    assert any(expected in message for message in found), found
