"""ballots.ip_hash may be cleared (NULL) by the retention job.

Revision ID: 067f28f656eb
Revises: 8c0eda5a053e
Create Date: 2026-11-25 13:25:54.439767

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "067f28f656eb"
down_revision = "8c0eda5a053e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.alter_column("ip_hash", existing_type=sa.VARCHAR(length=64), nullable=True)


def downgrade() -> None:
    # Cleared hashes become empty strings: NOT NULL cannot hold them otherwise.
    op.execute("UPDATE ballots SET ip_hash = '' WHERE ip_hash IS NULL")
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.alter_column("ip_hash", existing_type=sa.VARCHAR(length=64), nullable=False)
