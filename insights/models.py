"""The daily roll-up table of insights (SQLModel, on the same metadata as `kb`'s tables).

One row holds one additive counter of one company day for one slice (channel, locale,
category, article revision): `value` is a count or a sum (seconds, CSAT points) and `items`
the number of things behind it, so any range or filter is a plain SUM over rows. A row with
metric `_built` marks a day as rolled up, also a day with nothing in it. Migration 0017.
`CoarseRollup` holds the same counters with fewer slice columns, for fast totals.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from kb import UTCDateTime, utcnow

#: The metric of the row that says a day was rolled up (value and items 0).
BUILT = "_built"
#: The metric of the row that says today was rolled up so far: up to its `built_at`.
TODAY = "_today"


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


#: The coarser roll-up levels and the slice columns each keeps (the others are "" or 0 in its
#: rows), in the order a query tries them: it reads the first that keeps every column it groups
#: or filters by (at 1M interactions about 390, 980 and 780 rows a day, against 3,600 in the
#: daily table, the finest level, which keeps them all and is tried last).
LEVELS: dict[str, frozenset[str]] = {
    "channel_locale": frozenset({"channel", "locale"}),
    "channel_category": frozenset({"channel", "category"}),
    "article": frozenset({"locale", "category", "article_key", "article_revision"}),
}


class CoarseRollup(SQLModel, table=True):
    """The daily counters summed over the slice columns a level leaves out (`LEVELS`).

    Written by the same roll-up as `DailyRollup`, in the same transaction, from the same
    counters, so every level always holds the same days; which days are rolled up (and up to
    when today is) is read from `DailyRollup`'s marker rows only. It exists because a summary
    over 90 days of a busy desk sums hundreds of thousands of article-and-channel rows, while
    its totals need only a few hundred per day. Migration 0018.
    """

    __tablename__ = "insights_daily_coarse"
    __table_args__ = (
        sa.Index("ix_insights_daily_coarse_level_day", "level", "day"),
        # a category filter reads only its rows (a category is a small share of a level's)
        sa.Index("ix_insights_daily_coarse_level_category_day", "level", "category", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    level: str = Field(max_length=16)
    day: dt.date
    channel: str = Field(default="", max_length=16)
    locale: str = Field(default="", max_length=16)
    category: str = Field(default="", max_length=128)
    article_key: str = Field(default="", max_length=128)
    article_revision: int = 0
    metric: str = Field(max_length=48)
    value: float = 0.0
    items: int = 0


class SearchTerm(SQLModel, table=True):
    """How often one search term was searched, and a result of it opened, on one company day.

    Counted per day, surface (`help`, the public help center; `panel`, the operator's panel)
    and locale, never per person: the term is stored masked (`kb.mask_personal`), like a content
    gap's question, and folded (`normalised`) so one term's wordings add up. Migration 0018.
    """

    __tablename__ = "insights_search_terms"
    __table_args__ = (
        sa.UniqueConstraint("day", "surface", "locale", "normalised", name="uq_insights_search_terms_day_term"),
    )

    id: int | None = Field(default=None, primary_key=True)
    day: dt.date
    surface: str = Field(max_length=16)
    locale: str = Field(max_length=16)
    normalised: str = Field(max_length=200)
    term: str = Field(max_length=200)  # the latest wording, masked
    searches: int = 0
    opens: int = 0
