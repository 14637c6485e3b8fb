"""search results opened and case first responses, for insights (#18)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kb.models

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# `insights_search_terms` and `insights_daily_coarse` are declared in `insights` (insights/models.py);
# the two columns in `contacts`.

#: The coarse roll-up levels and the slice columns each keeps (as `insights.models.LEVELS` when written).
_LEVELS = {
    "channel_locale": ("channel", "locale"),
    "channel_category": ("channel", "category"),
    "article": ("locale", "category", "article_key", "article_revision"),
}
_SLICE = {"channel": "''", "locale": "''", "category": "''", "article_key": "''", "article_revision": "0"}


def upgrade() -> None:
    with op.batch_alter_table("contact_interactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nps", sa.Integer(), nullable=True))
    with op.batch_alter_table("contact_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_response_at", kb.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_contact_cases_opened_at", ["opened_at"], unique=False)
        batch_op.create_index("ix_contact_cases_closed_at", ["closed_at"], unique=False)
        batch_op.create_index("ix_contact_cases_first_response_at", ["first_response_at"], unique=False)
    op.create_table(
        "insights_search_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("normalised", sa.String(length=200), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("searches", sa.Integer(), nullable=False),
        sa.Column("opens", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", "surface", "locale", "normalised", name="uq_insights_search_terms_day_term"),
    )
    op.create_table(
        "insights_daily_coarse",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=128), nullable=False),
        sa.Column("article_key", sa.String(length=128), nullable=False),
        sa.Column("article_revision", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=48), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("insights_daily_coarse", schema=None) as batch_op:
        batch_op.create_index("ix_insights_daily_coarse_level_day", ["level", "day"], unique=False)
        batch_op.create_index("ix_insights_daily_coarse_level_category_day", ["level", "category", "day"], unique=False)
    for level, keeps in _LEVELS.items():  # the days already rolled up get their coarse rows too
        _fill_level(level, keeps)


def _fill_level(level: str, keeps: tuple[str, ...]) -> None:
    shown = ", ".join(name if name in keeps else f"{blank} AS {name}" for name, blank in _SLICE.items())
    grouped = ", ".join(("day", *keeps, "metric"))
    op.execute(
        sa.text(
            "INSERT INTO insights_daily_coarse "
            "(level, day, channel, locale, category, article_key, article_revision, metric, value, items) "
            f"SELECT :level, day, {shown}, metric, SUM(value), SUM(items) FROM insights_daily "
            f"WHERE metric NOT IN ('_built', '_today') GROUP BY {grouped}"
        ).bindparams(level=level)
    )


def downgrade() -> None:
    with op.batch_alter_table("insights_daily_coarse", schema=None) as batch_op:
        batch_op.drop_index("ix_insights_daily_coarse_level_category_day")
        batch_op.drop_index("ix_insights_daily_coarse_level_day")
    op.drop_table("insights_daily_coarse")
    op.drop_table("insights_search_terms")
    with op.batch_alter_table("contact_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_cases_first_response_at")
        batch_op.drop_index("ix_contact_cases_closed_at")
        batch_op.drop_index("ix_contact_cases_opened_at")
        batch_op.drop_column("first_response_at")
    with op.batch_alter_table("contact_interactions", schema=None) as batch_op:
        batch_op.drop_column("nps")
