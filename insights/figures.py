"""The figures a support lead runs on, computed from the raw tables for company days.

Everything is first counted per company day (ISTOK_TIMEZONE, read by `kb.editor_zone`, the
zone schedules use) and per slice (channel, locale, category, article revision) as additive
counters, `Counter` rows; figures for any range and filter are sums of those. The roll-up
table stores exactly these rows for whole past days (insights/rollups.py), so the live path
and the rolled-up path cannot drift apart: they share this one counting.

Definitions:
* questions: interactions coming in (`direction` in); answered: those Istok answered
  (outcome `answered`); handed off: outcome `handoff` or `escalated`.
* false deflection: an answer to a known contact (not anonymous, not erased) after which the
  same contact, within the follow-up window (24 h, ISTOK_INSIGHTS_FOLLOW_UP_HOURS), asked
  again on any channel or reached a person (a later handoff or escalation). Its rate is over
  the answers that could be followed; `followable` says what share of all answers that is.
* votes count on the day of the reader's latest answer, per revision; they have no channel,
  so a channel filter leaves them out.
* cases: opened on the day they opened; resolved, with the time to resolution, on the day
  they closed; reopened (a resolved case stays resolved, a return opens a new one) when the
  same contact opened a case on the same topic within the follow-up window after it closed.
  First response: from opening to the first reply of a person, where the channel reports it
  (`Case.first_response_at`, set by a desk adapter's agent reply), on the day of the reply.
  Channel switches: in a case resolved in the range, each interaction on another channel than
  the one before it in the case (the case's own first channel included); counted on the
  resolution day, with the number of such cases that switched at least once.
* CSAT (1..5) and NPS (0..10) where an interaction carries a score: NPS is the share of
  promoters (9, 10) minus the share of detractors (0..6), in points from -100 to 100.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

import kb
from contacts import Case, Interaction, Outcome

HANDED_OFF = frozenset({Outcome.HANDOFF.value, Outcome.ESCALATED.value})
DEFAULT_FOLLOW_UP = dt.timedelta(hours=24)


class InsightsError(kb.IstokError):
    """A report asked for something that cannot be counted (a bad range, a bad setting)."""

    status = 422
    slug = "invalid-insights-query"


def follow_up_window() -> dt.timedelta:
    """How long after an answer a return of the same contact makes it a false deflection."""
    text = os.environ.get("ISTOK_INSIGHTS_FOLLOW_UP_HOURS", "").strip()
    if not text:
        return DEFAULT_FOLLOW_UP
    try:
        hours = float(text)
    except ValueError:
        hours = -1.0
    if not 0 < hours <= 24 * 30:
        raise InsightsError(f"ISTOK_INSIGHTS_FOLLOW_UP_HOURS is a number of hours up to 720, not {text!r}")
    return dt.timedelta(hours=hours)


@dataclass(frozen=True)
class Slice:
    """What a counter is about; "" and 0 mean "none" (no article served, no channel for votes)."""

    channel: str = ""
    locale: str = ""
    category: str = ""
    article_key: str = ""
    article_revision: int = 0


@dataclass(frozen=True)
class Counter:
    """One additive counter of one company day and slice: a count or a sum, and how many items."""

    day: dt.date
    slice: Slice
    metric: str
    value: float
    items: int


@dataclass(frozen=True)
class Filters:
    """What a report narrows to; None is everything."""

    channel: str | None = None
    locale: str | None = None
    category: str | None = None

    def keep(self, s: Slice) -> bool:
        if self.channel is not None and s.channel != self.channel:
            return False
        if self.locale is not None and s.locale != self.locale:
            return False
        return self.category is None or s.category == self.category


@dataclass(frozen=True)
class Measure:
    """A rate or a mean with the number of items behind it; value None when there are none."""

    value: float | None
    items: int


@dataclass(frozen=True)
class Figures:
    """The figures of one range and slice, each with what it was computed over."""

    questions: int = 0
    answered: int = 0
    handed_off: int = 0
    self_service: Measure = Measure(None, 0)  # answered / questions
    answers: int = 0
    false_deflected: int = 0
    false_deflection: Measure = Measure(None, 0)  # false_deflected / answers to known contacts
    followable: Measure = Measure(None, 0)  # answers to known contacts / answers
    helpful: int = 0
    not_helpful: int = 0
    helpfulness: Measure = Measure(None, 0)  # helpful / votes
    reasons: dict[str, int] = field(default_factory=dict)
    cases_opened: int = 0
    cases_resolved: int = 0
    cases_reopened: int = 0  # resolved, and the same contact opened a case on its topic within the window
    resolution_hours: Measure = Measure(None, 0)  # mean over cases resolved in the range
    csat: Measure = Measure(None, 0)  # mean score 1..5 over scored interactions
    csat_satisfied: Measure = Measure(None, 0)  # share of scores 4 or 5
    first_response_hours: Measure = Measure(None, 0)  # mean over cases first answered by a person in the range
    cases_switched: int = 0  # resolved cases whose interactions changed channel
    channel_switches: int = 0  # the changes of channel within those cases
    nps: Measure = Measure(None, 0)  # promoters - detractors, in points, over scored interactions
    nps_promoters: int = 0
    nps_detractors: int = 0


def _ratio(part: float, whole: float) -> Measure:
    return Measure(round(part / whole, 4) if whole else None, int(whole))


def figures_of(counters: Iterable[Counter]) -> Figures:
    """Sum counters into figures (the caller has filtered them)."""
    value: dict[str, float] = defaultdict(float)
    items: dict[str, int] = defaultdict(int)
    for c in counters:
        value[c.metric] += c.value
        items[c.metric] += c.items
    n = {k: round(v) for k, v in value.items()}
    known = n.get("answers_known", 0)
    votes = n.get("helpful", 0) + n.get("not_helpful", 0)
    resolved = items.get("resolution_seconds", 0)
    scored = items.get("csat", 0)
    responded = items.get("first_response_seconds", 0)
    recommended = items.get("nps", 0)
    promoters, detractors = n.get("nps_promoter", 0), n.get("nps_detractor", 0)
    return Figures(
        questions=n.get("asked", 0),
        answered=n.get("answered", 0),
        handed_off=n.get("handed_off", 0),
        self_service=_ratio(n.get("answered", 0), n.get("asked", 0)),
        answers=n.get("answers", 0),
        false_deflected=n.get("false_deflection", 0),
        false_deflection=_ratio(n.get("false_deflection", 0), known),
        followable=_ratio(known, n.get("answers", 0)),
        helpful=n.get("helpful", 0),
        not_helpful=n.get("not_helpful", 0),
        helpfulness=_ratio(n.get("helpful", 0), votes),
        reasons={k.removeprefix("reason:"): v for k, v in sorted(n.items()) if k.startswith("reason:") and v},
        cases_opened=n.get("cases_opened", 0),
        cases_resolved=n.get("cases_resolved", 0),
        cases_reopened=n.get("cases_reopened", 0),
        resolution_hours=Measure(
            round(value["resolution_seconds"] / resolved / 3600, 4) if resolved else None, resolved
        ),
        csat=Measure(round(value["csat"] / scored, 4) if scored else None, scored),
        csat_satisfied=_ratio(n.get("csat_satisfied", 0), scored),
        first_response_hours=Measure(
            round(value["first_response_seconds"] / responded / 3600, 4) if responded else None, responded
        ),
        cases_switched=n.get("cases_switched", 0),
        channel_switches=n.get("channel_switches", 0),
        nps=Measure(round((promoters - detractors) / recommended * 100, 2) if recommended else None, recommended),
        nps_promoters=promoters,
        nps_detractors=detractors,
    )


def day_bounds(first: dt.date, last: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants where company day `first` starts and company day `last` ends."""
    start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def company_day(at: dt.datetime, zone: ZoneInfo) -> dt.date:
    """The company's calendar day of an instant (23:30 UTC is the next day in Europe/Kyiv)."""
    return at.astimezone(zone).date()


