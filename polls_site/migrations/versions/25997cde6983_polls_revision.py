"""polls.revision: the poll editor's check that a save is not over another editor's.

Revision ID: 25997cde6983
Revises: f67921b008df
Create Date: 2026-11-25 17:25:02.105584

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "25997cde6983"
down_revision = "f67921b008df"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.drop_column("revision")
