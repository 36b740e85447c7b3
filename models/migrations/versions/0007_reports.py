"""Reports: change markers per mailbox, and the history of agents' working hours.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("change_marker", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mailbox", sa.String(length=200), nullable=True))
    op.create_table(
        "agent_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("working_hours", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_schedule")),
    )
    op.create_index("ix_agent_schedule_agent_valid_from", "agent_schedule", ["agent", "valid_from"])


def downgrade() -> None:
    op.drop_index("ix_agent_schedule_agent_valid_from", table_name="agent_schedule")
    op.drop_table("agent_schedule")
    with op.batch_alter_table("change_marker", schema=None) as batch_op:
        batch_op.drop_column("mailbox")
