"""sessions in the database; content gaps carry the contact who asked

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kb.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NO_CONTACT = sa.text("contact_id IS NULL")
A_CONTACT = sa.text("contact_id IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", kb.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", kb.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("content_gaps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_id", sa.Integer(), nullable=True))
        batch_op.drop_constraint("uq_content_gaps", type_="unique")
    op.create_index(
        "uq_content_gaps",
        "content_gaps",
        ["normalised", "locale", "channel"],
        unique=True,
        sqlite_where=NO_CONTACT,
        postgresql_where=NO_CONTACT,
    )
    op.create_index(
        "uq_content_gaps_contact",
        "content_gaps",
        ["contact_id", "normalised", "locale", "channel"],
        unique=True,
        sqlite_where=A_CONTACT,
        postgresql_where=A_CONTACT,
    )


def downgrade() -> None:
    op.drop_index("uq_content_gaps_contact", table_name="content_gaps")
    op.drop_index("uq_content_gaps", table_name="content_gaps")
    op.execute("DELETE FROM content_gaps WHERE contact_id IS NOT NULL")
    with op.batch_alter_table("content_gaps", schema=None) as batch_op:
        batch_op.drop_column("contact_id")
        batch_op.create_unique_constraint("uq_content_gaps", ["normalised", "locale", "channel"])
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))
    op.drop_table("user_sessions")
