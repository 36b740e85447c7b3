"""The assign stage: every classified ticket gets an owner, by rules from the configuration.

``decide`` is the whole rule book as one pure function (tested as a table); ``assign_pending``
feeds it from the database and records each decision with its rule and reason.

Order of the rules:
1. no agents configured: the ticket stays unowned (drafts are signed by the mailbox);
2. ``unsure`` tickets go to the triage owner until someone labels them;
3. the team is the one listing the failure type, else ``assignment.default_team``;
4. a repeat failure or a severe complaint goes to the team's lead (capacity does not apply);
5. a returning customer goes to the agent of their last ticket, when that agent is available;
6. otherwise the team's strategy picks among its members who are active, below capacity, on
   shift (or, when nobody is, the next to start a shift) and speak the customer's language
   (when any of them does);
7. whatever no rule can place goes to the triage owner: nothing is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, func, insert, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from amends.config import Config
from amends.config.schema import AgentSettings, TeamSettings
from amends.errors import AmendsError
from models.columns import utc_now
from models.tables import table_of
from models.tickets import Assignment, EventLog, Severity, Ticket, TicketStatus

log = logging.getLogger(__name__)

# Tickets that wait on their owner; replied tickets wait on the customer and do not count.
OPEN_STATUSES = (
    TicketStatus.NEW,
    TicketStatus.UNSURE,
    TicketStatus.ASSIGNED,
    TicketStatus.DRAFTED,
    TicketStatus.REOPENED,
)
# Rules, as stored in Assignment.rule.
UNOWNED = "unowned"
TRIAGE = "triage"
ESCALATION = "escalation"
STICKY = "sticky"
LEAST_LOADED = "least_loaded"
ROUND_ROBIN = "round_robin"
MANUAL = "manual"
KEPT = "kept"


class AssignmentError(AmendsError, ValueError):
    """A manual assignment names an unknown ticket or agent."""


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class TicketFacts:
    """What the rules look at; built from a ticket and its customer's history."""

    failure_type: str | None
    language: str | None = None
    severe: bool = False
    repeat: bool = False
    # The owner of the customer's most recent other ticket, and that ticket.
    last_owner: str | None = None
    last_ticket: int | None = None


@dataclass(frozen=True)
class Decision:
    owner: str | None
    team: str | None
    rule: str
    reason: str
    escalated: bool = False


@dataclass(frozen=True)
class TeamState:
    """Per-team memory the strategies need: the last agent a round robin picked."""

    last_round_robin: Mapping[str, str] | None = None


def next_shift_start(agent: AgentSettings, at: datetime) -> datetime | None:
    """When ``agent``'s next shift starts after ``at`` (aware), or None without shifts."""
    zone = ZoneInfo(agent.timezone)
    local = at.astimezone(zone)
    best: datetime | None = None
    for offset in range(8):
        day = (local + timedelta(days=offset)).date()
        for shift in agent.working_hours:
            if day.weekday() not in shift.days:
                continue
            start = datetime.combine(day, shift.start, tzinfo=zone)
            if start > local and (best is None or start < best):
                best = start
    return best.astimezone(UTC) if best else None


def _when(agent: AgentSettings, start: datetime) -> str:
    local = start.astimezone(ZoneInfo(agent.timezone))
    return f"{_WEEKDAYS[local.weekday()]} {local:%H:%M} {agent.timezone}"


