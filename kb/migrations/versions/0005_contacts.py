"""contact context: contacts, identities, cases, interactions, merges

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kb.models


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("contacts",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=True),
    sa.Column("locale", sa.String(length=16), nullable=True),
    sa.Column("segments", sa.JSON(), nullable=False),
    sa.Column("consent", sa.JSON(), nullable=False),
    sa.Column("merged_into", sa.Integer(), nullable=True),
    sa.Column("created_at", kb.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column("updated_at", kb.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column("erased_at", kb.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["merged_into"], ["contacts.id"], ),
    sa.PrimaryKeyConstraint("id")
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contacts_merged_into"), ["merged_into"], unique=False)

    op.create_table("contact_cases",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("contact_id", sa.Integer(), nullable=True),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("topic", sa.String(length=128), nullable=False),
    sa.Column("queue", sa.String(length=64), nullable=True),
    sa.Column("channel", sa.String(length=16), nullable=False),
    sa.Column("opened_at", kb.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column("closed_at", kb.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column("closed_by", sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ),
    sa.PrimaryKeyConstraint("id")
    )
    with op.batch_alter_table("contact_cases", schema=None) as batch_op:
        batch_op.create_index("ix_contact_cases_contact_status", ["contact_id", "status"], unique=False)

    op.create_table("contact_identities",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("contact_id", sa.Integer(), nullable=False),
    sa.Column("channel", sa.String(length=16), nullable=False),
    sa.Column("address", sa.String(length=254), nullable=False),
    sa.Column("created_at", kb.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("channel", "address", name="uq_contact_identities_channel_address")
    )
    with op.batch_alter_table("contact_identities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_identities_contact_id"), ["contact_id"], unique=False)

    op.create_table("contact_merges",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("kept_id", sa.Integer(), nullable=False),
    sa.Column("merged_id", sa.Integer(), nullable=False),
    sa.Column("moved", sa.JSON(), nullable=False),
    sa.Column("actor", sa.String(length=200), nullable=False),
    sa.Column("at", kb.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column("undone_at", kb.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["kept_id"], ["contacts.id"], ),
    sa.ForeignKeyConstraint(["merged_id"], ["contacts.id"], ),
    sa.PrimaryKeyConstraint("id")
    )
    with op.batch_alter_table("contact_merges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_merges_kept_id"), ["kept_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_merges_merged_id"), ["merged_id"], unique=False)

    op.create_table("contact_interactions",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("contact_id", sa.Integer(), nullable=True),
    sa.Column("channel", sa.String(length=16), nullable=False),
    sa.Column("direction", sa.String(length=8), nullable=False),
    sa.Column("at", kb.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column("question", sa.Text(), nullable=True),
    sa.Column("article_key", sa.String(length=128), nullable=True),
    sa.Column("article_locale", sa.String(length=16), nullable=True),
    sa.Column("article_revision", sa.Integer(), nullable=True),
    sa.Column("content_hash", sa.String(length=64), nullable=True),
    sa.Column("topic", sa.String(length=128), nullable=True),
    sa.Column("outcome", sa.String(length=16), nullable=False),
    sa.Column("csat", sa.Integer(), nullable=True),
    sa.Column("case_id", sa.Integer(), nullable=True),
    sa.Column("anonymised", sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(["case_id"], ["contact_cases.id"], ),
    sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ),
    sa.PrimaryKeyConstraint("id")
    )
    with op.batch_alter_table("contact_interactions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_interactions_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_interactions_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_contact_interactions_contact_at", ["contact_id", "at"], unique=False)



def downgrade() -> None:
    with op.batch_alter_table("contact_interactions", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_interactions_contact_at")
        batch_op.drop_index(batch_op.f("ix_contact_interactions_case_id"))
        batch_op.drop_index(batch_op.f("ix_contact_interactions_at"))

    op.drop_table("contact_interactions")
    with op.batch_alter_table("contact_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_merges_merged_id"))
        batch_op.drop_index(batch_op.f("ix_contact_merges_kept_id"))

    op.drop_table("contact_merges")
    with op.batch_alter_table("contact_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_identities_contact_id"))

    op.drop_table("contact_identities")
    with op.batch_alter_table("contact_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_cases_contact_status")

    op.drop_table("contact_cases")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_merged_into"))

    op.drop_table("contacts")
