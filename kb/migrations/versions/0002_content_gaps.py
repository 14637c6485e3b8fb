"""content gaps: questions answered with low confidence or handed off

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kb.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "content_gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("normalised", sa.String(length=500), nullable=False),
        sa.Column("question", sa.String(length=500), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("best_key", sa.String(length=128), nullable=True),
        sa.Column("best_confidence", sa.Float(), nullable=True),
        sa.Column("first_seen", kb.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", kb.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("normalised", "locale", "channel", name="uq_content_gaps"),
    )
    with op.batch_alter_table("content_gaps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_content_gaps_last_seen"), ["last_seen"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("content_gaps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_content_gaps_last_seen"))
    op.drop_table("content_gaps")
