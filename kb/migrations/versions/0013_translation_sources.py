"""translations know their source: the revision of the source locale each revision was made from

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("translated_from_locale", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("translated_from_revision", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.drop_column("translated_from_revision")
        batch_op.drop_column("translated_from_locale")
