"""Thread policy: threads.closed_at, keep_open, slow_mode_minutes, first_comment_at.

Revision ID: a7c3e9f15b20
Revises: a4c9e1f27b63
Create Date: 2026-12-02 05:15:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7c3e9f15b20"
down_revision = "a4c9e1f27b63"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("keep_open", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("slow_mode_minutes", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("first_comment_at", sa.DateTime(timezone=True), nullable=True)
        )
    # Threads that already have comments start their auto-close clock at the first one.
    op.execute(
        "UPDATE threads SET first_comment_at = "
        "(SELECT MIN(created_at) FROM comments WHERE comments.thread_id = threads.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.drop_column("first_comment_at")
        batch_op.drop_column("slow_mode_minutes")
        batch_op.drop_column("keep_open")
        batch_op.drop_column("closed_at")
