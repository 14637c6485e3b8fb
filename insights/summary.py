"""Reports over a range: totals and breakdowns (channel, locale, article revision, day).

What the CLI, the API and the admin page show; they differ only in how they print it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

import kb
from insights.figures import Counter, Figures, Filters, InsightsError, Term, company_day, figures_of, no_result_terms
from insights.rollups import breakdowns, counters
from insights.search_terms import UnopenedTerm, unopened_terms

#: The longest range one report covers, so a typo cannot ask for a century of live counting.
MAX_DAYS = 3660
#: The days a report may name (a date far out would overflow the calendar at its edges).
EARLIEST, LATEST = dt.date(1970, 1, 1), dt.date(9000, 12, 31)


@dataclass(frozen=True)
class Range:
    """Company days `first`..`last`, both included, in the zone `zone`."""

    first: dt.date
    last: dt.date
    zone: str


def parse_range(since: str | None, until: str | None = None, *, zone: ZoneInfo | None = None) -> Range:
    """`since` is `30d` (the last 30 days, today included) or a date; `until` a date, default today."""
    zone = zone or kb.editor_zone()
    today = company_day(kb.utcnow(), zone)
    last = _date(until, "until") if until else today
    text = (since or "30d").strip()
    match = re.fullmatch(r"(\d{1,4})d", text)
    if match:
        days = int(match.group(1))
        if days < 1:
            raise InsightsError("a range is at least one day (since=1d is today)")
        first = last - dt.timedelta(days=min(days - 1, MAX_DAYS))
    else:
        first = _date(text, "since")
    if first > last:
        raise InsightsError(f"since ({first}) is after until ({last})")
    if (last - first).days >= MAX_DAYS:
        raise InsightsError(f"a report covers at most {MAX_DAYS} days")
    return Range(first, last, zone.key)


def _date(text: str, name: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InsightsError(f"{name} is a date like 2026-12-01 or a number of days like 30d, not {text!r}") from None
    if not EARLIEST <= day <= LATEST:
        raise InsightsError(f"{name} is a date from {EARLIEST} to {LATEST}, not {day}")
    return day


@dataclass(frozen=True)
class Group:
    """The figures of one value of a breakdown (a channel, a locale, an article revision, a day)."""

    name: str
    figures: Figures


@dataclass(frozen=True)
class Summary:
    range: Range
    filters: Filters
    totals: Figures
    by_channel: list[Group]
    by_locale: list[Group]
    by_article: list[Group]  # `key@locale#revision`
    no_result_terms: list[Term]
    unopened_terms: list[UnopenedTerm]  # searched with results, none opened


def _groups(rows: Iterable[Counter], name: Callable[[Counter], str]) -> list[Group]:
    buckets: dict[str, list[Counter]] = defaultdict(list)
    for c in rows:
        key = name(c)
        if key:
            buckets[key].append(c)
    return [Group(k, figures_of(v)) for k, v in sorted(buckets.items())]


def _article(c: Counter) -> str:
    s = c.slice
    return f"{s.article_key}@{s.locale}#{s.article_revision}" if s.article_key else ""


def _filtered(session: Session, span: Range, filters: Filters, *, per_day: bool) -> list[Counter]:
    zone = ZoneInfo(span.zone)
    return counters(session, span.first, span.last, zone=zone, filters=filters, per_day=per_day)


def summary(session: Session, span: Range, filters: Filters | None = None) -> Summary:
    """Totals and breakdowns of the range, narrowed by the filters."""
    filters = filters or Filters()
    sets = breakdowns(session, span.first, span.last, zone=ZoneInfo(span.zone), filters=filters)
    return Summary(
        range=span,
        filters=filters,
        totals=figures_of(sets["total"]),
        by_channel=_groups(sets["channel"], lambda c: c.slice.channel),
        by_locale=_groups(sets["locale"], lambda c: c.slice.locale),
        by_article=_groups(sets["article"], _article),
        no_result_terms=no_result_terms(session, span.first, span.last, filters, zone=ZoneInfo(span.zone)),
        unopened_terms=unopened_terms(session, span.first, span.last, filters),
    )


def daily(session: Session, span: Range, filters: Filters | None = None) -> list[Group]:
    """The figures of each company day of the range (days with nothing counted included, as zeros)."""
    rows = _filtered(session, span, filters or Filters(), per_day=True)
    by_day = {g.name: g for g in _groups(rows, lambda c: c.day.isoformat())}
    out: list[Group] = []
    day = span.first
    while day <= span.last:
        out.append(by_day.get(day.isoformat(), Group(day.isoformat(), Figures())))
        day += dt.timedelta(days=1)
    return out


def as_json(value: Any) -> Any:
    """Plain JSON types for a report's dataclasses (dates and times as ISO text)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value