class _Tally:
    def __init__(self) -> None:
        self.rows: dict[tuple[dt.date, Slice, str], list[float]] = {}

    def add(self, day: dt.date, s: Slice, metric: str, value: float = 1.0, items: int = 1) -> None:
        row = self.rows.setdefault((day, s, metric), [0.0, 0])
        row[0] += value
        row[1] += items

    def counters(self) -> list[Counter]:
        return [Counter(d, s, m, v, int(i)) for (d, s, m), (v, i) in sorted(self.rows.items(), key=_order)]


def _order(item: tuple[tuple[dt.date, Slice, str], list[float]]) -> tuple[object, ...]:
    (d, s, m), _ = item
    return (d, s.channel, s.locale, s.category, s.article_key, s.article_revision, m)


def live_counters(
    session: Session,
    first: dt.date,
    last: dt.date,
    *,
    zone: ZoneInfo | None = None,
    window: dt.timedelta | None = None,
) -> list[Counter]:
    """Count company days `first`..`last` (inclusive) from interactions, cases and votes."""
    if last < first:
        raise InsightsError(f"a range ends on or after it starts ({first} .. {last})")
    zone = zone or kb.editor_zone()
    start, end = day_bounds(first, last, zone)
    return counted_between(session, start, end, zone=zone, window=window)


