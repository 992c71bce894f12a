"""Staff voice: comments.staff_user_id, staff_badge, pinned_at, picked_at;
staff_users.display_name.

Revision ID: b7e2d4a9c1f3
Revises: a4c81e2f9b35
Create Date: 2026-12-02 08:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7e2d4a9c1f3"
down_revision = "a4c81e2f9b35"
branch_labels = None
depends_on = None


def _foreign_keys(on: bool) -> None:
    # SQLite copies a table to change its constraints, and dropping the old copy would
    # delete (or refuse to delete) the likes, reports and replies that point at it.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_name", sa.String(length=80), nullable=True))
    _foreign_keys(False)
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("staff_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("staff_badge", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("picked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            "fk_comments_staff_user_id_staff_users",
            "staff_users",
            ["staff_user_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_check_constraint(
            "comment_staff_badge_known",
            "staff_badge IS NULL OR staff_badge IN ('editorial', 'moderator')",
        )
    _foreign_keys(True)


def downgrade() -> None:
    _foreign_keys(False)
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_constraint("comment_staff_badge_known", type_="check")
        batch_op.drop_constraint("fk_comments_staff_user_id_staff_users", type_="foreignkey")
        batch_op.drop_column("picked_at")
        batch_op.drop_column("pinned_at")
        batch_op.drop_column("staff_badge")
        batch_op.drop_column("staff_user_id")
    _foreign_keys(True)
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_column("display_name")
