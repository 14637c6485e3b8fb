"""The cases behind the case figures of a range: what a lead opens from "cases opened / resolved"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

import kb
from contacts import Case
from insights.figures import Filters, case_channels, day_bounds


@dataclass(frozen=True)
class CaseLine:
    """One case opened or resolved in the range, with its first response and its channels."""

    id: int
    contact_id: int | None
    channel: str
    topic: str
    status: str
    opened_at: dt.datetime
    first_response_at: dt.datetime | None
    closed_at: dt.datetime | None
    channels: tuple[str, ...]


def cases_behind(
    session: Session, first: dt.date, last: dt.date, filters: Filters, *, zone: ZoneInfo | None = None, limit: int = 200
) -> list[CaseLine]:
    """Cases opened, first answered or resolved in `first`..`last`, newest first (a case's topic is its category)."""
    start, end = day_bounds(first, last, zone or kb.editor_zone())
    inside = [sa.and_(col(c) >= start, col(c) < end) for c in (Case.opened_at, Case.closed_at, Case.first_response_at)]
    stmt = select(Case).where(sa.or_(*inside))
    if filters.channel is not None:
        stmt = stmt.where(col(Case.channel) == filters.channel)
    if filters.category is not None:
        stmt = stmt.where(col(Case.topic) == filters.category)
    if filters.locale is not None:  # a case has no locale
        return []
    cases = list(session.exec(stmt.order_by(col(Case.opened_at).desc(), col(Case.id).desc()).limit(limit)))
    channels = case_channels(session, cases)
    return [
        CaseLine(
            c.id or 0,
            c.contact_id,
            c.channel,
            c.topic,
            c.status,
            c.opened_at,
            c.first_response_at,
            c.closed_at,
            tuple(channels.get(c.id or 0, ())),
        )
        for c in cases
    ]
