"""fact changes under review: proposals and their steps

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kb.models

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fact_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("locales", sa.JSON(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("proposer", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("applied_version", sa.Integer(), nullable=True),
        sa.Column("at", kb.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_fact_proposals_key_state", "fact_proposals", ["key", "state"], unique=False)
    op.create_table(
        "fact_review_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("at", kb.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["proposal_id"], ["fact_proposals.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_fact_review_steps_proposal_id", "fact_review_steps", ["proposal_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_fact_review_steps_proposal_id", table_name="fact_review_steps")
    op.drop_table("fact_review_steps")
    op.drop_index("ix_fact_proposals_key_state", table_name="fact_proposals")
    op.drop_table("fact_proposals")
