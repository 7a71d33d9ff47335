"""The counters, the training sessions and the sign-in failures.

Revision ID: 0001
Revises: none
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # One counter: (month, dimension, value) crossed with the organisation type. No timestamp finer than
    # the month, no row per walk, no answers.
    op.create_table(
        "counts",
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("dimension", sa.String(40), nullable=False),
        sa.Column("value", sa.String(120), nullable=False),
        sa.Column("organisation", sa.String(120), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("month", "dimension", "value", "organisation", name="counts_pkey"),
        sa.CheckConstraint("count >= 0", name="counts_count_not_negative"),
    )
    # One row per session delivered: its month, the agency and how many attended; no names.
    op.create_table(
        "training_sessions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("agency", sa.String(200), nullable=False),
        sa.Column("attendees", sa.Integer, nullable=False),
        sa.CheckConstraint("attendees >= 0", name="training_sessions_attendees_not_negative"),
    )
    op.create_index("ix_training_sessions_month", "training_sessions", ["month"])
    # Failed sign-ins to the dashboard per address (a keyed hash) and minute, pruned after 15 minutes.
    op.create_table(
        "sign_in_failures",
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("minute", sa.Integer, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("address", "minute", name="sign_in_failures_pkey"),
    )


def downgrade() -> None:
    op.drop_table("sign_in_failures")
    op.drop_index("ix_training_sessions_month", table_name="training_sessions")
    op.drop_table("training_sessions")
    op.drop_table("counts")