def counted_between(
    session: Session, start: dt.datetime, end: dt.datetime, *, zone: ZoneInfo, window: dt.timedelta | None = None
) -> list[Counter]:
    """Count what happened from instant `start` to `end` (excluded), per company day.

    Every counter is additive over time but one: an answer's false deflection is counted with
    the answer, from the returns known when it is counted.
    """
    window = window or follow_up_window()
    tally = _Tally()
    _count_interactions(session, tally, start, end, zone, window)
    _count_votes(session, tally, start, end, zone)
    _count_cases(session, tally, start, end, zone, window)
    return tally.counters()


@dataclass(frozen=True, slots=True)
class _Row:
    """The columns of an interaction the counting reads (a tuple row, not an ORM object: fast at scale)."""

    id: int
    contact_id: int | None
    channel: str
    direction: str
    at: dt.datetime
    article_key: str | None
    article_locale: str | None
    article_revision: int | None
    topic: str | None
    outcome: str
    csat: int | None
    nps: int | None


_ROW_COLUMNS = [getattr(Interaction, f) for f in _Row.__dataclass_fields__]


def _count_interactions(
    session: Session, tally: _Tally, start: dt.datetime, end: dt.datetime, zone: ZoneInfo, window: dt.timedelta
) -> None:
    stmt = (
        sa.select(*_ROW_COLUMNS)
        .where(col(Interaction.at) >= start, col(Interaction.at) < end)
        .order_by(col(Interaction.at), col(Interaction.id))
    )
    rows = [_Row(*r) for r in session.connection().execute(stmt).all()]
    returns = _returns(session, rows, end + window)
    slices: dict[tuple[object, ...], Slice] = {}
    for i in rows:
        day = company_day(i.at, zone)
        shape = (i.channel, i.article_locale, i.topic, i.article_key, i.article_revision)
        s = slices.get(shape)
        if s is None:
            s = slices[shape] = Slice(
                i.channel, i.article_locale or "", i.topic or "", i.article_key or "", i.article_revision or 0
            )
        _count_scores(tally, day, s, i)
        if i.direction != "in":
            continue
        tally.add(day, s, "asked")
        if i.outcome in HANDED_OFF:
            tally.add(day, s, "handed_off")
        if i.outcome != Outcome.ANSWERED.value:
            continue
        tally.add(day, s, "answered")
        tally.add(day, s, "answers")
        if i.contact_id is None:
            continue
        tally.add(day, s, "answers_known")
        if _came_back(i, returns.get(i.contact_id, ()), window):
            tally.add(day, s, "false_deflection")


