"""Reader reports: comment_reports, one per reader per comment.

Revision ID: a4c81e2f9b35
Revises: a7c3e9f15b20
Create Date: 2026-12-02 05:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a4c81e2f9b35"
down_revision = "a7c3e9f15b20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "comment_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("voter_key", sa.String(length=80), nullable=False),
        sa.Column("network", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.CheckConstraint(
            "reason IN ('spam', 'abuse', 'hate', 'offtopic', 'other')",
            name="comment_report_reason_known",
        ),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("comment_id", "voter_key", name="comment_report_once"),
    )
    op.create_index("ix_comment_reports_voter_key", "comment_reports", ["voter_key"])
    op.create_index(
        "ix_comment_reports_outcome_comment", "comment_reports", ["outcome", "comment_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_comment_reports_outcome_comment", table_name="comment_reports")
    op.drop_index("ix_comment_reports_voter_key", table_name="comment_reports")
    op.drop_table("comment_reports")
