"""``amends doctor``: check the configuration, database, mailboxes and SMTP server end to end.

Each check yields a ``Finding``; the CLI prints them as a table and exits 1 on any failure.
Nothing here changes mail: the only write is creating a missing Drafts or Sent folder, which
the worker would create at start anyway.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from amends.config.schema import Config, MailboxSettings
from amends.config.secrets import secret_problems
from amends.database import open_engine
from amends.endpoints import imap_endpoint, smtp_endpoint
from amends.errors import AmendsError, ConfigError, MailboxAuthError
from inbox import connection
from models import migrate
from outbox.smtp import probe_smtp

log = logging.getLogger(__name__)

# Capabilities the worker uses, and what it does without each.
WANTED_CAPABILITIES = {
    "IDLE": "new mail is found by polling instead of at once",
    "UIDPLUS": "draft UIDs are looked up after APPEND instead of returned by it",
    "CONDSTORE": "flag changes are found by rescanning instead of by MODSEQ",
    "SPECIAL-USE": "Drafts and Sent are found by name instead of by their role",
    "MOVE": "messages are copied and flagged instead of moved",
}


class Outcome(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Finding:
    area: str
    check: str
    outcome: Outcome
    detail: str
    hint: str | None = None


def run_doctor(config: Config) -> list[Finding]:
    findings = [
        *_configuration(config),
        *_database(config),
        *_classifier(config),
        *_templates(config),
    ]
    for mailbox in config.mailboxes:
        findings.extend(_mailbox(config, mailbox))
    findings.extend(_smtp(config))
    return findings


def _configuration(config: Config) -> Iterator[Finding]:
    source = str(config.source) if config.source else "configuration"
    counts = (
        f"{len(config.mailboxes)} mailbox(es), {len(config.teams)} team(s), "
        f"{len(config.agents)} agent(s)"
    )
    yield Finding("config", "file", Outcome.OK, f"{source}: {counts}")
    # Unreadable secrets are reported by the check that needs them; here only the warnings.
    for problem in secret_problems(config):
        if problem.warning:
            yield Finding("config", problem.key, Outcome.WARN, problem.message)


def _database(config: Config) -> Iterator[Finding]:
    try:
        engine = open_engine(config)
    except ConfigError as exc:
        yield Finding("database", "password", Outcome.FAIL, str(exc.problems[0]), exc.hint)
        return
    except AmendsError as exc:
        yield Finding("database", "connect", Outcome.FAIL, exc.message, exc.hint)
        return
    try:
        current = migrate.current_revision(engine)
        head = migrate.head_revision()
        yield Finding("database", "connect", Outcome.OK, engine.url.render_as_string())
        if current == head:
            yield Finding("database", "schema", Outcome.OK, f"at revision {head} (newest)")
        else:
            pending = len(migrate.pending_revisions(engine))
            yield Finding(
                "database",
                "schema",
                Outcome.WARN,
                f"at revision {current or 'none (empty database)'}, {pending} migration(s) "
                f"pending up to {head}",
                "run: amends db upgrade",
            )
        if engine.url.drivername.startswith("sqlite") and engine.url.database:
            database = Path(engine.url.database)
            files = [database.with_name(database.name + end) for end in ("", "-wal", "-shm")]
            yield from _owner_only("database", files)
    except AmendsError as exc:
        yield Finding("database", "connect", Outcome.FAIL, exc.message, exc.hint)
    finally:
        engine.dispose()


def _owner_only(area: str, paths: Iterable[Path]) -> Iterator[Finding]:
    """Files of customers' mail (the SQLite database, models learnt from it) are the owner's."""
    loose = [p for p in paths if p.exists() and p.stat().st_mode & 0o077]
    if not loose:
        yield Finding(area, "permissions", Outcome.OK, "readable by their owner only")
        return
    names = " ".join(str(p) for p in loose)
    yield Finding(
        area,
        "permissions",
        Outcome.WARN,
        f"other users may read {names}: they hold what customers wrote",
        f"chmod go-rwx {names}",
    )


def _templates(config: Config) -> Iterator[Finding]:
    """Every draft and follow-up template renders and passes the lint."""
    from amends.drafting import check_templates

    where = str(config.drafts.templates_dir or "built-in")
    try:
        rendered, problems = check_templates(config)
    except AmendsError as exc:
        yield Finding("drafts", "templates", Outcome.FAIL, exc.message, exc.hint)
        return
    if not problems:
        yield Finding(
            "drafts",
            "templates",
            Outcome.OK,
            f"{where}: {rendered} drafts and follow-ups pass the lint",
        )
        return
    shown = "; ".join(problems[:5]) + (
        f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
    )
    yield Finding(
        "drafts",
        "templates",
        Outcome.WARN,
        f"{where}: {len(problems)} lint finding(s): {shown}",
        "fix the wording of those templates (amends lint checks any text file)",
    )


def _classifier(config: Config) -> Iterator[Finding]:
    """The active model loads and matches its hash; the model folder can take new models."""
    from classifier import registry

    folder = config.classifier.model_dir
    existing = next((p for p in (folder, *folder.parents) if p.exists()), folder)
    if os.access(existing, os.W_OK):
        yield Finding("classifier", "model folder", Outcome.OK, str(folder))
        if folder.is_dir():
            yield from _owner_only("classifier", [folder, *folder.iterdir()])
    else:
        yield Finding(
            "classifier",
            "model folder",
            Outcome.FAIL,
            f"{existing} is not writable by this user, so no model can be trained or saved",
            "fix the folder's owner or permissions, or set classifier.model_dir",
        )
    try:
        engine = open_engine(config)
    except AmendsError:
        return  # already reported under "database"
    try:
        if migrate.pending_revisions(engine):
            return
        loaded = registry.load_active(engine)
        if loaded is None:
            yield Finding(
                "classifier",
                "active model",
                Outcome.OK,
                "none yet: the default model is trained from the bootstrap corpus on first use",
            )
            return
        version = loaded.version
        f1 = version.metrics.get("holdout", {}).get("macro_f1")
        figures = f", held-out macro-F1 {f1:.3f}" if isinstance(f1, float) else ""
        yield Finding(
            "classifier",
            "active model",
            Outcome.OK,
            f"{version.version} ({version.training_size} examples, "
            f"{len(version.labels)} labels{figures}); file and hash verified",
        )
        unknown = sorted(set(version.labels) - set(config.classifier.labels))
        if unknown:
            yield Finding(
                "classifier",
                "labels",
                Outcome.WARN,
                f"the active model predicts labels not in [classifier.labels]: "
                f"{', '.join(unknown)}",
                "add them to the configuration, or activate a model trained on its labels",
            )
    except AmendsError as exc:
        yield Finding("classifier", "active model", Outcome.FAIL, exc.message, exc.hint)
    finally:
        engine.dispose()


def _mailbox(config: Config, mailbox: MailboxSettings) -> Iterator[Finding]:
    area = f"mailbox {mailbox.name}"
    try:
        endpoint = imap_endpoint(config, mailbox)
    except ConfigError as exc:
        yield Finding(area, "password", Outcome.FAIL, str(exc.problems[0]), exc.hint)
        return
    where = f"{endpoint.username} at {endpoint.host}:{endpoint.port} ({endpoint.security})"
    try:
        client = connection.connect(endpoint)
    except MailboxAuthError as exc:
        yield Finding(area, "login", Outcome.FAIL, exc.message, exc.hint)
        return
    except AmendsError as exc:
        yield Finding(area, "connect", Outcome.FAIL, exc.message, exc.hint)
        return
    try:
        yield Finding(area, "login", Outcome.OK, where)
        yield from _capabilities(area, connection.capabilities(client))
        yield from _folders(area, mailbox, client)
    except AmendsError as exc:
        yield Finding(area, "session", Outcome.FAIL, exc.message, exc.hint)
    finally:
        connection.logout(client)


def _capabilities(area: str, capabilities: frozenset[str]) -> Iterator[Finding]:
    present = [name for name in WANTED_CAPABILITIES if name in capabilities]
    yield Finding(area, "capabilities", Outcome.OK, ", ".join(present) or "none of note")
    for name, without in WANTED_CAPABILITIES.items():
        if name not in capabilities:
            yield Finding(area, f"no {name}", Outcome.WARN, f"server lacks {name}: {without}")


def _folders(
    area: str, mailbox: MailboxSettings, client: connection.IMAPClient
) -> Iterator[Finding]:
    if connection.folder_exists(client, mailbox.folders.inbox):
        yield Finding(area, "inbox folder", Outcome.OK, mailbox.folders.inbox)
    else:
        yield Finding(
            area,
            "inbox folder",
            Outcome.FAIL,
            f"folder {mailbox.folders.inbox!r} does not exist",
            f"set mailboxes.folders.inbox for {mailbox.name} to an existing folder",
        )
    for role, configured, fallback in (
        ("drafts", mailbox.folders.drafts, "Drafts"),
        ("sent", mailbox.folders.sent, "Sent"),
    ):
        special = connection.find_special_use(client, "\\" + role.capitalize())
        name = configured or special or fallback
        how = "configured" if configured else ("SPECIAL-USE" if special else "default name")
        created = connection.ensure_folder(client, name)
        detail = f"{name} ({how}{', created now' if created else ''})"
        yield Finding(area, f"{role} folder", Outcome.OK, detail)


def _smtp(config: Config) -> Iterator[Finding]:
    try:
        endpoint = smtp_endpoint(config)
    except ConfigError as exc:
        yield Finding("smtp", "password", Outcome.FAIL, str(exc.problems[0]), exc.hint)
        return
    except AmendsError as exc:  # the OAuth token could not be read or fetched
        yield Finding("smtp", "token", Outcome.FAIL, exc.message, exc.hint)
        return
    if endpoint is None:
        yield Finding(
            "smtp",
            "configured",
            Outcome.WARN,
            "no [smtp] section: drafts still work, follow-ups will not be sent",
        )
        return
    try:
        probe = asyncio.run(probe_smtp(endpoint))
    except AmendsError as exc:
        yield Finding("smtp", "connect", Outcome.FAIL, exc.message, exc.hint)
        return
    yield Finding("smtp", "connect", Outcome.OK, f"{endpoint.host}:{endpoint.port} {probe.banner}")
    tls = "TLS" if probe.tls else "no TLS"
    outcome = Outcome.OK if probe.tls or endpoint.security == "none" else Outcome.FAIL
    yield Finding("smtp", "encryption", outcome, f"{tls} ({endpoint.security})")
    if endpoint.username:
        yield Finding("smtp", "login", Outcome.OK, f"authenticated as {endpoint.username}")
