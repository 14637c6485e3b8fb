"""Daily roll-ups: the counters of whole past company days, stored so reports stay fast.

The job `insights.rollup` (hourly, on kb's job runner, which hands a recurring job to one
replica at a time) recounts the last few days, because an answer's false deflection is
only known once the follow-up window after it has passed, and every day never rolled up
before. A day is rebuilt by deleting its rows and writing them again in one transaction,
with a `_built` row, so a reader sees a day either rolled up whole or not at all. Reading
mixes the two paths: rolled-up days from the table, everything else (today, a day the job
has not reached) counted live by insights/figures.py, with the same counting.

The same rebuild also writes the coarser levels (`CoarseRollup`: without the article, without
the article and the locale, or without the channel), summed from the very counters it writes
to the daily table, in the same transaction. A query sums the first level, coarse ones first,
that keeps the columns it groups and filters by: totals, channels, locales and the chart read
a few hundred rows a day instead of thousands, and no level can hold a day the others do not.

Today is rolled up too, as far as it went (a `_today` row whose `built_at` is the cutoff), so a
report counts live only what came after the job's last run, at most an hour: on a busy day that
is a small part of it. The one counter that is not additive over time, an answer's false
deflection, is then as of the last run for the answers before it, until the next run.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col

import kb
from contacts import Interaction
from insights.figures import (
    Counter,
    Filters,
    Slice,
    company_day,
    counted_between,
    day_bounds,
    follow_up_window,
    live_counters,
)
from insights.models import BUILT, LEVELS, TODAY, CoarseRollup, DailyRollup

JOB = "insights.rollup"
#: How far back a first roll-up goes when the table is empty.
FIRST_BUILD_DAYS = 400
#: Days counted at a time, so a first roll-up over a long history holds a week of rows in memory, not a year.
CHUNK_DAYS = 7


def rebuild(
    session: Session,
    first: dt.date,
    last: dt.date,
    *,
    zone: ZoneInfo | None = None,
    window: dt.timedelta | None = None,
) -> int:
    """Recount company days `first`..`last` into the table, replacing what was there; the rows written."""
    counters = live_counters(session, first, last, zone=zone, window=window)
    session.execute(sa.delete(DailyRollup).where(col(DailyRollup.day) >= first, col(DailyRollup.day) <= last))
    session.execute(sa.delete(CoarseRollup).where(col(CoarseRollup.day) >= first, col(CoarseRollup.day) <= last))
    _write_coarse(session, counters)
    now = kb.utcnow()
    rows = _rows(counters, now)
    day = first
    while day <= last:
        rows.append({"day": day, "metric": BUILT, "value": 0.0, "items": 0, "built_at": now} | _NO_SLICE)
        day += dt.timedelta(days=1)
    if rows:
        session.execute(sa.insert(DailyRollup), rows)
    session.flush()
    return len(rows)


def rebuild_today(session: Session, *, zone: ZoneInfo | None = None, now: dt.datetime | None = None) -> dt.datetime:
    """Count today so far into the table (a `_today` row marks up to when); the cutoff."""
    zone = zone or kb.editor_zone()
    now = now or kb.utcnow()
    today = company_day(now, zone)
    start, _ = day_bounds(today, today, zone)
    counters = counted_between(session, start, now, zone=zone)
    session.execute(sa.delete(DailyRollup).where(col(DailyRollup.day) == today))
    session.execute(sa.delete(CoarseRollup).where(col(CoarseRollup.day) == today))
    _write_coarse(session, counters)
    rows = _rows(counters, now)
    rows.append({"day": today, "metric": TODAY, "value": 0.0, "items": 0, "built_at": now} | _NO_SLICE)
    session.execute(sa.insert(DailyRollup), rows)
    session.flush()
    return now


def _rows(counters: list[Counter], now: dt.datetime) -> list[dict[str, Any]]:
    return [
        {
            "day": c.day,
            "channel": c.slice.channel,
            "locale": c.slice.locale,
            "category": c.slice.category,
            "article_key": c.slice.article_key,
            "article_revision": c.slice.article_revision,
            "metric": c.metric,
            "value": c.value,
            "items": c.items,
            "built_at": now,
        }
        for c in counters
    ]


_NO_SLICE = {"channel": "", "locale": "", "category": "", "article_key": "", "article_revision": 0}


def _cut(s: Slice, keeps: frozenset[str]) -> Slice:
    """The slice with the columns a level leaves out blanked."""
    return Slice(
        s.channel if "channel" in keeps else "",
        s.locale if "locale" in keeps else "",
        s.category if "category" in keeps else "",
        s.article_key if "article_key" in keeps else "",
        s.article_revision if "article_revision" in keeps else 0,
    )


def _write_coarse(session: Session, counters: list[Counter]) -> None:
    """Sum the day's counters into each coarse level (the caller has deleted those days' rows)."""
    sums: dict[tuple[str, dt.date, Slice, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for name, keeps in LEVELS.items():  # level after level, so a level's rows share pages
        cuts: dict[Slice, Slice] = {}
        for c in counters:
            cut = cuts.get(c.slice)
            if cut is None:
                cut = cuts[c.slice] = _cut(c.slice, keeps)
            row = sums[(name, c.day, cut, c.metric)]
            row[0] += c.value
            row[1] += c.items
    rows = [
        {
            "level": name,
            "day": day,
            "channel": s.channel,
            "locale": s.locale,
            "category": s.category,
            "article_key": s.article_key,
            "article_revision": s.article_revision,
            "metric": metric,
            "value": value,
            "items": int(items),
        }
        for (name, day, s, metric), (value, items) in sums.items()
    ]
    if rows:
        session.execute(sa.insert(CoarseRollup), rows)


@dataclass(frozen=True)
class _Level:
    """A roll-up level to sum: a coarse level of `CoarseRollup` by name, or (name None) the daily table."""

    name: str | None
    keeps: frozenset[str]

    @property
    def table(self) -> type[DailyRollup] | type[CoarseRollup]:
        return DailyRollup if self.name is None else CoarseRollup


_SLICE_COLUMNS = ("channel", "locale", "category", "article_key", "article_revision")
#: In `LEVELS` order, the daily table last: it keeps every column, so some level always fits.
_LEVELS = [_Level(name, keeps) for name, keeps in LEVELS.items()] + [_Level(None, frozenset(_SLICE_COLUMNS))]


def _level(needed: set[str]) -> _Level:
    """The first level (coarse ones first) that keeps every one of the `needed` slice columns."""
    return next(level for level in _LEVELS if needed <= level.keeps)


def _filtered_columns(filters: Filters) -> set[str]:
    named = (("channel", filters.channel), ("locale", filters.locale), ("category", filters.category))
    return {name for name, wanted in named if wanted is not None}


def _where(level: _Level, days: list[dt.date], filters: Filters) -> list[Any]:
    """The rows of `level` for the rolled-up `days` (sorted) that the filters keep."""
    t = level.table
    where: list[Any] = [col(t.day) >= days[0], col(t.day) <= days[-1]]
    if level.name is None:
        where.append(col(DailyRollup.metric).not_in([BUILT, TODAY]))
    else:
        where.append(col(CoarseRollup.level) == level.name)
    if len(days) != (days[-1] - days[0]).days + 1:  # a hole in the roll-up: only the built days
        where.append(col(t.day).in_(days))
    for name, wanted in (("channel", filters.channel), ("locale", filters.locale), ("category", filters.category)):
        if wanted is not None:
            where.append(col(getattr(t, name)) == wanted)
    return where


def built_days(session: Session, first: dt.date, last: dt.date) -> set[dt.date]:
    stmt = sa.select(col(DailyRollup.day)).where(
        col(DailyRollup.metric) == BUILT, col(DailyRollup.day) >= first, col(DailyRollup.day) <= last
    )
    return {d for (d,) in session.connection().execute(stmt).all()}


def counters(
    session: Session,
    first: dt.date,
    last: dt.date,
    *,
    zone: ZoneInfo | None = None,
    today: dt.date | None = None,
    filters: Filters | None = None,
    per_day: bool = True,
) -> list[Counter]:
    """The counters of days `first`..`last`: rolled-up past days from the table, the rest live.

    The table is summed in SQL, narrowed by `filters`: per day and metric when `per_day` (a chart
    needs no slice), else per slice and metric over all the rolled-up days (those counters carry
    the day `first`). Either way a few hundred rows reach Python, however long the range.
    """
    zone = zone or kb.editor_zone()
    filters = filters or Filters()
    today = today or company_day(kb.utcnow(), zone)
    built = {d for d in built_days(session, first, last) if d < today}
    found: list[Counter] = []
    if built:
        found += _summed(session, sorted(built), filters, per_day=per_day, first=first)
    cutoff = _cutoff(session, today) if first <= today <= last else None
    for start, end in _runs(first, last, built | ({today} if cutoff else set())):
        found += _live(live_counters(session, start, end, zone=zone), filters, per_day, first)
    if cutoff is not None:  # today: rolled up to the cutoff, the rest counted live
        found += _summed(session, [today], filters, per_day=per_day, first=first)
        _, end_of_today = day_bounds(today, today, zone)
        found += _live(counted_between(session, cutoff, end_of_today, zone=zone), filters, per_day, first)
    return found


#: The breakdowns of a summary, and how a slice is cut down to each.
BREAKDOWNS: dict[str, Callable[[Slice], Slice]] = {
    "total": lambda s: Slice(),
    "channel": lambda s: Slice(channel=s.channel),
    "locale": lambda s: Slice(locale=s.locale),
    "article": lambda s: Slice(locale=s.locale, article_key=s.article_key, article_revision=s.article_revision),
}
#: The slice columns each breakdown groups by.
_GROUPS: dict[str, tuple[str, ...]] = {
    "total": (),
    "channel": ("channel",),
    "locale": ("locale",),
    "article": ("locale", "article_key", "article_revision"),
}
#: The slice columns a breakdown can show, in the order a level's rows are grouped by.
_DIMS = ("channel", "locale", "article_key", "article_revision")


def breakdowns(
    session: Session,
    first: dt.date,
    last: dt.date,
    *,
    zone: ZoneInfo | None = None,
    today: dt.date | None = None,
    filters: Filters | None = None,
) -> dict[str, list[Counter]]:
    """The counters of days `first`..`last` per breakdown (total, channel, locale, article revision).

    As `counters`, but the table is summed straight into the four breakdowns, each from the
    first (coarse) level that keeps its columns and the filtered ones (one scan per level),
    so only the few thousand rows a summary shows reach Python.
    """
    zone = zone or kb.editor_zone()
    filters = filters or Filters()
    today = today or company_day(kb.utcnow(), zone)
    built = {d for d in built_days(session, first, last) if d < today}
    cutoff = _cutoff(session, today) if first <= today <= last else None
    found: dict[str, list[Counter]] = {name: [] for name in BREAKDOWNS}
    days = sorted(built | ({today} if cutoff else set()))
    if days:
        for name, rows in _summed_breakdowns(session, days, filters, first=first).items():
            found[name] += rows
    live: list[Counter] = []
    for start, end in _runs(first, last, set(days)):
        live += live_counters(session, start, end, zone=zone)
    if cutoff is not None:
        _, end_of_today = day_bounds(today, today, zone)
        live += counted_between(session, cutoff, end_of_today, zone=zone)
    for c in live:
        if filters.keep(c.slice):
            for name, cut in BREAKDOWNS.items():
                found[name].append(Counter(first, cut(c.slice), c.metric, c.value, c.items))
    return found


def _summed_breakdowns(
    session: Session, days: list[dt.date], filters: Filters, *, first: dt.date
) -> dict[str, list[Counter]]:
    found: dict[str, list[Counter]] = {name: [] for name in BREAKDOWNS}
    by_level: dict[_Level, list[str]] = defaultdict(list)
    filtered = _filtered_columns(filters)
    for name, columns in _GROUPS.items():
        by_level[_level(filtered | set(columns))].append(name)
    for level, names in by_level.items():
        for name, rows in _summed_level(session, level, names, days, filters, first=first).items():
            found[name] += rows
    return found


def _summed_level(
    session: Session, level: _Level, names: list[str], days: list[dt.date], filters: Filters, *, first: dt.date
) -> dict[str, list[Counter]]:
    """The breakdowns `names` summed from one level: one GROUP BY over the columns any of them
    shows (a few hundred rows, on a coarse level), each breakdown cut from those rows here."""
    t = level.table
    grouped = [d for d in _DIMS if any(d in _GROUPS[name] for name in names)]
    keys: list[Any] = [col(getattr(t, d)) for d in grouped] + [col(t.metric)]
    stmt = sa.select(*keys, sa.func.sum(col(t.value)), sa.func.sum(col(t.items))).where(*_where(level, days, filters))
    found: dict[str, list[Counter]] = {name: [] for name in names}
    for row in session.connection().execute(stmt.group_by(*keys)).all():
        shown = dict(zip(grouped, row, strict=False))
        m, v, n = row[len(grouped) :]
        s = Slice(
            str(shown.get("channel") or ""),
            str(shown.get("locale") or ""),
            "",
            str(shown.get("article_key") or ""),
            int(shown.get("article_revision") or 0),
        )
        for name in names:
            found[name].append(Counter(first, BREAKDOWNS[name](s), str(m), float(v or 0), int(n or 0)))
    return found


def _live(rows: list[Counter], filters: Filters, per_day: bool, first: dt.date) -> list[Counter]:
    kept = (c for c in rows if filters.keep(c.slice))
    return [c if per_day else Counter(first, c.slice, c.metric, c.value, c.items) for c in kept]


def _cutoff(session: Session, today: dt.date) -> dt.datetime | None:
    """Up to when today was rolled up, if it was."""
    stmt = sa.select(col(DailyRollup.built_at)).where(col(DailyRollup.day) == today, col(DailyRollup.metric) == TODAY)
    found = session.connection().execute(stmt).first()
    return None if found is None else found[0]


def _summed(session: Session, days: list[dt.date], filters: Filters, *, per_day: bool, first: dt.date) -> list[Counter]:
    # Per day no slice is kept: the first level the filters apply to. Per slice: the daily table.
    level = _level(_filtered_columns(filters)) if per_day else _LEVELS[-1]
    t = level.table
    shown = ["day"] if per_day else list(_SLICE_COLUMNS)
    keys: list[Any] = [col(getattr(t, name)) for name in shown] + [col(t.metric)]
    stmt = sa.select(*keys, sa.func.sum(col(t.value)), sa.func.sum(col(t.items))).where(*_where(level, days, filters))
    rows: list[Any] = list(session.connection().execute(stmt.group_by(*keys)).all())
    if per_day:
        return [Counter(day, Slice(), str(m), float(v or 0), int(n or 0)) for day, m, v, n in rows]
    return [
        Counter(first, Slice(ch, lo, ca, ak, int(ar)), str(m), float(v or 0), int(n or 0))
        for ch, lo, ca, ak, ar, m, v, n in rows
    ]


def _runs(first: dt.date, last: dt.date, skip: set[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """The contiguous stretches of days in first..last that are not in `skip`."""
    runs: list[tuple[dt.date, dt.date]] = []
    day, start = first, None
    while day <= last:
        if day in skip:
            if start is not None:
                runs.append((start, day - dt.timedelta(days=1)))
                start = None
        elif start is None:
            start = day
        day += dt.timedelta(days=1)
    if start is not None:
        runs.append((start, last))
    return runs


def settling_days(window: dt.timedelta) -> int:
    """How many past days may still change: the follow-up window, in days, and one more."""
    return math.ceil(window / dt.timedelta(days=1)) + 1


def roll_up(
    session: Session, *, zone: ZoneInfo | None = None, today: dt.date | None = None
) -> tuple[dt.date, dt.date] | None:
    """Bring the table up to yesterday: recount the days still settling and any never rolled up."""
    zone = zone or kb.editor_zone()
    window = follow_up_window()
    today = today or company_day(kb.utcnow(), zone)
    last = today - dt.timedelta(days=1)
    newest = session.execute(sa.select(sa.func.max(col(DailyRollup.day))).where(col(DailyRollup.metric) == BUILT))
    newest_day = newest.scalar_one_or_none()
    if newest_day is None:
        oldest = session.execute(sa.select(sa.func.min(col(Interaction.at)))).scalar_one_or_none()
        if oldest is None:
            return None
        first = max(company_day(oldest, zone), today - dt.timedelta(days=FIRST_BUILD_DAYS))
    else:
        first = min(newest_day + dt.timedelta(days=1), last - dt.timedelta(days=settling_days(window) - 1))
    if first > last:
        return None
    start = first
    while start <= last:
        end = min(start + dt.timedelta(days=CHUNK_DAYS - 1), last)
        rebuild(session, start, end, zone=zone, window=window)
        start = end + dt.timedelta(days=1)
    return first, last


@kb.job_handler(JOB, every=dt.timedelta(hours=1), lease=dt.timedelta(minutes=15))
def _roll_up_job(session: Session, _payload: dict[str, Any]) -> None:
    roll_up(session)
    rebuild_today(session)
