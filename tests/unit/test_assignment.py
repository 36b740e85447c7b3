"""The assignment rule book as a table: shifts across time zones, capacity, stickiness,
escalation, languages, strategies and nobody available."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from amends.assignment import Rules, TeamState, TicketFacts, next_shift_start
from amends.config.schema import Config

# Monday 2026-11-23 10:00 UTC = 11:00 in Belgrade and Warsaw, 19:00 in Seoul.
MON_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
# Monday 2026-11-23 02:00 UTC: 03:00 in Europe, 11:00 in Seoul.
MON_02 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
# Saturday 2026-11-28 23:00 UTC: nobody works (Sunday 08:00 in Seoul).
SAT_23 = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)


def config(**changes: Any) -> Config:
    data: dict[str, Any] = {
        "teams": [
            {"name": "orders", "failure_types": ["wrong_item", "delay"], "lead": "ana"},
            {
                "name": "billing",
                "failure_types": ["billing_error"],
                "strategy": "round_robin",
                "lead": "marek",
            },
            {"name": "care", "failure_types": ["rude_staff"]},
        ],
        "agents": [
            {
                "name": "ana",
                "email": "ana@example.com",
                "teams": ["orders", "billing"],
                "languages": ["en", "sr"],
                "timezone": "Europe/Belgrade",
                "working_hours": ["mon-fri 08:00-16:00"],
            },
            {
                "name": "ben",
                "email": "ben@example.com",
                "teams": ["orders"],
                "languages": ["en"],
                "timezone": "Europe/Belgrade",
                "working_hours": ["mon-fri 08:00-16:00"],
            },
            {
                "name": "marek",
                "email": "marek@example.com",
                "teams": ["billing", "orders"],
                "languages": ["en", "pl"],
                "timezone": "Europe/Warsaw",
                "working_hours": ["mon-fri 09:00-17:00"],
            },
            {
                "name": "jiwoo",
                "email": "jiwoo@example.com",
                "teams": ["orders", "billing"],
                "languages": ["en", "ko"],
                "timezone": "Asia/Seoul",
                "working_hours": ["mon-fri 09:00-18:00"],
            },
        ],
        "assignment": {"triage_owner": "ben", "default_team": "orders"},
    }
    for key, value in changes.items():
        if key == "agent_changes":
            for name, fields in value.items():
                next(a for a in data["agents"] if a["name"] == name).update(fields)
        else:
            data[key] = value
    return Config.model_validate(data)


RULES = Rules(config())


def decide(
    failure_type: str | None = "delay",
    *,
    at: datetime = MON_10,
    load: dict[str, int] | None = None,
    rules: Rules = RULES,
    state: TeamState | None = None,
    **facts: Any,
) -> tuple[str | None, str, str, bool]:
    decision = rules.decide(TicketFacts(failure_type, **facts), load or {}, at, state)
    return decision.owner, decision.rule, decision.reason, decision.escalated


@pytest.mark.parametrize(
    ("case", "kwargs", "owner", "rule", "reason_has"),
    [
        (
            "least loaded on shift in Europe",
            {"load": {"ana": 3, "ben": 1, "marek": 2}},
            "ben",
            "least_loaded",
            "least loaded in team orders: 1 open",
        ),
        ("ties go by name", {}, "ana", "least_loaded", "0 open"),
        (
            "Seoul is on shift while Europe sleeps",
            {"at": MON_02},
            "jiwoo",
            "least_loaded",
            "orders",
        ),
        (
            "language wins among those on shift",
            {"language": "pl", "load": {"marek": 5}},
            "marek",
            "least_loaded",
            "speaks pl",
        ),
        (
            "nobody on shift speaks the language",
            {"language": "ko"},
            "ana",
            "least_loaded",
            "nobody available speaks ko",
        ),
        (
            "nobody on shift: the next to start",
            {"at": SAT_23},
            "jiwoo",
            "least_loaded",
            "nobody on shift; next shift starts Mon 09:00 Asia/Seoul",
        ),
        (
            "capacity excludes a full agent",
            {"load": {"ana": 25, "ben": 25}},
            "marek",
            "least_loaded",
            "orders",
        ),
        (
            "unknown failure type goes to the default team",
            {"failure_type": "lost_item"},
            "ana",
            "least_loaded",
            "(the default team)",
        ),
        ("unsure goes to triage", {"failure_type": None}, "ben", "triage", "unsure"),
        (
            "severe goes to the lead",
            {"severe": True, "load": {"ana": 40}},
            "ana",
            "escalation",
            "severe: escalated to ana, lead of team orders",
        ),
        (
            "repeat goes to the lead even off shift",
            {"repeat": True, "at": SAT_23},
            "ana",
            "escalation",
            "off shift; next shift Mon 08:00 Europe/Belgrade",
        ),
        (
            "sticky owner for a returning customer",
            {"last_owner": "marek", "last_ticket": 7, "load": {"marek": 4}},
            "marek",
            "sticky",
            "handled their last ticket #7",
        ),
        (
            "sticky owner off shift is not waited for",
            {"last_owner": "jiwoo"},
            "ana",
            "least_loaded",
            "orders",
        ),
        (
            "sticky owner at capacity",
            {"last_owner": "marek", "load": {"marek": 25}},
            "ana",
            "least_loaded",
            "orders",
        ),
        (
            "escalation beats stickiness",
            {"last_owner": "marek", "severe": True},
            "ana",
            "escalation",
            "lead",
        ),
    ],
)
def test_rules(case: str, kwargs: dict[str, Any], owner: str, rule: str, reason_has: str) -> None:
    failure_type = kwargs.pop("failure_type", "delay")
    got_owner, got_rule, reason, _ = decide(failure_type, **kwargs)
    assert (got_owner, got_rule) == (owner, rule), f"{case}: {reason}"
    assert reason_has in reason, case


def test_escalation_flag_is_kept_when_the_lead_is_away() -> None:
    rules = Rules(config(agent_changes={"ana": {"active": False}}))
    owner, rule, reason, escalated = decide("delay", repeat=True, rules=rules)
    assert escalated and owner == "ben" and rule == "least_loaded"
    assert reason.startswith("repeat failure, but lead ana is away")


def test_team_without_lead_still_escalates_to_someone() -> None:
    owner, rule, reason, escalated = decide("rude_staff", severe=True)
    assert escalated and rule == "triage"
    assert "team care has no lead" in reason and "team care has no agents" in reason
    assert owner == "ben"


def test_nobody_available_goes_to_triage_with_the_reason() -> None:
    rules = Rules(config(agent_changes={"ana": {"active": False}}))
    load = {"ben": 25, "marek": 25, "jiwoo": 25}
    owner, rule, reason, _ = decide("delay", rules=rules, load=load)
    assert (owner, rule) == ("ben", "triage")
    assert reason == "nobody in team orders is available (ana away; ben, jiwoo, marek at capacity)"


def test_round_robin_cycles_through_the_eligible() -> None:
    at = MON_02.replace(hour=8)  # 09:00 Warsaw, 09:00 Belgrade, 17:00 Seoul: all on shift
    picked = []
    state = TeamState({})
    for _ in range(4):
        decision = RULES.decide(TicketFacts("billing_error"), {}, at, state)
        picked.append(decision.owner)
        state = TeamState({"billing": decision.owner or ""})
    assert picked == ["ana", "jiwoo", "marek", "ana"]
    assert (
        "next after marek"
        in RULES.decide(
            TicketFacts("billing_error"), {}, at, TeamState({"billing": "marek"})
        ).reason
    )


def test_round_robin_skips_who_is_off_shift() -> None:
    state = TeamState({"billing": "ana"})
    decision = RULES.decide(TicketFacts("billing_error"), {}, MON_10, state)
    assert decision.owner == "marek"  # jiwoo (next in turn) is past 18:00 in Seoul


def test_no_agents_leaves_the_ticket_unowned() -> None:
    rules = Rules(Config.model_validate({}))
    owner, rule, reason, _ = decide("delay", rules=rules)
    assert (owner, rule, reason) == (None, "unowned", "no agents are configured")


@pytest.mark.parametrize(
    ("shift", "at", "expected"),
    [
        # an overnight shift starting Friday 22:00 in Belgrade (21:00 UTC in winter)
        (
            "fri 22:00-06:00",
            datetime(2026, 11, 27, 20, 0, tzinfo=UTC),
            datetime(2026, 11, 27, 21, 0, tzinfo=UTC),
        ),
        # during it, the next one is a week later
        (
            "fri 22:00-06:00",
            datetime(2026, 11, 28, 1, 0, tzinfo=UTC),
            datetime(2026, 12, 4, 21, 0, tzinfo=UTC),
        ),
        # across the end of daylight saving time (25 Oct 2026 in Europe)
        (
            "sun 09:00-12:00",
            datetime(2026, 10, 24, 12, 0, tzinfo=UTC),
            datetime(2026, 10, 25, 8, 0, tzinfo=UTC),
        ),
    ],
)
def test_next_shift_start(shift: str, at: datetime, expected: datetime) -> None:
    agent = config(agent_changes={"ana": {"working_hours": [shift]}}).agents[0]
    assert next_shift_start(agent, at) == expected


def test_overnight_shift_counts_as_on_shift_after_midnight() -> None:
    cfg = config(agent_changes={"ben": {"working_hours": ["fri 22:00-06:00"]}})
    ben = cfg.agents[1]
    assert ben.on_shift(datetime(2026, 11, 28, 3, 0, tzinfo=UTC))  # Sat 04:00 Belgrade
    assert not ben.on_shift(datetime(2026, 11, 28, 6, 0, tzinfo=UTC))  # Sat 07:00
