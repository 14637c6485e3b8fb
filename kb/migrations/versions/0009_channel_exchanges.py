"""channel exchanges: an outside message answered once; identities a channel vouched for

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kb.models

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

A_MESSAGE = sa.text("message_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("contact_interactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=128), nullable=True))
    op.create_index(
        "uq_contact_interactions_message",
        "contact_interactions",
        ["channel", "message_id"],
        unique=True,
        sqlite_where=A_MESSAGE,
        postgresql_where=A_MESSAGE,
    )
    with op.batch_alter_table("contact_identities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verified_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("verified_at", kb.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contact_identities", schema=None) as batch_op:
        batch_op.drop_column("verified_at")
        batch_op.drop_column("verified_by")
    op.drop_index("uq_contact_interactions_message", table_name="contact_interactions")
    with op.batch_alter_table("contact_interactions", schema=None) as batch_op:
        batch_op.drop_column("message_id")
