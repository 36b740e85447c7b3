"""The arguments of the retention commands: ages and addresses."""

from __future__ import annotations

from datetime import timedelta

import pytest

from amends.retention import RetentionError, normalise_address, parse_age


@pytest.mark.parametrize(
    ("text", "days"),
    [("365d", 365), ("365", 365), ("52w", 364), ("2y", 730), (" 30 D ", 30), ("1d", 1)],
)
def test_ages_in_days_weeks_or_years(text: str, days: int) -> None:
    assert parse_age(text) == timedelta(days=days)


@pytest.mark.parametrize("text", ["", "0d", "a year", "12m", "-5d", "3.5d", "d"])
def test_what_is_not_an_age_says_how_to_write_one(text: str) -> None:
    with pytest.raises(RetentionError) as caught:
        parse_age(text)
    assert caught.value.hint is not None and "365d" in caught.value.hint


def test_addresses_are_matched_in_lower_case_without_brackets() -> None:
    assert normalise_address(" <Ana@Example.COM> ") == "ana@example.com"


@pytest.mark.parametrize("text", ["", "ana", "ana @example.com", "<>"])
def test_what_is_not_an_address_is_refused(text: str) -> None:
    with pytest.raises(RetentionError, match="not an e-mail address"):
        normalise_address(text)