class Rules:
    """The configuration's teams and agents, indexed for the decisions of one batch."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.agents: dict[str, AgentSettings] = {a.name: a for a in config.agents}
        self.teams: dict[str, TeamSettings] = {t.name: t for t in config.teams}
        self.team_of: dict[str, str] = {
            label: team.name for team in config.teams for label in team.failure_types
        }

    def members(self, team: str) -> list[AgentSettings]:
        return sorted((a for a in self.config.agents if team in a.teams), key=lambda a: a.name)

    def triage(self, reason: str, *, team: str | None = None, escalated: bool = False) -> Decision:
        owner = self.config.assignment.triage_owner
        return Decision(owner, team, TRIAGE, reason, escalated)

    def decide(
        self,
        ticket: TicketFacts,
        load: Mapping[str, int],
        now: datetime,
        state: TeamState | None = None,
    ) -> Decision:
        if not self.agents:
            return Decision(None, None, UNOWNED, "no agents are configured")
        if ticket.failure_type is None:
            return self.triage("unsure: waiting for a human label")
        team_name = self.team_of.get(ticket.failure_type) or self.config.assignment.default_team
        if team_name is None:
            return self.triage(f"no team handles {ticket.failure_type} and no default team is set")
        team = self.teams[team_name]
        via = "" if ticket.failure_type in self.team_of else " (the default team)"
        escalate = ticket.severe or ticket.repeat
        why_escalated = " and ".join(
            part
            for part, on in (("repeat failure", ticket.repeat), ("severe", ticket.severe))
            if on
        )
        lead_note = ""
        if escalate:
            lead = self.agents.get(team.lead) if team.lead else None
            if lead is not None and lead.active:
                shift = "" if lead.on_shift(now) else self._off_shift(lead, now)
                return Decision(
                    lead.name,
                    team.name,
                    ESCALATION,
                    f"{why_escalated}: escalated to {lead.name}, lead of team {team.name}{shift}",
                    escalated=True,
                )
            lead_note = (
                f"{why_escalated}, but team {team.name} has no lead"
                if lead is None
                else f"{why_escalated}, but lead {lead.name} is away"
            )
        if self.config.assignment.sticky_owner and ticket.last_owner:
            agent = self.agents.get(ticket.last_owner)
            if agent is not None and self._available(agent, load) and agent.on_shift(now):
                reason = (
                    f"returning customer: {agent.name} handled their last ticket"
                    + (f" #{ticket.last_ticket}" if ticket.last_ticket else "")
                    + f" ({load.get(agent.name, 0)} open)"
                )
                return Decision(
                    agent.name,
                    team.name,
                    STICKY,
                    _join(lead_note, reason),
                    escalated=escalate,
                )
        decision = self._by_strategy(team, ticket, load, now, state or TeamState())
        reason = _join(lead_note, decision.reason + via)
        return replace(decision, reason=reason, escalated=escalate)

    def _available(self, agent: AgentSettings, load: Mapping[str, int]) -> bool:
        return agent.active and load.get(agent.name, 0) < agent.capacity

    def _off_shift(self, agent: AgentSettings, now: datetime) -> str:
        start = next_shift_start(agent, now)
        return f" (off shift; next shift {_when(agent, start)})" if start else " (off shift)"

    def _by_strategy(
        self,
        team: TeamSettings,
        ticket: TicketFacts,
        load: Mapping[str, int],
        now: datetime,
        state: TeamState,
    ) -> Decision:
        members = self.members(team.name)
        if not members:
            return self.triage(f"team {team.name} has no agents", team=team.name)
        away = [a.name for a in members if not a.active]
        full = [a.name for a in members if a.active and load.get(a.name, 0) >= a.capacity]
        pool = [a for a in members if self._available(a, load)]
        if not pool:
            detail = _join(
                f"{', '.join(away)} away" if away else "",
                f"{', '.join(full)} at capacity" if full else "",
            )
            return self.triage(
                f"nobody in team {team.name} is available ({detail})", team=team.name
            )
        notes: list[str] = []
        on_shift = [a for a in pool if a.on_shift(now)]
        if on_shift:
            pool = on_shift
        else:
            starts = {a.name: next_shift_start(a, now) for a in pool}
            known = [s for s in starts.values() if s is not None]
            if known:
                first = min(known)
                pool = [a for a in pool if starts[a.name] == first]
                notes.append(f"nobody on shift; next shift starts {_when(pool[0], first)}")
            else:
                notes.append("nobody has working hours")
        if ticket.language:
            speakers = [a for a in pool if ticket.language in a.languages]
            if speakers:
                pool = speakers
                notes.append(f"speaks {ticket.language}")
            else:
                notes.append(f"nobody available speaks {ticket.language}")
        if team.strategy == ROUND_ROBIN:
            last = (state.last_round_robin or {}).get(team.name)
            names = [a.name for a in members]
            start = names.index(last) + 1 if last in names else 0
            order = names[start:] + names[:start]
            eligible = {a.name for a in pool}
            chosen = next(self.agents[name] for name in order if name in eligible)
            reason = f"round robin in team {team.name}" + (f": next after {last}" if last else "")
        else:
            chosen = min(pool, key=lambda a: (load.get(a.name, 0), a.name))
            reason = f"least loaded in team {team.name}: {load.get(chosen.name, 0)} open"
        return Decision(chosen.name, team.name, str(team.strategy), _join(reason, *notes))


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


# --- the stage -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignResult:
    assigned: int = 0
    triaged: int = 0
    escalated: int = 0
    kept: int = 0


def open_load(session: Session) -> dict[str, int]:
    """Open tickets per owner."""
    rows = session.exec(
        select(Ticket.owner, func.count())
        .where(col(Ticket.owner).is_not(None), col(Ticket.status).in_(OPEN_STATUSES))
        .group_by(col(Ticket.owner))
    )
    return {owner: count for owner, count in rows if owner}


def last_round_robin(session: Session) -> dict[str, str]:
    """The agent each team's round robin picked last."""
    latest = (
        select(func.max(Assignment.id))
        .where(Assignment.rule == ROUND_ROBIN, col(Assignment.team).is_not(None))
        .group_by(col(Assignment.team))
    )
    rows = session.exec(
        select(Assignment.team, Assignment.owner).where(col(Assignment.id).in_(latest))
    )
    return {team: owner for team, owner in rows if team}


