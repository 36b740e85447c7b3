"""Checks that relate several settings: references between sections and contradictions.

They run after the structure is valid and return every problem found, each with its key.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from amends.config.schema import Config

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str
    warning: bool = False


def check(config: Config) -> list[Problem]:
    return [
        *_transports(config),
        *_mailboxes(config),
        *_teams_and_agents(config),
        *_labels(config),
    ]


def _transports(config: Config) -> Iterator[Problem]:
    for i, mailbox in enumerate(config.mailboxes):
        path: Path = ("mailboxes", i, "imap")
        needs_password = mailbox.imap.auth == "password"
        if needs_password and not (mailbox.imap.password_env or mailbox.imap.password_file):
            yield Problem(
                (*path, "password_env"),
                "the IMAP login needs a password: set password_env (an environment variable "
                "name) or password_file",
            )
    if config.smtp is not None:
        has_secret = config.smtp.password_env or config.smtp.password_file
        if config.smtp.username and not has_secret:
            yield Problem(
                ("smtp", "password_env"),
                "smtp.username is set, so a password is needed: set password_env or password_file",
            )
        if has_secret and not config.smtp.username:
            yield Problem(("smtp", "username"), "a password is set but no username to log in with")
    if config.alerts.to and config.smtp is None:
        yield Problem(
            ("alerts", "to"), "alerts are sent by mail: add an [smtp] section, or remove alerts.to"
        )
    if config.reports.weekly.to and config.smtp is None:
        yield Problem(
            ("reports", "weekly", "to"),
            "the weekly report is sent by mail: add an [smtp] section, or remove reports.weekly.to",
        )
    if config.reports.weekly.to and not config.mailboxes:
        yield Problem(
            ("reports", "weekly", "to"),
            "the weekly report is sent by the worker, which needs at least one [[mailboxes]]",
        )
    if config.reports.unchanged_up_to >= config.reports.light_edit_below:
        yield Problem(
            ("reports", "unchanged_up_to"),
            "must be below reports.light_edit_below (a draft sent unchanged is not also "
            "lightly edited)",
        )
    names = {m.name for m in config.mailboxes}
    for i, event in enumerate(config.events):
        if event.mailbox is not None and event.mailbox not in names:
            yield Problem(
                ("events", i, "mailbox"),
                f'no [[mailboxes]] entry is named "{event.mailbox}"',
            )
    db = config.database
    if db.url.startswith("sqlite") and (db.password_env or db.password_file):
        yield Problem(("database", "password_env"), "SQLite has no password: remove it")


def _duplicates(values: list[str], section: str, key: str) -> Iterator[Problem]:
    seen = Counter[str]()
    for i, value in enumerate(values):
        seen[value.lower()] += 1
        if seen[value.lower()] == 2:
            yield Problem(
                (section, i, key), f'"{value}" is used by more than one entry of {section}'
            )


def _mailboxes(config: Config) -> Iterator[Problem]:
    yield from _duplicates([m.name for m in config.mailboxes], "mailboxes", "name")
    yield from _duplicates([m.address for m in config.mailboxes], "mailboxes", "address")
    for i, mailbox in enumerate(config.mailboxes):
        folders = mailbox.folders
        if folders.drafts is not None and folders.drafts == folders.inbox:
            yield Problem(
                ("mailboxes", i, "folders", "drafts"),
                "the drafts folder cannot be the inbox: drafts would be read as customer mail",
            )
        if folders.sent is not None and folders.sent == folders.inbox:
            yield Problem(
                ("mailboxes", i, "folders", "sent"),
                "the sent folder cannot be the inbox: replies would be read as customer mail",
            )
        if folders.sent is not None and folders.sent == folders.drafts:
            yield Problem(
                ("mailboxes", i, "folders", "sent"), "the sent and drafts folders must differ"
            )


def _teams_and_agents(config: Config) -> Iterator[Problem]:
    teams = {t.name for t in config.teams}
    agents = {a.name: a for a in config.agents}
    yield from _duplicates([t.name for t in config.teams], "teams", "name")
    yield from _duplicates([a.name for a in config.agents], "agents", "name")
    yield from _duplicates([a.email for a in config.agents], "agents", "email")
    known_teams = ", ".join(sorted(teams)) or "none"
    for i, agent in enumerate(config.agents):
        for j, team in enumerate(agent.teams):
            if team not in teams:
                yield Problem(
                    ("agents", i, "teams", j), f'unknown team "{team}" (teams: {known_teams})'
                )
        if not agent.working_hours:
            yield Problem(
                ("agents", i, "working_hours"),
                'no working hours: add at least one shift, e.g. ["mon-fri 09:00-17:00"]',
            )
    claimed: dict[str, str] = {}
    for i, team in enumerate(config.teams):
        if team.lead is not None:
            if team.lead not in agents:
                yield Problem(("teams", i, "lead"), f'unknown agent "{team.lead}"')
            elif team.name not in agents[team.lead].teams:
                yield Problem(
                    ("teams", i, "lead"),
                    f'"{team.lead}" leads team {team.name} but is not a member of it: add '
                    f'"{team.name}" to that agent\'s teams',
                )
        if not any(team.name in a.teams for a in config.agents):
            yield Problem(
                ("teams", i),
                f'team "{team.name}" has no agents: its tickets will go to the triage owner',
                warning=True,
            )
        for j, label in enumerate(team.failure_types):
            if label in claimed:
                yield Problem(
                    ("teams", i, "failure_types", j),
                    f'"{label}" is already handled by team {claimed[label]}',
                )
            claimed[label] = team.name
    assignment = config.assignment
    if assignment.triage_owner is not None and assignment.triage_owner not in agents:
        yield Problem(("assignment", "triage_owner"), f'unknown agent "{assignment.triage_owner}"')
    if config.agents and assignment.triage_owner is None:
        yield Problem(
            ("assignment", "triage_owner"),
            "required when agents are configured: unsure and unassignable tickets go to this agent",
        )
    if assignment.default_team is not None and assignment.default_team not in teams:
        yield Problem(
            ("assignment", "default_team"),
            f'unknown team "{assignment.default_team}" (teams: {known_teams})',
        )


def _labels(config: Config) -> Iterator[Problem]:
    labels = set(config.classifier.labels)
    known = ", ".join(sorted(labels))
    for i, team in enumerate(config.teams):
        for j, label in enumerate(team.failure_types):
            if label not in labels:
                yield Problem(
                    ("teams", i, "failure_types", j),
                    f'unknown failure type "{label}" (classifier.labels: {known})',
                )
    for label in config.compensation:
        if label != "default" and label not in labels:
            yield Problem(
                ("compensation", label),
                f'unknown failure type "{label}" (classifier.labels: {known}, or "default")',
            )
    for label in config.followups.delay_days_by_type:
        if label not in labels:
            yield Problem(
                ("followups", "delay_days_by_type", label),
                f'unknown failure type "{label}" (classifier.labels: {known})',
            )
