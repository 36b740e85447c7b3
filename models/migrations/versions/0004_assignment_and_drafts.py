"""Owner keywords on tickets, the team of an assignment, draft revisions, owners and notes.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_keyword", sa.String(length=100), nullable=True))
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team", sa.String(length=100), nullable=True))
    with op.batch_alter_table("draft", schema=None) as batch_op:
        # Drafts written before this revision are each their inbound message's first revision.
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("owner", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.drop_constraint("uq_draft_inbound_message_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_draft_inbound_message_id_revision", ["inbound_message_id", "revision"]
        )


def downgrade() -> None:
    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.drop_constraint("uq_draft_inbound_message_id_revision", type_="unique")
        batch_op.create_unique_constraint("uq_draft_inbound_message_id", ["inbound_message_id"])
        batch_op.drop_column("note")
        batch_op.drop_column("owner")
        batch_op.drop_column("revision")
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_column("team")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("owner_keyword")
