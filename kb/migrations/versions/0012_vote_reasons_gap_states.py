"""reasons with not-helpful votes; content gaps dismissed or merged

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kb.models

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("helpful_votes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("comment", sa.String(length=300), nullable=True))
    op.create_table(
        "content_gap_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("normalised", sa.String(length=500), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("dismissed_at", kb.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("dismissed_by", sa.String(length=200), nullable=True),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        sa.Column("changed_at", kb.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["merged_into"], ["content_gap_states.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("normalised", "locale", "channel", name="uq_content_gap_states"),
    )
    with op.batch_alter_table("content_gap_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_content_gap_states_merged_into"), ["merged_into"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("content_gap_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_content_gap_states_merged_into"))
    op.drop_table("content_gap_states")
    with op.batch_alter_table("helpful_votes", schema=None) as batch_op:
        batch_op.drop_column("comment")
        batch_op.drop_column("reason")
