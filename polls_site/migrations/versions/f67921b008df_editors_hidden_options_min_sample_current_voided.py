"""Editors: hidden options, minimum sample, one current poll per section, voided ballots,
network hashes and reading times of ballots.

Revision ID: f67921b008df
Revises: d8fdea85113c
Create Date: 2026-11-25 14:15:45.179810

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f67921b008df"
down_revision = "d8fdea85113c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("net_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("read_seconds", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("void_reason", sa.String(length=300), nullable=True))

    with op.batch_alter_table("options", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hidden", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("min_sample", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("current_section", sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint("one_current_poll_per_section", ["current_section"])
        batch_op.create_check_constraint("poll_min_sample_not_negative", "min_sample >= 0")


def downgrade() -> None:
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.drop_constraint("poll_min_sample_not_negative", type_="check")
        batch_op.drop_constraint("one_current_poll_per_section", type_="unique")
        batch_op.drop_column("current_section")
        batch_op.drop_column("min_sample")

    with op.batch_alter_table("options", schema=None) as batch_op:
        batch_op.drop_column("hidden")

    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.drop_column("void_reason")
        batch_op.drop_column("voided_at")
        batch_op.drop_column("read_seconds")
        batch_op.drop_column("net_hash")
