"""daily roll-ups of interactions for insights

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kb.models

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# The table is declared in `insights` (insights/models.py), a floor above kb, which kb never imports.


def upgrade() -> None:
    op.create_table(
        "insights_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=128), nullable=False),
        sa.Column("article_key", sa.String(length=128), nullable=False),
        sa.Column("article_revision", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=48), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("built_at", kb.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("insights_daily", schema=None) as batch_op:
        batch_op.create_index("ix_insights_daily_day_metric", ["day", "metric"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("insights_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_insights_daily_day_metric")
    op.drop_table("insights_daily")
