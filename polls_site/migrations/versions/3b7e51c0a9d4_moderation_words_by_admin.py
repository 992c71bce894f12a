"""moderation_words.by_admin: an allowed entry frees banned words only when an admin added it.

Existing rows count as an admin's when the audit log says an admin added them.

Revision ID: 3b7e51c0a9d4
Revises: 25997cde6983
Create Date: 2026-12-02 00:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3b7e51c0a9d4"
down_revision = "25997cde6983"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("moderation_words", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("by_admin", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute(
        "UPDATE moderation_words SET by_admin = TRUE WHERE CAST(id AS VARCHAR(80)) IN ("
        " SELECT audit_log.target_id FROM audit_log"
        " JOIN staff_users ON staff_users.id = audit_log.staff_id"
        " WHERE audit_log.action = 'word.add' AND audit_log.target_type = 'word'"
        " AND staff_users.role = 'admin')"
    )


def downgrade() -> None:
    with op.batch_alter_table("moderation_words", schema=None) as batch_op:
        batch_op.drop_column("by_admin")
