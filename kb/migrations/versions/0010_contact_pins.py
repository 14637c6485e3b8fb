"""contact PINs: a client's own proof before anything personal is said on a channel

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kb.models

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pin_hash", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("pin_failures", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("pin_locked_until", kb.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("pin_locked_until")
        batch_op.drop_column("pin_failures")
        batch_op.drop_column("pin_hash")
