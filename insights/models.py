"""The daily roll-up table of insights (SQLModel, on the same metadata as `kb`'s tables).

One row holds one additive counter of one company day for one slice (channel, locale,
category, article revision): `value` is a count or a sum (seconds, CSAT points) and `items`
the number of things behind it, so any range or filter is a plain SUM over rows. A row with
metric `_built` marks a day as rolled up, also a day with nothing in it. Migration 0017.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from kb import UTCDateTime, utcnow

#: The metric of the row that says a day was rolled up (value and items 0).
BUILT = "_built"


class DailyRollup(SQLModel, table=True):
    """One counter of one company day (ISTOK_TIMEZONE), for one slice; "" and 0 mean none."""

    __tablename__ = "insights_daily"
    __table_args__ = (sa.Index("ix_insights_daily_day_metric", "day", "metric"),)

    id: int | None = Field(default=None, primary_key=True)
    day: dt.date
    channel: str = Field(default="", max_length=16)
    locale: str = Field(default="", max_length=16)
    category: str = Field(default="", max_length=128)
    article_key: str = Field(default="", max_length=128)
    article_revision: int = 0
    metric: str = Field(max_length=48)
    value: float = 0.0
    items: int = 0
    built_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
