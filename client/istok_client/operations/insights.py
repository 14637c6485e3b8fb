"""Insights for support leads: the figures of a range of company days, in total and per day."""

from __future__ import annotations

from istok_client import models
from istok_client.calls import Parts, endpoint
from istok_client.parsing import Json

QUERY = ("since", "until", "channel", "locale", "category")


def _query(
    since: str, until: str | None, channel: str | None, locale: str | None, category: str | None
) -> dict[str, str | None]:
    return {"since": since, "until": until, "channel": channel, "locale": locale, "category": category}


class InsightsOperations:
    """Insights (editors, admins)."""

    @endpoint("GET", "/api/v1/insights/summary", parse=Json(models.InsightsSummary), query=QUERY)
    def insights_summary(
        self,
        *,
        since: str = "30d",
        until: str | None = None,
        channel: str | None = None,
        locale: str | None = None,
        category: str | None = None,
    ) -> Parts:
        """Totals and breakdowns (channel, locale, article revision) over `since` (`30d` or a date) .. `until`."""
        return Parts(query=_query(since, until, channel, locale, category))

    @endpoint("GET", "/api/v1/insights/daily", parse=Json(models.InsightsDaily), query=QUERY)
    def insights_daily(
        self,
        *,
        since: str = "30d",
        until: str | None = None,
        channel: str | None = None,
        locale: str | None = None,
        category: str | None = None,
    ) -> Parts:
        """The same figures for each company day of the range, empty days included."""
        return Parts(query=_query(since, until, channel, locale, category))

    @endpoint("GET", "/api/v1/insights/health", parse=Json(models.InsightsHealth), query=("kind",))
    def insights_health(self, *, kind: str | None = None) -> Parts:
        """Content health: what in the live knowledge base to fix, each finding with its action and admin link."""
        return Parts(query={"kind": kind})
