"""article verification rules and who verified when

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kb.models

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("verified_by", sa.String(length=200), nullable=False),
        sa.Column("verified_at", kb.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("article_verifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_article_verifications_locale_key_at", ["locale", "key", "verified_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("article_verifications", schema=None) as batch_op:
        batch_op.drop_index("ix_article_verifications_locale_key_at")
    op.drop_table("article_verifications")
