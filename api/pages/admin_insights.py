"""`/admin/insights`: the insights figures as tables with CSV export, and a daily chart in SVG.

The chart is drawn on the server as SVG (rectangles from the daily figures): no charting
library to install, pin or load, nothing for the page's Content-Security-Policy to allow,
and it prints, screenshots and reads without JavaScript. The numbers come from the same
`insights.summary` and `insights.daily` as `GET /api/v1/insights/…` and `istok report`.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

import insights
import kb
from api.deps import reading
from api.pages.admin import editor_gate, staff_page

router = APIRouter(include_in_schema=False)

TABLES = ("channel", "locale", "article", "daily")
CHART_W, CHART_H = 720, 160


def _measure(m: insights.Measure, *, percent: bool = True) -> str:
    if m.value is None:
        return "—"
    return f"{m.value * 100:.1f}%" if percent else f"{m.value:.2f}"


def _row(name: str, f: insights.Figures) -> dict[str, Any]:
    """One table line (also one CSV line): plain strings and numbers, each rate with its base."""
    return {
        "name": name,
        "questions": f.questions,
        "answered": f.answered,
        "handed_off": f.handed_off,
        "self_service": _measure(f.self_service),
        "false_deflected": f.false_deflected,
        "false_deflection": _measure(f.false_deflection),
        "followable": _measure(f.followable),
        "helpful": f.helpful,
        "not_helpful": f.not_helpful,
        "reasons": "; ".join(f"{k} {v}" for k, v in f.reasons.items()),
        "cases_opened": f.cases_opened,
        "cases_resolved": f.cases_resolved,
        "cases_reopened": f.cases_reopened,
        "resolution_hours": _measure(f.resolution_hours, percent=False),
        "csat": _measure(f.csat, percent=False),
        "csat_items": f.csat.items,
    }


def _chart(days: list[insights.Group]) -> dict[str, Any]:
    """Bars per day: questions (full height), of which answered and falsely deflected."""
    top = max((g.figures.questions for g in days), default=0) or 1
    step = CHART_W / max(len(days), 1)
    bars = []
    for i, g in enumerate(days):
        f = g.figures

        def height(n: int) -> float:
            return round(n / top * (CHART_H - 20), 1)

        bars.append(
            {
                "x": round(i * step + step * 0.1, 1),
                "w": round(step * 0.8, 1),
                "asked": height(f.questions),
                "answered": height(f.answered),
                "false": height(f.false_deflected),
                "label": f"{g.name}: {f.questions} asked, {f.answered} answered, {f.false_deflected} falsely deflected",
            }
        )
    return {"bars": bars, "width": CHART_W, "height": CHART_H, "top": top}


def _read(
    since: str, until: str | None, channel: str, locale: str, category: str
) -> tuple[insights.Range, insights.Summary, list[insights.Group]]:
    span = insights.parse_range(since, until or None)
    filters = insights.Filters(channel=channel or None, locale=locale or None, category=category or None)
    with reading() as session:
        return span, insights.summary(session, span, filters), insights.daily(session, span, filters)


Since = Annotated[str, Query(max_length=16)]
Text = Annotated[str, Query(max_length=128)]


@router.get("/admin/insights")
def insights_page(
    request: Request,
    since: Since = "30d",
    until: Since = "",
    channel: Text = "",
    locale: Text = "",
    category: Text = "",
) -> Response:
    """Totals, breakdowns and the daily chart of the range and filters chosen."""
    who = editor_gate(request)
    if isinstance(who, Response):
        return who
    params = {"since": since, "until": until, "channel": channel, "locale": locale, "category": category}
    ctx: dict[str, Any] = {"title": "Insights", "section": "insights", "params": params, "problem": ""}
    try:
        span, found, days = _read(since, until, channel, locale, category)
    except insights.InsightsError as exc:
        return staff_page(request, who, "admin_insights.html", ctx | {"problem": exc.detail}, status=422)
    ctx |= {
        "span": span,
        "totals": _row("all", found.totals),
        "tables": {
            "channel": [_row(g.name, g.figures) for g in found.by_channel],
            "locale": [_row(g.name, g.figures) for g in found.by_locale],
            "article": [_row(g.name, g.figures) for g in found.by_article],
            "daily": [_row(g.name, g.figures) for g in days],
        },
        "terms": found.no_result_terms,
        "chart": _chart(days),
        "locales": kb.LOCALES,
    }
    return staff_page(request, who, "admin_insights.html", ctx)


@router.get("/admin/insights.csv")
def insights_csv(
    request: Request,
    table: Annotated[str, Query(max_length=16)] = "daily",
    since: Since = "30d",
    until: Since = "",
    channel: Text = "",
    locale: Text = "",
    category: Text = "",
) -> Response:
    """One table of the page as CSV (`table=` channel, locale, article or daily)."""
    who = editor_gate(request)
    if isinstance(who, Response):
        return who
    if table not in TABLES:
        return Response(f"table is one of {', '.join(TABLES)}\n", status_code=422, media_type="text/plain")
    try:
        span, found, days = _read(since, until, channel, locale, category)
    except insights.InsightsError as exc:
        return Response(exc.detail + "\n", status_code=422, media_type="text/plain")
    groups = {"channel": found.by_channel, "locale": found.by_locale, "article": found.by_article, "daily": days}
    rows = [_row(g.name, g.figures) for g in groups[table]]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(_row("", insights.Figures())))
    writer.writeheader()
    writer.writerows(rows)
    name = f"insights-{table}-{span.first}-{span.last}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
