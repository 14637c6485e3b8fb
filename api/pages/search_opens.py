"""Counting searches and the results opened from them, for insights' "terms nobody opened".

The help center's results page and the operator panel's search call `count`; a failure to
count is logged and swallowed, since a reader's search must not fail for a statistic.
"""

from __future__ import annotations

import logging

import insights
from api.deps import writing

logger = logging.getLogger("istok.insights")


def count(surface: str, locale: str, term: str, *, opened: bool = False) -> None:
    """Add one search (or one result opened) of `term` to today's count; never raises."""
    try:
        with writing() as session:
            insights.record_search(session, surface=surface, locale=locale, term=term, opened=opened)
    except Exception:  # a statistic must not break the page it counts
        logger.exception("counting a %s search failed", surface)
