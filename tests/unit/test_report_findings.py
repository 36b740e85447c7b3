""" "What stands out" as sentences: strongest first, a day spike with its peak hour, recurring
hour spikes folded into one line or into the hour that stands out all period."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from amends.reports.findings import what_stands_out
from amends.reports.model import Finding, HourRow, Outlier, Shifts, Spike
from tests.unit.test_report_html import START, empty_report


def spike(kind: str, unit: str, day: int, hour: int = 0, p: float = 1e-9) -> Spike:
    start = START + timedelta(days=day, hours=hour)
    return Spike(kind, unit, start, 20, 2.0, 10.0, p)  # type: ignore[arg-type]


def texts(findings: list[Finding]) -> list[str]:
    return [f.text for f in findings]


def test_a_day_spike_names_its_peak_hour_and_absorbs_it() -> None:
    report = empty_report()
    report.spikes = [spike("lost_item", "day", 2, p=1e-12), spike("lost_item", "hour", 2, 15)]
    (line,) = texts(what_stands_out(report, []))
    assert line.startswith("lost_item spiked on ") and "(×10.0, most at 15:00)" in line


def test_recurring_hour_spikes_fold_into_one_line() -> None:
    report = empty_report()
    report.spikes = [spike("rude_staff", "hour", d, 17, p=10.0**-d) for d in range(1, 5)]
    report.spikes.append(spike("delay", "hour", 3, 9, p=1e-20))
    lines = texts(what_stands_out(report, []))
    assert len(lines) == 2
    assert lines[0].startswith("delay spiked on ") and "at 09:00-10:00" in lines[0]
    assert lines[1].startswith("rude_staff spiked at 17:00-18:00 on 4 days, most on ")


def test_hour_spikes_of_an_hour_that_stands_out_all_period_are_told_there() -> None:
    report = empty_report()
    report.spikes = [spike("rude_staff", "hour", d, 17) for d in range(1, 4)]
    outlier = Outlier("17:00-18:00", "rude_staff", 40, 8.0, 5.0, 1e-30)
    hours = [HourRow(h, 0, 0.0, ["marko"] if h == 17 else [], []) for h in range(24)]
    hours[17] = dataclasses.replace(hours[17], outliers=[outlier])
    report.shifts = Shifts(hours, [], 0)
    (line,) = texts(what_stands_out(report, []))
    assert line.startswith("rude_staff complaints cluster at 17:00-18:00 (marko on shift)")
    assert line.endswith("it spiked in that hour on 3 day(s)")


def test_findings_from_tests_come_before_facts_by_p_value() -> None:
    report = empty_report()
    report.spikes = [spike("delay", "day", 1, p=1e-5)]
    report.severe_total = 2
    tested = [Finding("outcome", "billing_error: 40% satisfied", 1e-8)]
    kinds = [f.kind for f in what_stands_out(report, tested)]
    assert kinds == ["outcome", "spike", "severe"]
