"""Sent replies, the follow-up outbox's message bytes and mailbox, ratings and reopenings.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("sent_by", sa.String(length=320), nullable=True),
        sa.Column("agent", sa.String(length=100), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("response_s", sa.Float(), nullable=True),
        sa.Column("diff_ratio", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["message_id"], ["message.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["draft_id"], ["draft.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index("ix_reply_ticket_id", "reply", ["ticket_id"])
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rating", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("reopen_count", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("outbox_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mailbox", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("raw", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("smtp_code", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("owner", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("source_uid", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("source_uidvalidity", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("filed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("satisfaction_answer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("opt_out", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("failure_type", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("reopened", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("satisfaction_answer", schema=None) as batch_op:
        batch_op.drop_column("notified_at")
        batch_op.drop_column("reopened")
        batch_op.drop_column("failure_type")
        batch_op.drop_column("opt_out")
    with op.batch_alter_table("outbox_item", schema=None) as batch_op:
        batch_op.drop_column("filed_at")
        batch_op.drop_column("source_uidvalidity")
        batch_op.drop_column("source_uid")
        batch_op.drop_column("owner")
        batch_op.drop_column("smtp_code")
        batch_op.drop_column("raw")
        batch_op.drop_column("mailbox")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("reopen_count")
        batch_op.drop_column("rating")
    op.drop_index("ix_reply_ticket_id", table_name="reply")
    op.drop_table("reply")