def _count_scores(tally: _Tally, day: dt.date, s: Slice, i: _Row) -> None:
    if i.csat is not None:
        tally.add(day, s, "csat", float(i.csat))
        if i.csat >= 4:
            tally.add(day, s, "csat_satisfied")
    if i.nps is not None:
        tally.add(day, s, "nps", float(i.nps))
        if i.nps >= 9:
            tally.add(day, s, "nps_promoter")
        elif i.nps <= 6:
            tally.add(day, s, "nps_detractor")


def _returns(session: Session, answers: Sequence[_Row], until: dt.datetime) -> dict[int, list[tuple[dt.datetime, int]]]:
    """Per known contact, the (time, id) of each return: a question again, or a person reached."""
    known = [i for i in answers if i.contact_id is not None and i.outcome == Outcome.ANSWERED.value]
    if not known:
        return {}
    since = min(i.at for i in known)
    stmt = (
        sa.select(col(Interaction.contact_id), col(Interaction.at), col(Interaction.id))
        .where(col(Interaction.contact_id).is_not(None), col(Interaction.at) >= since, col(Interaction.at) <= until)
        .where(sa.or_(col(Interaction.direction) == "in", col(Interaction.outcome).in_(sorted(HANDED_OFF))))
        .order_by(col(Interaction.contact_id), col(Interaction.at), col(Interaction.id))
    )
    found: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
    for contact_id, at, iid in session.connection().execute(stmt).all():  # UTCDateTime: aware UTC on SQLite too
        found[int(contact_id or 0)].append((at, int(iid or 0)))
    return found


def _came_back(answer: _Row, returns: Iterable[tuple[dt.datetime, int]], window: dt.timedelta) -> bool:
    for at, iid in returns:
        later = at > answer.at or (at == answer.at and iid > answer.id)
        if later and at - answer.at <= window:
            return True
    return False


def _count_votes(session: Session, tally: _Tally, start: dt.datetime, end: dt.datetime, zone: ZoneInfo) -> None:
    stmt = (
        sa.select(
            col(kb.HelpfulVote.key),
            col(kb.HelpfulVote.locale),
            col(kb.HelpfulVote.revision),
            col(kb.HelpfulVote.helpful),
            col(kb.HelpfulVote.reason),
            col(kb.HelpfulVote.at),
            col(kb.Article.category),
        )
        .join(
            kb.Article,
            sa.and_(
                col(kb.Article.key) == col(kb.HelpfulVote.key), col(kb.Article.locale) == col(kb.HelpfulVote.locale)
            ),
        )
        .where(col(kb.HelpfulVote.at) >= start, col(kb.HelpfulVote.at) < end)
    )
    for key, locale, revision, helpful, reason, at, category in session.connection().execute(stmt).all():
        s = Slice("", str(locale), str(category or ""), str(key), int(revision))
        day = company_day(at, zone)
        tally.add(day, s, "helpful" if helpful else "not_helpful")
        if not helpful and reason:
            tally.add(day, s, f"reason:{reason}")


