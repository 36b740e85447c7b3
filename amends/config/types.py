"""Value types shared by the configuration schema, each with the message a user sees when wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BeforeValidator, ValidationInfo
from pydantic_core import PydanticCustomError

# The error type the loader recognises: its message reads "expected …, got …".
EXPECTED = "amends_expected"


def expected(what: str) -> PydanticCustomError:
    return PydanticCustomError(EXPECTED, "expected {expected}", {"expected": what})


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def bounded_int(low: int, high: int | None = None) -> Any:
    """An integer type in [low, high], described to the user as e.g. "an integer 1-65535"."""
    what = f"an integer {low}-{high}" if high is not None else f"an integer >= {low}"

    def check(value: Any) -> int:
        if not _is_int(value) or value < low or (high is not None and value > high):
            raise expected(what)
        return int(value)

    return Annotated[int, BeforeValidator(check)]


def bounded_float(low: float, high: float | None = None, *, low_open: bool = False) -> Any:
    """A number (integer or float) in a range, described to the user."""
    lower = ">" if low_open else ">="
    what = (
        f"a number {lower} {low:g} and <= {high:g}"
        if high is not None
        else f"a number {lower} {low:g}"
    )

    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise expected(what)
        too_low = value <= low if low_open else value < low
        if too_low or (high is not None and value > high):
            raise expected(what)
        return float(value)

    return Annotated[float, BeforeValidator(check)]


Port = bounded_int(1, 65535)
PositiveSeconds = bounded_float(0, low_open=True)

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_LABEL = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
# Deliberately simple: one @, no whitespace, no header-breaking characters.
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$|^[^@\s<>,;\"]+@localhost$")
_HOST = re.compile(r"^[A-Za-z0-9.:\[\]-]+$")


def _pattern(regex: re.Pattern[str], what: str) -> Any:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not regex.match(value):
            raise expected(what)
        return value

    return Annotated[str, BeforeValidator(check)]


Name = _pattern(_NAME, "a short name of lower-case letters, digits, '-' or '_'")
Label = _pattern(_LABEL, "a label of lower-case letters, digits and '_', starting with a letter")
Language = _pattern(_LANGUAGE, 'a two- or three-letter ISO 639 language code such as "en"')
EmailAddress = _pattern(_ADDRESS, 'an e-mail address such as "support@example.com"')
Host = _pattern(_HOST, 'a host name or IP address such as "imap.example.com"')


def _check_env_name(value: Any) -> str:
    if not isinstance(value, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", value):
        raise expected("the name of an environment variable, such as AMENDS_IMAP_PASSWORD")
    return value


EnvName = Annotated[str, BeforeValidator(_check_env_name)]


def _check_timezone(value: Any) -> str:
    if not isinstance(value, str):
        raise expected('an IANA time zone such as "Europe/Belgrade"')
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        hint = " (the system time zone database may be missing: install tzdata)"
        missing = not available_timezones()
        raise expected(
            'an IANA time zone such as "Europe/Belgrade"' + (hint if missing else "")
        ) from exc
    return value


TimeZoneName = Annotated[str, BeforeValidator(_check_timezone)]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SHIFT = re.compile(r"^\s*([a-z,\-]+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
SHIFT_FORMAT = 'a shift like "mon-fri 09:00-17:00" or "sat,sun 10:00-14:00"'


@dataclass(frozen=True)
class Shift:
    """Days of the week (0 = Monday) and a local start/end time; an end at or before the start
    means the shift runs past midnight into the next day."""

    days: frozenset[int]
    start: time
    end: time

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    def contains(self, local: datetime) -> bool:
        """Whether a local (agent time zone) moment falls inside this shift."""
        now, weekday = local.time(), local.weekday()
        if not self.overnight:
            return weekday in self.days and self.start <= now < self.end
        if weekday in self.days and now >= self.start:
            return True
        return (weekday - 1) % 7 in self.days and now < self.end

    def __str__(self) -> str:
        """As written in the configuration, consecutive days as a range: "mon-fri 09:00-17:00"."""
        runs: list[list[int]] = []
        for day in sorted(self.days):
            if runs and day == runs[-1][-1] + 1:
                runs[-1].append(day)
            else:
                runs.append([day])
        days = ",".join(
            _DAYS[r[0]]
            if len(r) == 1
            else f"{_DAYS[r[0]]}-{_DAYS[r[-1]]}"
            if len(r) > 2
            else f"{_DAYS[r[0]]},{_DAYS[r[1]]}"
            for r in runs
        )
        end = "24:00" if self.end == time(0) else f"{self.end:%H:%M}"
        return f"{days} {self.start:%H:%M}-{end}"


def _parse_days(spec: str) -> frozenset[int] | None:
    days: set[int] = set()
    for part in spec.split(","):
        if "-" in part:
            first, _, last = part.partition("-")
            if first not in _DAYS or last not in _DAYS:
                return None
            a, b = _DAYS.index(first), _DAYS.index(last)
            span = range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)]
            days.update(span)
        elif part in _DAYS:
            days.add(_DAYS.index(part))
        else:
            return None
    return frozenset(days)


def parse_shift(value: Any) -> Shift:
    if isinstance(value, Shift):
        return value
    match = _SHIFT.match(value) if isinstance(value, str) else None
    if not match:
        raise expected(SHIFT_FORMAT)
    days = _parse_days(match.group(1))
    h1, m1, h2, m2 = (int(g) for g in match.group(2, 3, 4, 5))
    if days is None or h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise expected(SHIFT_FORMAT)
    end = time(0, 0) if h2 == 24 else time(h2, m2)
    if end == time(h1, m1) and h2 != 24:
        raise expected(SHIFT_FORMAT + " (start and end must differ)")
    return Shift(days=days, start=time(h1, m1), end=end)


ShiftSpec = Annotated[Shift, BeforeValidator(parse_shift)]


def _resolve_path(value: Any, info: ValidationInfo) -> Path:
    """Paths in the file are relative to the file's own folder, not to the working directory."""
    if not isinstance(value, str | Path) or not str(value).strip():
        raise expected("a file or folder path")
    path = Path(value).expanduser()
    base = (info.context or {}).get("base_dir")
    if not path.is_absolute() and base is not None:
        path = Path(base) / path
    return path


PathValue = Annotated[Path, BeforeValidator(_resolve_path)]
