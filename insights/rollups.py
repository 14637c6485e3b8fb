"""Daily roll-ups: the counters of whole past company days, stored so reports stay fast.

The job `insights.rollup` (hourly, on kb's job runner, which hands a recurring job to one
replica at a time) recounts the last few days, because an answer's false deflection is
only known once the follow-up window after it has passed, and every day never rolled up
before. A day is rebuilt by deleting its rows and writing them again in one transaction,
with a `_built` row, so a reader sees a day either rolled up whole or not at all. Reading
mixes the two paths: rolled-up days from the table, everything else (today, a day the job
has not reached) counted live by insights/figures.py, with the same counting.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

import kb
from contacts import Interaction
from insights.figures import Counter, Slice, company_day, follow_up_window, live_counters
from insights.models import BUILT, DailyRollup

JOB = "insights.rollup"
#: How far back a first roll-up goes when the table is empty.
FIRST_BUILD_DAYS = 400


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
    now = kb.utcnow()
    rows: list[dict[str, Any]] = [
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
    day = first
    while day <= last:
        rows.append({"day": day, "metric": BUILT, "value": 0.0, "items": 0, "built_at": now} | _NO_SLICE)
        day += dt.timedelta(days=1)
    if rows:
        session.execute(sa.insert(DailyRollup), rows)
    session.flush()
    return len(rows)


_NO_SLICE = {"channel": "", "locale": "", "category": "", "article_key": "", "article_revision": 0}


def built_days(session: Session, first: dt.date, last: dt.date) -> set[dt.date]:
    stmt = sa.select(col(DailyRollup.day)).where(
        col(DailyRollup.metric) == BUILT, col(DailyRollup.day) >= first, col(DailyRollup.day) <= last
    )
    return {d for (d,) in session.execute(stmt)}


def counters(
    session: Session, first: dt.date, last: dt.date, *, zone: ZoneInfo | None = None, today: dt.date | None = None
) -> list[Counter]:
    """The counters of days `first`..`last`: rolled-up past days from the table, the rest live."""
    zone = zone or kb.editor_zone()
    today = today or company_day(kb.utcnow(), zone)
    built = {d for d in built_days(session, first, last) if d < today}
    found: list[Counter] = []
    if built:
        stmt = select(DailyRollup).where(col(DailyRollup.day).in_(sorted(built)), col(DailyRollup.metric) != BUILT)
        found += [
            Counter(
                r.day,
                Slice(r.channel, r.locale, r.category, r.article_key, r.article_revision),
                r.metric,
                r.value,
                r.items,
            )
            for r in session.exec(stmt)
        ]
    for start, end in _runs(first, last, built):
        found += live_counters(session, start, end, zone=zone)
    return found


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
    rebuild(session, first, last, zone=zone, window=window)
    return first, last


@kb.job_handler(JOB, every=dt.timedelta(hours=1), lease=dt.timedelta(minutes=15))
def _roll_up_job(session: Session, _payload: dict[str, Any]) -> None:
    roll_up(session)