def _count_cases(
    session: Session, tally: _Tally, start: dt.datetime, end: dt.datetime, zone: ZoneInfo, window: dt.timedelta
) -> None:
    opened = select(Case).where(col(Case.opened_at) >= start, col(Case.opened_at) < end)
    for case in session.exec(opened):
        tally.add(company_day(case.opened_at, zone), Slice(case.channel, "", case.topic), "cases_opened")
    closed = select(Case).where(col(Case.status) == "resolved", col(Case.closed_at) >= start, col(Case.closed_at) < end)
    resolved = list(session.exec(closed))
    later = _later_cases(session, resolved, end + window)
    channels = case_channels(session, resolved)
    for case in resolved:
        assert case.closed_at is not None
        s = Slice(case.channel, "", case.topic)
        day = company_day(case.closed_at, zone)
        tally.add(day, s, "cases_resolved")
        tally.add(day, s, "resolution_seconds", max(0.0, (case.closed_at - case.opened_at).total_seconds()))
        closed_at = case.closed_at
        if any(closed_at < opened <= closed_at + window for opened in later.get((case.contact_id, case.topic), ())):
            tally.add(day, s, "cases_reopened")
        switches = _switches(case.channel, channels.get(case.id or 0, ()))
        if switches:
            tally.add(day, s, "cases_switched")
            tally.add(day, s, "channel_switches", float(switches))
    answered = select(Case).where(col(Case.first_response_at) >= start, col(Case.first_response_at) < end)
    for case in session.exec(answered):
        assert case.first_response_at is not None
        wait = max(0.0, (case.first_response_at - case.opened_at).total_seconds())
        day = company_day(case.first_response_at, zone)
        tally.add(day, Slice(case.channel, "", case.topic), "first_response_seconds", wait)


def case_channels(session: Session, cases: Sequence[Case]) -> dict[int, list[str]]:
    """The channel of each interaction of these cases, in the order they happened."""
    ids = [c.id for c in cases if c.id is not None]
    found: dict[int, list[str]] = defaultdict(list)
    for chunk in range(0, len(ids), 1000):
        stmt = (
            sa.select(col(Interaction.case_id), col(Interaction.channel))
            .where(col(Interaction.case_id).in_(ids[chunk : chunk + 1000]))
            .order_by(col(Interaction.case_id), col(Interaction.at), col(Interaction.id))
        )
        for case_id, channel in session.connection().execute(stmt).all():
            found[int(case_id or 0)].append(str(channel))
    return found


def _switches(first: str, channels: Iterable[str]) -> int:
    """How often the channel changed, starting from the channel the case opened on."""
    count, before = 0, first
    for channel in channels:
        if channel != before:
            count += 1
        before = channel
    return count


def _later_cases(
    session: Session, resolved: Sequence[Case], until: dt.datetime
) -> dict[tuple[int | None, str], list[dt.datetime]]:
    """When each contact opened cases, per topic, after the first of these resolutions (for reopening)."""
    known = [c for c in resolved if c.contact_id is not None and c.closed_at is not None]
    if not known:
        return {}
    since = min(c.closed_at for c in known if c.closed_at is not None)
    stmt = sa.select(col(Case.contact_id), col(Case.topic), col(Case.opened_at)).where(
        col(Case.contact_id).is_not(None), col(Case.opened_at) > since, col(Case.opened_at) <= until
    )
    found: dict[tuple[int | None, str], list[dt.datetime]] = defaultdict(list)
    for contact_id, topic, opened in session.connection().execute(stmt).all():
        found[(contact_id, topic)].append(opened)
    return found


@dataclass(frozen=True)
class Term:
    """A question that found no good answer (a content gap) seen in the range."""

    question: str
    locale: str
    channel: str
    count: int
    last_seen: dt.datetime


def no_result_terms(
    session: Session, first: dt.date, last: dt.date, filters: Filters, *, zone: ZoneInfo | None = None, limit: int = 20
) -> list[Term]:
    """The most asked questions with no good answer last seen in the range (counted since first seen)."""
    start, end = day_bounds(first, last, zone or kb.editor_zone())
    stmt = select(kb.ContentGap).where(col(kb.ContentGap.last_seen) >= start, col(kb.ContentGap.last_seen) < end)
    if filters.channel is not None:
        stmt = stmt.where(col(kb.ContentGap.channel) == filters.channel)
    if filters.locale is not None:
        stmt = stmt.where(col(kb.ContentGap.locale) == filters.locale)
    stmt = stmt.order_by(col(kb.ContentGap.count).desc(), col(kb.ContentGap.id)).limit(limit)
    return [Term(g.question, g.locale, g.channel, g.count, g.last_seen) for g in session.exec(stmt)]
