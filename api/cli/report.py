"""`istok report`: the insights figures of a range of company days, as a table or JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import insights


def _pct(m: insights.Measure) -> str:
    return "-" if m.value is None else f"{m.value * 100:.1f}% of {m.items}"


def _mean(m: insights.Measure, unit: str) -> str:
    return "-" if m.value is None else f"{m.value:.2f}{unit} over {m.items}"


def _lines(f: insights.Figures) -> list[tuple[str, str]]:
    reasons = ", ".join(f"{k} {v}" for k, v in f.reasons.items()) or "-"
    return [
        ("questions", str(f.questions)),
        ("answered", f"{f.answered} (self-service {_pct(f.self_service)})"),
        ("handed off", str(f.handed_off)),
        ("false deflection", f"{f.false_deflected} ({_pct(f.false_deflection)} known-contact answers)"),
        ("answers followable", _pct(f.followable)),
        ("helpful / not", f"{f.helpful} / {f.not_helpful} ({_pct(f.helpfulness)}); reasons: {reasons}"),
        ("cases opened / resolved", f"{f.cases_opened} / {f.cases_resolved} ({f.cases_reopened} reopened)"),
        ("time to resolution", _mean(f.resolution_hours, " h")),
        ("first response", _mean(f.first_response_hours, " h")),
        ("channel switches", f"{f.channel_switches} in {f.cases_switched} resolved case(s)"),
        ("CSAT", f"{_mean(f.csat, '/5')}; satisfied {_pct(f.csat_satisfied)}"),
        ("NPS", "-" if f.nps.value is None else f"{f.nps.value:+.0f} over {f.nps.items}"),
    ]


def report(
    since: Annotated[str, typer.Option(help="Days back (30d: today and the 29 before) or a date.")] = "30d",
    until: Annotated[str | None, typer.Option(help="Last day, a date (default: today).")] = None,
    channel: Annotated[str | None, typer.Option(help="Only this channel (votes have none: left out).")] = None,
    locale: Annotated[str | None, typer.Option(help="Only this locale.")] = None,
    category: Annotated[str | None, typer.Option(help="Only this category (a case's topic).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Questions, self-service, false deflection, votes, cases, CSAT and NPS over company days (ISTOK_TIMEZONE)."""
    import insights
    import kb
    from api import runtime

    span = insights.parse_range(since, until)
    filters = insights.Filters(channel=channel, locale=locale, category=category)
    with kb.read_session(runtime.engine()) as session:
        found = insights.summary(session, span, filters)
    if json_out:
        typer.echo(json.dumps(insights.as_json(found), ensure_ascii=False, indent=2))
        return
    typer.echo(f"{span.first} .. {span.last} ({span.zone})")
    for name, value in _lines(found.totals):
        typer.echo(f"{name:<24}{value}")
    for title, groups in (("channel", found.by_channel), ("locale", found.by_locale)):
        for g in groups:
            f = g.figures
            typer.echo(
                f"{title} {g.name}: {f.questions} questions, {f.answered} answered, "
                f"{f.false_deflected} falsely deflected, {f.handed_off} handed off"
            )
    for term in found.no_result_terms:
        typer.echo(f"no answer ({term.count}×, {term.locale}/{term.channel}): {term.question}")
    for u in found.unopened_terms:
        typer.echo(f"no result opened ({u.searches}×, {u.locale}/{u.surface}): {u.term}")
