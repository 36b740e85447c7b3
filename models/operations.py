"""Tables for running the service: worker heartbeats per mailbox, alerts to admins, change
markers and shift history for reports, and installation secrets."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Field, Session, SQLModel

from models.columns import AGENT_LEN, MAILBOX_LEN, StrEnumType, UtcDateTime, json_type, utc_now


class WorkerHeartbeat(SQLModel, table=True):
    """Which worker polls a mailbox and how it is doing; what ``amends status`` reads.

    On PostgreSQL the advisory lock is the real lease; ``lease_until`` is the fallback for
    deciding that a silent worker is gone.
    """

    __tablename__ = "worker_heartbeat"

    id: int | None = Field(default=None, primary_key=True)
    mailbox: str = Field(sa_type=sa.String(MAILBOX_LEN), unique=True)
    worker_id: str = Field(sa_type=sa.String(200))
    started_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    last_beat_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_sync_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    last_error_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # "auth" (a refused login: an expired password or token), "connection", "database" or
    # "internal"; cleared with last_error by the next pass that succeeds.
    last_error_kind: str | None = Field(default=None, sa_type=sa.String(20))
    last_pass_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_pass_s: float | None = None
    # Set when the worker let go of the mailbox on purpose (stopped); None while it works it.
    stopped_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class AlertKind(StrEnum):
    STALE = "stale"  # the mailbox has not synced for alerts.alert_after_s
    AUTH = "auth"  # a login was refused (IMAP or SMTP)
    DEAD = "dead"  # outbox rows of the mailbox were given up


class Alert(SQLModel, table=True):
    """One problem admins are told about once: opened when it starts, resolved when it ends.

    A problem that comes back after it was resolved reopens its row and is told again.
    """

    __tablename__ = "alert"
    __table_args__ = (sa.UniqueConstraint("mailbox", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    mailbox: str = Field(sa_type=sa.String(MAILBOX_LEN))
    kind: AlertKind = Field(sa_type=StrEnumType(AlertKind, 16))
    detail: str = Field(sa_type=sa.Text)
    opened_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # When the mail went out; None while it is owed (no [alerts] to, or SMTP failing).
    notified_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=sa.Text)


class ChangeMarker(SQLModel, table=True):
    """A dated change ("new refund policy") that trend reports draw as a line across the chart.

    ``mailbox`` None: the change concerns every mailbox.
    """

    __tablename__ = "change_marker"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.String(200))
    at: datetime = Field(sa_type=UtcDateTime, index=True)
    detail: str | None = Field(default=None, sa_type=sa.Text)
    mailbox: str | None = Field(default=None, sa_type=sa.String(MAILBOX_LEN))
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class AgentSchedule(SQLModel, table=True):
    """An agent's working hours as configured from ``valid_from`` on: who was on shift when.

    A new row is written whenever the configuration's hours (or time zone) of an agent change,
    so reports attribute past hours to the shifts of that time, not today's.
    """

    __tablename__ = "agent_schedule"
    __table_args__ = (sa.Index("ix_agent_schedule_agent_valid_from", "agent", "valid_from"),)

    id: int | None = Field(default=None, primary_key=True)
    agent: str = Field(sa_type=sa.String(AGENT_LEN))
    timezone: str = Field(sa_type=sa.String(64))
    # Shifts as written in the configuration: ["mon-fri 09:00-17:00", ...]; [] = not working.
    working_hours: list[str] = Field(default_factory=list, sa_type=json_type())
    valid_from: datetime = Field(sa_type=UtcDateTime)


class AppSecret(SQLModel, table=True):
    """Installation-wide keys generated on first use, e.g. the HMAC key of our Message-IDs.

    Kept in the database so every worker of an installation shares them without configuration.
    """

    __tablename__ = "app_secret"

    name: str = Field(sa_type=sa.String(100), primary_key=True)
    value: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


def app_secret(session: Session, name: str, *, nbytes: int = 32) -> bytes:
    """The installation secret ``name``, generated on first use; safe when workers race.

    Stored as URL-safe base64 text; two workers creating it at once both end up with the row
    that won (the primary key makes the loser's insert a no-op).
    """
    row = session.get(AppSecret, name)
    if row is None:
        candidate = base64.urlsafe_b64encode(secrets.token_bytes(nbytes)).decode()
        table = AppSecret.__table__  # type: ignore[attr-defined]
        values = {"name": name, "value": candidate, "created_at": utc_now()}
        if session.get_bind().dialect.name == "postgresql":
            session.execute(pg_insert(table).values(values).on_conflict_do_nothing())
        else:
            session.execute(sa.insert(table).values(values).prefix_with("OR IGNORE"))
        session.commit()
        row = session.get(AppSecret, name)
        assert row is not None
    return base64.urlsafe_b64decode(row.value.encode())
