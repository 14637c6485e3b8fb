"""`/admin/insights`: the insights figures as tables with CSV export, and daily charts in SVG.

Every table of the page is also a CSV (`/admin/insights.csv?table=…`, same filters); article
rows link to the article, case figures to `/admin/insights/cases` (the cases behind them),
health findings to the page where their action is taken.

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
from insights import health

router = APIRouter(include_in_schema=False)

FIGURE_TABLES = ("totals", "channel", "locale", "article", "daily")
TABLES = (*FIGURE_TABLES, "no-result", "unopened", "health", "cases")
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
        "nps": "—" if f.nps.value is None else f"{f.nps.value:+.0f}",
        "nps_items": f.nps.items,
        "first_response_hours": _measure(f.first_response_hours, percent=False),
        "first_response_items": f.first_response_hours.items,
        "cases_switched": f.cases_switched,
        "channel_switches": f.channel_switches,
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


def _read(since: str, until: str | None, channel: str, locale: str, category: str) -> dict[str, Any]:
    """Everything the page shows, as plain rows per table (the CSV export writes the same rows)."""
    span = insights.parse_range(since, until or None)
    filters = insights.Filters(channel=channel or None, locale=locale or None, category=category or None)
    with reading() as session:
        found = insights.summary(session, span, filters)
        days = insights.daily(session, span, filters)
        cases = insights.cases_behind(session, span.first, span.last, filters)
        findings = health.check(session=session)
        choices = _choices(session, [g.name for g in found.by_channel], filters)
    tables: dict[str, list[dict[str, Any]]] = {
        "totals": [_row("all", found.totals)],
        "channel": [_row(g.name, g.figures) for g in found.by_channel],
        "locale": [_row(g.name, g.figures) for g in found.by_locale],
        "article": [_row(g.name, g.figures) | {"link": _article_link(g.name)} for g in found.by_article],
        "daily": [_row(g.name, g.figures) for g in days],
        "no-result": [
            {"question": t.question, "locale": t.locale, "channel": t.channel, "count": t.count}
            for t in found.no_result_terms
        ],
        "unopened": [
            {"term": u.term, "locale": u.locale, "surface": u.surface, "searches": u.searches}
            for u in found.unopened_terms
        ],
        "health": [
            {"kind": f.kind, "where": f.where, "subject": f.subject, "action": f.action, "link": f.link}
            for f in findings
            if filters.locale is None or f.locale in (None, filters.locale)
        ],
        "cases": [_case_row(c) for c in cases],
    }
    return {"span": span, "tables": tables, "days": days, "choices": choices}


def _article_link(name: str) -> str:
    """`key@locale#revision` → the article's admin page."""
    key, _, rest = name.partition("@")
    return f"/admin/articles/{rest.partition('#')[0]}/{key}"


def _hours(start: Any, end: Any) -> str:
    return "" if start is None or end is None else f"{(end - start).total_seconds() / 3600:.2f}"


def _case_row(c: insights.CaseLine) -> dict[str, Any]:
    return {
        "case": c.id,
        "contact": c.contact_id or "",
        "channel": c.channel,
        "topic": c.topic,
        "status": c.status,
        "opened_at": c.opened_at.isoformat(timespec="minutes"),
        "first_response_hours": _hours(c.opened_at, c.first_response_at),
        "resolution_hours": _hours(c.opened_at, c.closed_at),
        "channels": " → ".join(c.channels),
    }


def _choices(session: Any, channels: list[str], filters: insights.Filters) -> dict[str, list[str]]:
    """The values the filters offer: the range's channels (and the search surfaces), locales, categories."""
    seen = set(channels) | {"help", "panel"} | ({filters.channel} if filters.channel else set())
    categories = {a.category for a in kb.list_articles(session=session) if a.category}
    if filters.category:
        categories.add(filters.category)
    return {"channel": sorted(seen), "locale": list(kb.LOCALES), "category": sorted(categories)}


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
    """Totals, breakdowns, search terms, content health and the daily charts of the range and filters chosen."""
    who = editor_gate(request)
    if isinstance(who, Response):
        return who
    params = {"since": since, "until": until, "channel": channel, "locale": locale, "category": category}
    ctx: dict[str, Any] = {"title": "Insights", "section": "insights", "params": params, "problem": ""}
    try:
        read = _read(since, until, channel, locale, category)
    except insights.InsightsError as exc:
        return staff_page(request, who, "admin_insights.html", ctx | {"problem": exc.detail}, status=422)
    ctx |= read | {"chart": _chart(read["days"]), "cases_chart": _cases_chart(read["days"])}
    return staff_page(request, who, "admin_insights.html", ctx)


def _cases_chart(days: list[insights.Group]) -> dict[str, Any]:
    """A line per day: cases opened and resolved (polyline points in the chart's box)."""
    top = max((max(g.figures.cases_opened, g.figures.cases_resolved) for g in days), default=0) or 1
    step = CHART_W / max(len(days) - 1, 1)

    def points(values: list[int]) -> str:
        return " ".join(
            f"{round(i * step, 1)},{round(CHART_H - 4 - v / top * (CHART_H - 24), 1)}" for i, v in enumerate(values)
        )

    return {
        "opened": points([g.figures.cases_opened for g in days]),
        "resolved": points([g.figures.cases_resolved for g in days]),
        "width": CHART_W,
        "height": CHART_H,
        "top": top,
    }


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
    """One table of the page as CSV (`table=` one of TABLES), with the page's filters."""
    who = editor_gate(request)
    if isinstance(who, Response):
        return who
    if table not in TABLES:
        return Response(f"table is one of {', '.join(TABLES)}\n", status_code=422, media_type="text/plain")
    try:
        read = _read(since, until, channel, locale, category)
    except insights.InsightsError as exc:
        return Response(exc.detail + "\n", status_code=422, media_type="text/plain")
    rows = read["tables"][table]
    fields = list(rows[0]) if rows else list(_EMPTY.get(table, _row("", insights.Figures())))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    span = read["span"]
    name = f"insights-{table}-{span.first}-{span.last}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


_EMPTY: dict[str, dict[str, Any]] = {
    "no-result": dict.fromkeys(("question", "locale", "channel", "count"), ""),
    "unopened": dict.fromkeys(("term", "locale", "surface", "searches"), ""),
    "health": dict.fromkeys(("kind", "where", "subject", "action", "link"), ""),
    "cases": dict.fromkeys(
        (
            "case",
            "contact",
            "channel",
            "topic",
            "status",
            "opened_at",
            "first_response_hours",
            "resolution_hours",
            "channels",
        ),
        "",
    ),
}
