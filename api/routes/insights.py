"""Insights over HTTP (issue #18): the figures of a range of company days, for editors and admins."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

import insights
from api.deps import EditorKey, reading
from api.http.errors_doc import responses
from api.schemas.insights import DailyOut, FindingOut, HealthOut, SummaryOut
from insights import health

router = APIRouter(prefix="/api/v1/insights", tags=["insights"], responses=responses(401, 403, 422))

Since = Annotated[
    str,
    Query(pattern=r"^(\d{1,4}d|\d{4}-\d{2}-\d{2})$", description="Days back (30d: today and the 29 before) or a date"),
]
Until = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="The last day (default: today)")]
Channel = Annotated[str | None, Query(max_length=16, description="Only this channel (votes have none)")]
LocaleQ = Annotated[str | None, Query(max_length=16, description="Only this locale")]
Category = Annotated[str | None, Query(max_length=128, description="Only this category (a case's topic)")]


def _filters(channel: str | None, locale: str | None, category: str | None) -> insights.Filters:
    return insights.Filters(channel=channel, locale=locale, category=category)


@router.get("/summary", response_model=SummaryOut, summary="Figures of a range: totals and breakdowns")
def insights_summary(
    _who: EditorKey,
    since: Since = "30d",
    until: Until = None,
    channel: Channel = None,
    locale: LocaleQ = None,
    category: Category = None,
) -> SummaryOut:
    """Questions, self-service, false deflection, votes, cases and CSAT, per channel, locale and revision."""
    span = insights.parse_range(since, until)
    with reading() as session:
        found = insights.summary(session, span, _filters(channel, locale, category))
    return SummaryOut.model_validate(insights.as_json(found))


@router.get("/daily", response_model=DailyOut, summary="Figures of each company day of a range")
def insights_daily(
    _who: EditorKey,
    since: Since = "30d",
    until: Until = None,
    channel: Channel = None,
    locale: LocaleQ = None,
    category: Category = None,
) -> DailyOut:
    """The same figures per day (ISTOK_TIMEZONE), for charts; past days come from the daily roll-up."""
    span = insights.parse_range(since, until)
    filters = _filters(channel, locale, category)
    with reading() as session:
        days = insights.daily(session, span, filters)
    return DailyOut.model_validate(insights.as_json({"range": span, "filters": filters, "days": days}))


Kind = Annotated[str | None, Query(pattern=r"^[a-z-]{1,32}$", description="Only this kind of finding")]


@router.get("/health", response_model=HealthOut, summary="Content health: what to fix, each with its action")
def insights_health(_who: EditorKey, kind: Kind = None) -> HealthOut:
    """Broken links, unused facts, numbers a fact contradicts, verification due, helpfulness fallen,
    translations behind and content gaps grouped; each with the action and the admin page it is taken on."""
    with reading() as session:
        found = [f for f in health.check(session=session) if kind is None or f.kind == kind]
    return HealthOut(findings=[FindingOut(**asdict(f)) for f in found])
