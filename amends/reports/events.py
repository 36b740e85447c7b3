"""Change markers: dated changes (a release, a new courier) drawn on every time chart, with
complaint rates before and after. Kept in the database (``amends event add``) or listed in the
configuration (``[[events]]``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from amends.config import Config
from amends.errors import AmendsError
from models.operations import ChangeMarker


@dataclass(frozen=True)
class Marker:
    id: int | None  # None: from the configuration file
    name: str
    at: datetime
    mailbox: str | None
    detail: str | None


def add_event(
    engine: Engine,
    name: str,
    at: datetime,
    *,
    mailbox: str | None = None,
    detail: str | None = None,
) -> Marker:
    name = " ".join(name.split())
    if not name:
        raise AmendsError("an event needs a name", hint='e.g. amends event add "release 2.3"')
    if len(name) > 200:
        raise AmendsError("an event name has at most 200 characters")
    with Session(engine) as session:
        row = ChangeMarker(name=name, at=at, mailbox=mailbox, detail=detail)
        session.add(row)
        session.commit()
        session.refresh(row)
        return Marker(row.id, row.name, row.at, row.mailbox, row.detail)


def list_events(engine: Engine, config: Config) -> list[Marker]:
    """Every marker, from the database and the configuration, oldest first."""
    zone = ZoneInfo(config.reports.timezone)
    with Session(engine) as session:
        rows = [
            Marker(r.id, r.name, r.at, r.mailbox, r.detail)
            for r in session.exec(select(ChangeMarker).order_by(col(ChangeMarker.at)))
        ]
    for event in config.events:
        at = event.at if event.at.tzinfo else event.at.replace(tzinfo=zone)
        rows.append(Marker(None, event.name, at, event.mailbox, event.detail))
    return sorted(rows, key=lambda m: m.at)


def remove_event(engine: Engine, event_id: int) -> Marker:
    with Session(engine) as session:
        row = session.get(ChangeMarker, event_id)
        if row is None:
            raise AmendsError(
                f"there is no event {event_id}",
                hint="amends event list shows them (events from the configuration file are "
                "removed there)",
            )
        marker = Marker(row.id, row.name, row.at, row.mailbox, row.detail)
        session.delete(row)
        session.commit()
    return marker
