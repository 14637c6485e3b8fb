"""user accounts and helpful votes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kb.models


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("created_at", kb.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", kb.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", kb.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "helpful_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("voter", sa.String(length=64), nullable=False),
        sa.Column("at", kb.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["revision_id"], ["revisions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("revision_id", "voter", name="uq_helpful_votes_voter"),
    )
    with op.batch_alter_table("helpful_votes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_helpful_votes_revision_id"), ["revision_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_helpful_votes_key"), ["key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("helpful_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_helpful_votes_key"))
        batch_op.drop_index(batch_op.f("ix_helpful_votes_revision_id"))
    op.drop_table("helpful_votes")
    op.drop_table("users")
