"""Who worked when: the history of each agent's configured working hours.

The configuration says who works when *now*; a report over last quarter needs the shifts of last
quarter. The worker (and each report) records an agent's hours whenever they differ from the
last recorded ones, so past hours are attributed to the shifts of that time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from amends.config import Config
from amends.config.types import Shift, parse_shift
from models.operations import AgentSchedule


@dataclass(frozen=True)
class ScheduleVersion:
    """An agent's hours from ``valid_from`` on (None: since before anything was recorded)."""

    valid_from: datetime | None
    timezone: str
    shifts: tuple[str, ...]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def parsed(self) -> list[Shift]:
        return [parse_shift(s) for s in self.shifts]


def _configured(config: Config) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {
        agent.name: (agent.timezone, tuple(str(s) for s in agent.working_hours))
        for agent in config.agents
        if agent.active
    }


def record_schedules(engine: Engine, config: Config, now: datetime) -> int:
    """Write a row for every agent whose configured hours differ from the last recorded ones
    (an agent made inactive or removed gets an empty schedule). Returns the rows written."""
    wanted = _configured(config)
    written = 0
    with Session(engine) as session:
        latest: dict[str, AgentSchedule] = {}
        for row in session.exec(select(AgentSchedule).order_by(col(AgentSchedule.valid_from))):
            latest[row.agent] = row
        for name in sorted(set(wanted) | set(latest)):
            timezone, shifts = wanted.get(name, ("UTC", ()))
            last = latest.get(name)
            if last is not None and (last.timezone, tuple(last.working_hours)) == (
                timezone,
                shifts,
            ):
                continue
            if last is None and not shifts:
                continue
            if last is not None and not shifts and not last.working_hours:
                continue
            session.add(
                AgentSchedule(
                    agent=name, timezone=timezone, working_hours=list(shifts), valid_from=now
                )
            )
            written += 1
        session.commit()
    return written


def load_schedules(engine: Engine, config: Config) -> dict[str, list[ScheduleVersion]]:
    """Each agent's schedule versions, oldest first; the first holds for all time before it.

    Agents never recorded (a fresh installation) get today's configured hours for all time.
    """
    versions: dict[str, list[ScheduleVersion]] = {}
    with Session(engine) as session:
        for row in session.exec(
            select(AgentSchedule).order_by(col(AgentSchedule.valid_from), col(AgentSchedule.id))
        ):
            versions.setdefault(row.agent, []).append(
                ScheduleVersion(row.valid_from, row.timezone, tuple(row.working_hours))
            )
    for name, (timezone, shifts) in _configured(config).items():
        if name not in versions:
            versions[name] = [ScheduleVersion(None, timezone, shifts)]
    for rows in versions.values():
        first = rows[0]
        rows[0] = ScheduleVersion(None, first.timezone, first.shifts)
    return versions
