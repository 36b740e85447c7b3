"""Tables for the classifier: the model registry, each prediction and the humans' corrections."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, select

from models.columns import (
    AGENT_LEN,
    LABEL_LEN,
    SHA256_LEN,
    StrEnumType,
    UtcDateTime,
    json_type,
    utc_now,
)

VERSION_LEN = 64


class FeedbackSource(StrEnum):
    """Where a human label came from: the CLI, or moving the mail into a label folder."""

    CLI = "cli"
    FOLDER = "folder"


class ModelVersion(SQLModel, table=True):
    """A trained model file in the registry with its evaluation; at most one is active."""

    __tablename__ = "model_version"
    __table_args__ = (
        # A partial unique index: any number of inactive versions, a single active one.
        sa.Index(
            "uq_model_version_active",
            "active",
            unique=True,
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(sa_type=sa.String(VERSION_LEN), unique=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    path: str = Field(sa_type=sa.Text)
    file_sha256: str | None = Field(default=None, sa_type=sa.String(SHA256_LEN))
    labels: list[str] = Field(default_factory=list, sa_type=json_type())
    metrics: dict[str, Any] = Field(default_factory=dict, sa_type=json_type())
    training_size: int = Field(default=0)
    active: bool = Field(default=False)
    promoted_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    notes: str | None = Field(default=None, sa_type=sa.Text)


class Classification(SQLModel, table=True):
    """One prediction for a ticket's message, with the terms that explain it.

    ``model_version`` keeps the version string even after the registry row is pruned
    (``model_version_id`` then becomes NULL).
    """

    __tablename__ = "classification"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", ondelete="CASCADE", index=True)
    message_id: int | None = Field(
        default=None, foreign_key="message.id", ondelete="CASCADE", index=True
    )
    model_version_id: int | None = Field(
        default=None, foreign_key="model_version.id", ondelete="SET NULL", index=True
    )
    model_version: str = Field(sa_type=sa.String(VERSION_LEN))
    label: str = Field(sa_type=sa.String(LABEL_LEN))
    probability: float
    # [{"term": "refund", "weight": 0.42}, ...], strongest first
    top_terms: list[dict[str, Any]] = Field(default_factory=list, sa_type=json_type())
    unsure: bool = Field(default=False)
    # 0-1 and the human-readable reasons behind it ("threatens legal action: “my lawyer”").
    severity_score: float | None = Field(default=None)
    severity_reasons: list[str] = Field(default_factory=list, sa_type=json_type())
    # The customer's earlier complaints inside the repeat window; non-empty = repeat failure.
    repeat_of: list[int] = Field(default_factory=list, sa_type=json_type())
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class LabelFeedback(SQLModel, table=True):
    """A human's correction of a ticket's failure type; the training data for the next model."""

    __tablename__ = "label_feedback"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", ondelete="CASCADE", index=True)
    old_label: str | None = Field(default=None, sa_type=sa.String(LABEL_LEN))
    new_label: str = Field(sa_type=sa.String(LABEL_LEN))
    source: FeedbackSource = Field(sa_type=StrEnumType(FeedbackSource, 16))
    given_by: str | None = Field(default=None, sa_type=sa.String(AGENT_LEN))
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    # The first model trained with this label; NULL while it waits for the next training run.
    used_in_model_version_id: int | None = Field(
        default=None, foreign_key="model_version.id", ondelete="SET NULL", index=True
    )


def active_model(session: Session) -> ModelVersion | None:
    """The model version that classifies now, if one is active (at most one is)."""
    return session.exec(select(ModelVersion).where(col(ModelVersion.active))).first()