def _last_owners(session: Session, tickets: Sequence[Ticket]) -> dict[int, tuple[str, int]]:
    """For each ticket, the owner and id of its customer's latest other owned ticket."""
    customers = {t.customer_id for t in tickets}
    rows = session.exec(
        select(Ticket.customer_id, Ticket.id, Ticket.owner, Ticket.received_at)
        .where(col(Ticket.customer_id).in_(customers), col(Ticket.owner).is_not(None))
        .order_by(col(Ticket.received_at).desc(), col(Ticket.id).desc())
    )
    history: dict[int, list[tuple[int, str, datetime]]] = {}
    for customer_id, ticket_id, owner, received in rows:
        if ticket_id is not None and owner:
            history.setdefault(customer_id, []).append((ticket_id, owner, received))
    found: dict[int, tuple[str, int]] = {}
    for ticket in tickets:
        for ticket_id, owner, received in history.get(ticket.customer_id, []):
            if ticket_id != ticket.id and received <= ticket.received_at:
                found[ticket.id or 0] = (owner, ticket_id)
                break
    return found


def _latest_manual(session: Session, ids: Iterable[int]) -> set[int]:
    """Tickets whose latest assignment was made by hand: rules never override a person."""
    latest = (
        select(func.max(Assignment.id))
        .where(col(Assignment.ticket_id).in_(list(ids)))
        .group_by(col(Assignment.ticket_id))
    )
    rows = session.exec(
        select(Assignment.ticket_id).where(col(Assignment.id).in_(latest), Assignment.manual)
    )
    return set(rows)


def pending_query(mailbox: str | None, size: int) -> SelectOfScalar[Ticket]:
    """Tickets waiting for an owner: classified ones, and unsure ones nobody owns yet."""
    ready = and_(col(Ticket.status) == TicketStatus.NEW, col(Ticket.failure_type).is_not(None))
    waiting = and_(col(Ticket.status) == TicketStatus.UNSURE, col(Ticket.owner).is_(None))
    query = (
        select(Ticket)
        .where(or_(ready, waiting))
        .order_by(col(Ticket.id))
        .limit(size)
        .with_for_update(skip_locked=True)
    )
    return query.where(Ticket.mailbox == mailbox) if mailbox else query


def assign_pending(
    engine: Engine,
    config: Config,
    *,
    mailbox: str | None = None,
    now: datetime | None = None,
    batch_size: int = 500,
) -> AssignResult:
    """Give every waiting ticket an owner, one committed batch at a time."""
    rules = Rules(config)
    totals = dict.fromkeys(("assigned", "triaged", "escalated", "kept"), 0)
    seen: set[int] = set()
    while True:
        with Session(engine) as session:
            tickets = [
                t for t in session.exec(pending_query(mailbox, batch_size)) if t.id not in seen
            ]
            if not tickets:
                break
            seen.update(t.id for t in tickets if t.id is not None)
            at = now or utc_now()
            load = open_load(session)
            state = TeamState(last_round_robin(session))
            last = _last_owners(session, tickets)
            manual = _latest_manual(session, [t.id for t in tickets if t.id is not None])
            rows = _Rows()
            for ticket in tickets:
                outcome, state = _assign_one(rules, ticket, load, at, state, last, manual, rows)
                totals[outcome] += 1
                totals["escalated"] += ticket.escalated and outcome != "kept"
            session.flush()  # the tickets' new owners, before the rows that name them
            rows.write(session)
            session.commit()
    if any(totals.values()):
        # The caller reports it (the CLI on stdout, the worker in its stage line).
        log.debug(
            "assigned %d ticket(s) by rule, %d to triage (%d escalated); %d kept a manual owner",
            totals["assigned"],
            totals["triaged"],
            totals["escalated"],
            totals["kept"],
        )
    return AssignResult(**totals)


class _Rows:
    """A batch's assignments and timeline entries, written with one statement per table (the
    ORM's unit of work, model validation included, cost more than the decisions)."""

    def __init__(self) -> None:
        self.at = utc_now()  # when the rows were made, as the models' defaults would say
        self.assignments: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []

    def add(
        self,
        ticket: Ticket,
        assignment: dict[str, Any] | None,
        detail: str,
        data: dict[str, object],
    ) -> None:
        if assignment is not None:
            self.assignments.append(
                {"manual": False, "assigned_by": None, "created_at": self.at, **assignment}
            )
        self.events.append(
            {
                "ticket_id": ticket.id,
                "mailbox": ticket.mailbox,
                "kind": "assigned",
                "detail": detail,
                "data": {"owner": ticket.owner, **data},
                "created_at": self.at,
            }
        )

    def write(self, session: Session) -> None:
        connection = session.connection()
        if self.assignments:
            connection.execute(insert(table_of(Assignment)), self.assignments)
        if self.events:
            connection.execute(insert(table_of(EventLog)), self.events)


