"""Worker heartbeats say how the last pass went; alerts to admins, told once per problem.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("worker_heartbeat", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_error_kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("last_pass_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_pass_s", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
        sa.UniqueConstraint("mailbox", "kind", name=op.f("uq_alert_mailbox_kind")),
    )


def downgrade() -> None:
    op.drop_table("alert")
    with op.batch_alter_table("worker_heartbeat", schema=None) as batch_op:
        batch_op.drop_column("stopped_at")
        batch_op.drop_column("last_pass_s")
        batch_op.drop_column("last_pass_at")
        batch_op.drop_column("last_error_kind")
