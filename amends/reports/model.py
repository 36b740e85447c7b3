"""What a report holds: plain data, built by ``build`` and read by every renderer.

Times are aware datetimes in the report's time zone; durations are seconds; shares and rates are
fractions (0.25 = 25%). Lists are in the order a reader wants them (most first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

UNCLASSIFIED = "unclassified"  # tickets without a failure type yet
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Period:
    """Complaints received from ``since`` (included) to ``until`` (excluded)."""

    since: datetime
    until: datetime
    timezone: str
    bucket: Literal["day", "week"]
    mailbox: str | None = None


@dataclass
class Example:
    """A ticket shown as an example of a finding (subject is customer text: escape it)."""

    ticket_id: int
    received_at: datetime
    failure_type: str
    subject: str
    owner: str | None


@dataclass
class Volume:
    """Complaints per failure type per bucket (day or week starting on ``buckets[i]``)."""

    buckets: list[date]
    types: list[str]  # most complaints first
    counts: dict[str, list[int]]  # type -> one count per bucket
    totals: dict[str, int]
    shares: dict[str, float]
    total: int


@dataclass
class Heatmap:
    """Complaints by local weekday (0 = Monday) x hour: ``cells[weekday][hour]``."""

    cells: list[list[int]]
    by_type: dict[str, list[list[int]]]


@dataclass
class Outlier:
    """A failure type over-represented in one hour of the day or one agent's shifts, against
    the same type's share of the rest (a one-sided Fisher test on the 2x2 table)."""

    where: str  # "14:00-15:00" or "marko's shifts"
    failure_type: str
    observed: int
    expected: float
    factor: float
    p_value: float
    examples: list[Example] = field(default_factory=list)


@dataclass
class HourRow:
    hour: int
    complaints: int
    per_day: float  # complaints in this hour per day of the period
    on_shift: list[str]  # agents usually on shift in this hour
    outliers: list[Outlier]


@dataclass
class ShiftRow:
    agent: str
    working_hours: list[str]  # as configured (the latest schedule in the period)
    hours_on: float  # hours on shift in the period
    complaints: int  # complaints received while on shift
    per_hour: float
    rest_per_hour: float  # complaints per staffed hour while this agent was off
    outliers: list[Outlier]


@dataclass
class Shifts:
    hours: list[HourRow]  # 24 rows, local hours
    agents: list[ShiftRow]
    unstaffed_complaints: int  # received while nobody was on shift


@dataclass
class Spike:
    failure_type: str
    unit: Literal["day", "hour"]
    start: datetime
    count: int
    baseline: float  # expected count from the trailing baseline
    factor: float
    p_value: float
    examples: list[Example] = field(default_factory=list)


@dataclass
class EventChange:
    failure_type: str
    before: int
    after: int
    before_per_day: float
    after_per_day: float
    factor: float  # after/before rate (inf when there were none before)
    p_value: float
    direction: Literal["up", "down", ""]  # "" = no significant change


@dataclass
class EventImpact:
    name: str
    at: datetime
    source: Literal["database", "config"]
    mailbox: str | None
    detail: str | None
    before_days: float
    after_days: float
    changes: list[EventChange]  # every type with complaints in either window


@dataclass
class RepeatCustomer:
    address: str
    complaints: int
    failure_types: list[str]
    first_at: datetime
    last_at: datetime
    ticket_ids: list[int]
    reopened: int


@dataclass
class SevereCase:
    ticket_id: int
    received_at: datetime
    failure_type: str
    owner: str | None
    status: str
    response_s: float | None
    subject: str
    repeat: bool


@dataclass
class ResponseRow:
    key: str  # a failure type, an owner ("(no owner)" for none), or "all"
    tickets: int
    answered: int
    median_s: float | None
    p90_s: float | None
    waiting: int  # no reply yet


@dataclass
class OutcomeRow:
    key: str
    replied: int
    followups_sent: int
    answered: int
    satisfied: int
    satisfied_rate: float | None
    average_rating: float | None
    reopened: int
    reopen_rate: float | None  # reopened / replied


@dataclass
class DraftUseRow:
    template: str  # or "all"
    replies: int
    unchanged: int
    light: int
    rewritten: int


@dataclass
class LabelHealth:
    label: str
    predicted: int
    corrected: int
    correction_rate: float | None
    corrected_to: list[tuple[str, int]]  # most common first


@dataclass
class ClassifierHealth:
    classified: int
    unsure: int
    unsure_rate: float | None
    labels: list[LabelHealth]
    model_version: str | None
    model_created_at: datetime | None
    model_promoted_at: datetime | None
    training_size: int | None
    macro_f1: float | None
    accuracy: float | None
    versions_used: dict[str, int]  # version -> predictions in the period


@dataclass
class Finding:
    """One line of "what stands out", strongest first."""

    kind: Literal["spike", "hour", "shift", "event", "repeat", "severe", "outcome", "classifier"]
    text: str
    p_value: float | None = None


@dataclass
class Report:
    period: Period
    generated_at: datetime
    volume: Volume
    heatmap: Heatmap
    shifts: Shifts
    spikes: list[Spike]
    events: list[EventImpact]
    repeat_customers: list[RepeatCustomer]
    repeat_total: int
    severe: list[SevereCase]
    severe_total: int
    response_by_type: list[ResponseRow]
    response_by_owner: list[ResponseRow]
    response_all: ResponseRow
    outcomes_by_type: list[OutcomeRow]
    outcomes_by_owner: list[OutcomeRow]
    outcomes_all: OutcomeRow
    drafts: list[DraftUseRow]
    classifier: ClassifierHealth
    findings: list[Finding]
    # The daily counts per type over the period (for charts): days[i] with counts[type][i].
    days: list[date] = field(default_factory=list)
    daily: dict[str, list[int]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.volume.total == 0