def _assign_one(
    rules: Rules,
    ticket: Ticket,
    load: dict[str, int],
    at: datetime,
    state: TeamState,
    last: Mapping[int, tuple[str, int]],
    manual: set[int],
    rows: _Rows,
) -> tuple[str, TeamState]:
    """Decide one ticket's owner and add its rows to ``rows``; returns the outcome for the
    totals."""
    ready = ticket.status == TicketStatus.NEW
    if ticket.id in manual and ticket.owner:
        # Labelled after a person assigned it: the person's choice stands.
        ticket.status = TicketStatus.ASSIGNED
        rows.add(ticket, None, f"kept {ticket.owner}: assigned by hand", {"rule": KEPT})
        return "kept", state
    owner, last_ticket = last.get(ticket.id or 0, (None, None))
    facts = TicketFacts(
        failure_type=ticket.failure_type if ready else None,
        language=ticket.language,
        severe=ticket.severity == Severity.SEVERE,
        repeat=ticket.repeat_failure,
        last_owner=owner,
        last_ticket=last_ticket,
    )
    decision = rules.decide(facts, load, at, state)
    if ticket.owner and ticket.owner != decision.owner and ticket.owner in load:
        load[ticket.owner] = max(0, load[ticket.owner] - 1)
    if decision.owner and decision.owner != ticket.owner:
        load[decision.owner] = load.get(decision.owner, 0) + 1
    ticket.owner = decision.owner
    ticket.escalated = decision.escalated
    if ready:
        ticket.status = TicketStatus.ASSIGNED
    row = (
        {
            "ticket_id": ticket.id,
            "owner": decision.owner,
            "team": decision.team,
            "rule": decision.rule,
            "reason": decision.reason,
        }
        if decision.owner
        else None
    )
    detail = f"{decision.owner or 'nobody'} by rule {decision.rule}: {decision.reason}"
    rows.add(ticket, row, detail, {"team": decision.team, "rule": decision.rule})
    if decision.rule == ROUND_ROBIN and decision.team and decision.owner:
        robin = dict(state.last_round_robin or {})
        robin[decision.team] = decision.owner
        state = TeamState(robin)
    return ("triaged" if decision.rule == TRIAGE else "assigned"), state


def _record(
    session: Session,
    ticket: Ticket,
    assignment: Assignment | None,
    detail: str,
    data: dict[str, object],
) -> None:
    """Store the ticket with its owner, the assignment (None when no one got it) and the
    timeline entry, in the caller's transaction."""
    session.add(ticket)
    if assignment is not None:
        session.add(assignment)
    session.add(EventLog.about(ticket, "assigned", detail, {"owner": ticket.owner, **data}))


def assign_by_hand(
    engine: Engine,
    config: Config,
    ticket_id: int,
    agent: str,
    *,
    by: str | None = None,
    note: str | None = None,
) -> tuple[Ticket, str | None]:
    """Reassign a ticket to ``agent``; returns the ticket and its previous owner."""
    known = {a.name for a in config.agents}
    if agent not in known:
        names = ", ".join(sorted(known)) or "none configured"
        raise AssignmentError(
            f'no agent "{agent}": the agents are {names}',
            hint="agents are configured in [[agents]] of the configuration file",
        )
    with Session(engine, expire_on_commit=False) as session:
        ticket = session.get(Ticket, ticket_id, with_for_update=True)
        if ticket is None:
            raise AssignmentError(f"no ticket {ticket_id}", hint="`amends tickets list` shows them")
        previous = ticket.owner
        reason = f"reassigned by hand from {previous or 'nobody'}" + (f": {note}" if note else "")
        ticket.owner = agent
        if ticket.status == TicketStatus.NEW and ticket.failure_type is not None:
            ticket.status = TicketStatus.ASSIGNED
        row = Assignment(
            ticket_id=ticket_id,
            owner=agent,
            rule=MANUAL,
            reason=reason,
            manual=True,
            assigned_by=by,
        )
        detail = f"{agent} by hand{f' ({by})' if by else ''}: {reason}"
        _record(session, ticket, row, detail, {"previous": previous, "rule": MANUAL, "by": by})
        session.commit()
    return ticket, previous
