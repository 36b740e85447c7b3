"""Severity score and reasons, and the earlier complaints that make a repeat failure.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("classification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("severity_score", sa.Float(), nullable=True))
        # Rows classified before this revision had no reasons and no repeat check: empty lists.
        batch_op.add_column(
            sa.Column("severity_reasons", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("repeat_of", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("classification", schema=None) as batch_op:
        batch_op.drop_column("repeat_of")
        batch_op.drop_column("severity_reasons")
        batch_op.drop_column("severity_score")
