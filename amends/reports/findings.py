"""What stands out: the report's findings as sentences, the statistical ones strongest first,
repeated hour spikes of one type folded into one line."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime

from amends.reports.model import WEEKDAYS, Finding, Report, Spike


def _day_text(moment: datetime) -> str:
    return f"{WEEKDAYS[moment.weekday()]} {moment:%Y-%m-%d}"


def what_stands_out(report: Report, tested: list[Finding]) -> list[Finding]:
    """ "What stands out": the statistical findings strongest first, then the facts."""
    found: list[Finding] = list(tested)
    found.extend(_spikes(report))
    for row in report.shifts.hours:
        for o in row.outliers:
            who = f" ({', '.join(row.on_shift)} on shift)" if row.on_shift else " (nobody on shift)"
            days = _hour_spike_days(report, o.failure_type, row.hour)
            also = f"; it spiked in that hour on {days} day(s)" if days else ""
            found.append(
                Finding(
                    "hour",
                    f"{o.failure_type} complaints cluster at {o.where}{who}: {o.observed} "
                    f"against {o.expected:.1f} expected from its share of all complaints "
                    f"(×{o.factor:.1f}){also}",
                    o.p_value,
                )
            )
    for agent in report.shifts.agents:
        for o in agent.outliers:
            found.append(
                Finding(
                    "shift",
                    f"{o.failure_type} is over-represented during {o.where}: {o.observed} "
                    f"against {o.expected:.1f} expected from its share of all complaints "
                    f"(×{o.factor:.1f})",
                    o.p_value,
                )
            )
    for event in report.events:
        for change in event.changes:
            if not change.direction:
                continue
            verb = "rose" if change.direction == "up" else "fell"
            factor = "new" if math.isinf(change.factor) else f"×{change.factor:.1f}"
            found.append(
                Finding(
                    "event",
                    f"after “{event.name}” ({event.at:%Y-%m-%d %H:%M}) {change.failure_type} "
                    f"{verb} from {change.before_per_day:.1f} to {change.after_per_day:.1f} "
                    f"a day ({factor})",
                    change.p_value,
                )
            )
    found.sort(key=lambda f: f.p_value if f.p_value is not None else 1.0)
    facts = []
    if report.repeat_total:
        facts.append(
            Finding(
                "repeat",
                f"{report.repeat_total} customer(s) complained more than once or again within "
                "the repeat window: a second failure needs more than the first recovery",
            )
        )
    waiting = sum(1 for case in report.severe if case.response_s is None)
    if report.severe_total:
        tail = f", {waiting} still without a reply" if waiting else ""
        facts.append(Finding("severe", f"{report.severe_total} severe case(s){tail}"))
    health = report.classifier
    if health.unsure_rate is not None and health.classified >= 20 and health.unsure_rate > 0.2:
        facts.append(
            Finding(
                "classifier",
                f"{health.unsure_rate:.0%} of complaints were too uncertain to classify: label "
                "them (amends label) and retrain",
            )
        )
    for label in health.labels:
        rate = label.correction_rate
        if rate is not None and label.predicted >= 20 and rate > 0.2:
            facts.append(
                Finding(
                    "classifier",
                    f"{rate:.0%} of {label.label} predictions were corrected by hand: retrain "
                    "(amends train)",
                )
            )
    return [*found, *facts]


def _hour_spike_days(report: Report, failure_type: str, hour: int) -> int:
    return sum(
        1
        for s in report.spikes
        if s.unit == "hour" and s.failure_type == failure_type and s.start.hour == hour
    )


def _hour_text(spike: Spike) -> str:
    return f"{spike.start:%H}:00-{(spike.start.hour + 1) % 24:02d}:00"


def _spikes(report: Report) -> list[Finding]:
    """Day spikes one by one (with their peak hour); hour spikes on days without a day spike,
    folded into one line per type and hour when they recur, and left to the hour's own finding
    when that hour stands out over the whole period."""
    found = []
    days = {(s.failure_type, s.start.date()) for s in report.spikes if s.unit == "day"}
    recurring = {(o.failure_type, row.hour) for row in report.shifts.hours for o in row.outliers}
    by_hour: dict[tuple[str, int], list[Spike]] = defaultdict(list)
    for spike in report.spikes:
        if spike.unit == "day":
            peak = [
                x
                for x in report.spikes
                if x.unit == "hour"
                and x.failure_type == spike.failure_type
                and x.start.date() == spike.start.date()
            ]
            at = f", most at {peak[0].start:%H}:00" if peak else ""
            text = (
                f"{spike.failure_type} spiked on {_day_text(spike.start)}: {spike.count} "
                f"complaints against {spike.baseline:.1f} expected (×{spike.factor:.1f}{at})"
            )
            found.append(Finding("spike", text, spike.p_value))
        elif (spike.failure_type, spike.start.date()) not in days:
            by_hour[(spike.failure_type, spike.start.hour)].append(spike)
    for (failure_type, hour), spikes in by_hour.items():
        if (failure_type, hour) in recurring:
            continue
        top = min(spikes, key=lambda x: x.p_value)
        if len(spikes) == 1:
            text = (
                f"{failure_type} spiked on {_day_text(top.start)} at {_hour_text(top)}: "
                f"{top.count} complaints against {top.baseline:.1f} expected (×{top.factor:.1f})"
            )
        else:
            text = (
                f"{failure_type} spiked at {_hour_text(top)} on {len(spikes)} days, most on "
                f"{_day_text(top.start)}: {top.count} complaints against {top.baseline:.1f} "
                f"expected (×{top.factor:.1f})"
            )
        found.append(Finding("spike", text, top.p_value))
    return found
