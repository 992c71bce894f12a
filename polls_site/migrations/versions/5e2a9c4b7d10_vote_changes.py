"""Vote changes: polls.allow_vote_change, ballots.revision, ballot_changes, snapshot's last change.

Revision ID: 5e2a9c4b7d10
Revises: 3b7e51c0a9d4
Create Date: 2026-12-02 01:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5e2a9c4b7d10"
down_revision = "3b7e51c0a9d4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("allow_vote_change", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("result_snapshots", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_change_id", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_table(
        "ballot_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("old_options", sa.JSON(), nullable=False),
        sa.Column("new_options", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["ballot_id"], ["ballots.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["poll_id"], ["polls.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ballot_changes_poll_id_id", "ballot_changes", ["poll_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_ballot_changes_poll_id_id", table_name="ballot_changes")
    op.drop_table("ballot_changes")
    with op.batch_alter_table("result_snapshots", schema=None) as batch_op:
        batch_op.drop_column("last_change_id")
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.drop_column("revision")
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.drop_column("allow_vote_change")
