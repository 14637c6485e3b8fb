"""Insights figures against an independent count of a seeded history, on SQLite and PostgreSQL.

The history goes through the real functions (`contacts.record_interaction`, `kb.record_vote`);
anonymous answers, and the times of cases and votes in the past, are written to the rows
directly, since no function takes them. The expected figures are counted here in plain
Python over the generated events, not with insights' code or SQL.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import select

import contacts
import insights
import kb
from tests.helpers import article, save

KYIV = ZoneInfo("Europe/Kyiv")
CHANNELS = ("chat", "ivr", "telegram", "sms")
ARTICLES = (("top-up", "en", "billing"), ("roaming", "en", "roaming"), ("top-up", "uk", "billing"))
OPENS = {"handoff", "escalated"}
DAYS = 9


@pytest.fixture(autouse=True)
def _kyiv(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ISTOK_TIMEZONE", "Europe/Kyiv")
    monkeypatch.delenv("ISTOK_INSIGHTS_FOLLOW_UP_HOURS", raising=False)
    yield


@dataclass
class Event:
    index: int
    contact: int | None  # index into the generated contacts; None: anonymous
    channel: str
    at: dt.datetime
    direction: str
    outcome: str
    served: tuple[str, str, str] | None  # key, locale, category
    topic: str | None
    csat: int | None
    nps: int | None = None
    agent_reply: bool = False  # a desk agent's reply (direction out), the case's first response


@dataclass
class SimCase:
    contact: int
    channel: str
    topic: str
    opened: dt.datetime
    closed: dt.datetime | None = None
    first_response: dt.datetime | None = None
    channels: list[str] = field(default_factory=list)


@dataclass
class Vote:
    key: str
    locale: str
    category: str
    revision: int
    helpful: bool
    reason: str | None
    at: dt.datetime


def _publish(engine: sa.Engine) -> dict[tuple[str, str], int]:
    revisions = {}
    for key, locale, category in ARTICLES:
        saved = save(engine, article(key=key, locale=locale, title=f"{key} {locale}", category=category))
        revisions[(key, locale)] = saved.revision.number
        with kb.write_session(engine) as s:
            kb.publish(session=s, article=kb.get_article(session=s, key=key, locale=locale), revision=None, actor="t")
    return revisions


def _events(rng: random.Random, now: dt.datetime, people: int) -> list[Event]:
    start = now - dt.timedelta(days=DAYS)
    span = int((now - start).total_seconds()) - 60
    events = []
    for _ in range(320):
        outcome = rng.choices(["answered", "handoff", "escalated", "resolved", "abandoned"], [50, 15, 5, 15, 15])[0]
        served = rng.choice(ARTICLES) if outcome == "answered" and rng.random() < 0.8 else None
        topic = None if served else rng.choice(["billing", "roaming", None])
        events.append(
            Event(
                index=0,
                contact=None if rng.random() < 0.15 else rng.randrange(people),
                channel=rng.choice(CHANNELS),
                at=start + dt.timedelta(seconds=rng.randrange(span)),
                direction="out" if rng.random() < 0.1 else "in",
                outcome=outcome,
                served=served,
                topic=topic,
                csat=rng.randint(1, 5) if rng.random() < 0.3 else None,
                nps=rng.randint(0, 10) if rng.random() < 0.25 else None,
            )
        )
    # A desk agent answers some handoffs a few minutes to hours later (on whatever channel the desk is).
    for e in [e for e in events if e.outcome in OPENS and e.contact is not None and rng.random() < 0.5]:
        at = min(e.at + dt.timedelta(seconds=rng.randrange(60, 4 * 3600)), now - dt.timedelta(seconds=30))
        reply = Event(0, e.contact, rng.choice(CHANNELS), at, "out", "answered", None, None, None, agent_reply=True)
        events.append(reply)
    # Planted: a case resolved and opened again on its topic 5 h later (reopened), and 30 h later (not).
    for who, hours in ((0, 5), (1, 30)):
        t0 = now - dt.timedelta(days=4, seconds=rng.randrange(3600))
        for offset, outcome in ((0, "handoff"), (1, "resolved"), (1 + hours, "handoff")):
            at = t0 + dt.timedelta(hours=offset)
            events.append(Event(0, who, "chat", at, "in", outcome, None, "planted", None))
    events.sort(key=lambda e: e.at)
    for i, e in enumerate(events):
        e.index = i
    return events


def _record(engine: sa.Engine, events: list[Event], revisions: dict[tuple[str, str], int], people: int) -> None:
    with kb.write_session(engine) as s:
        folks = [contacts.create_contact(session=s) for _ in range(people)]
        for e in events:
            ref = contacts.ArticleRef(e.served[0], e.served[1], revisions[e.served[:2]]) if e.served else None
            if e.contact is None:  # an anonymous widget answer: no contact, so no function records it
                s.add(
                    contacts.Interaction(
                        contact_id=None,
                        channel=e.channel,
                        direction=e.direction,
                        at=e.at,
                        article_key=ref.key if ref else None,
                        article_locale=ref.locale if ref else None,
                        article_revision=ref.revision if ref else None,
                        topic=e.served[2] if e.served else e.topic,
                        outcome=e.outcome,
                        csat=e.csat,
                        nps=e.nps,
                    )
                )
                s.flush()
                continue
            contacts.record_interaction(
                session=s,
                contact=folks[e.contact],
                channel=e.channel,
                outcome=e.outcome,
                article=ref,
                topic=e.topic,
                direction=e.direction,
                csat=e.csat,
                nps=e.nps,
                agent_reply=e.agent_reply,
                at=e.at,
            )
        s.flush()


def _votes(
    engine: sa.Engine, rng: random.Random, now: dt.datetime, revisions: dict[tuple[str, str], int]
) -> list[Vote]:
    out = []
    with kb.write_session(engine) as s:
        for n in range(70):
            key, locale, category = rng.choice(ARTICLES)
            helpful = rng.random() < 0.6
            reason = None if helpful else rng.choice([None, "wrong", "unclear", "incomplete"])
            at = now - dt.timedelta(seconds=rng.randrange(DAYS * 86400))
            vote = kb.record_vote(
                session=s,
                key=key,
                locale=locale,
                revision=revisions[(key, locale)],
                helpful=helpful,
                voter=f"voter-{n}",
                reason=reason,
            )
            vote.at = at  # record_vote stamps the clock; the history is in the past
            s.add(vote)
            out.append(Vote(key, locale, category, revisions[(key, locale)], helpful, reason, at))
    return out


def _simulate_cases(events: list[Event]) -> list[SimCase]:
    """Cases as contacts' rules make them: one open case per contact and topic."""
    cases: list[SimCase] = []
    open_: dict[tuple[int, str], SimCase] = {}
    for e in events:
        if e.contact is None:
            continue
        topic = (e.served[2] if e.served else e.topic) or ("general" if e.outcome in OPENS else None)
        if topic is None:
            if e.agent_reply:  # no topic: it answers every open case of the contact still waiting
                waiting = [c for c in open_.values() if c.contact == e.contact and c.first_response is None]
                for c in waiting:
                    c.first_response = e.at
                if waiting:
                    max(waiting, key=cases.index).channels.append(e.channel)
            continue
        case = open_.get((e.contact, topic))
        if case is None and e.outcome in OPENS:
            case = SimCase(e.contact, e.channel, topic, e.at)
            cases.append(case)
            open_[(e.contact, topic)] = case
        if case is not None:
            case.channels.append(e.channel)
        if case is not None and e.outcome == "resolved":
            case.closed = e.at
            del open_[(e.contact, topic)]
    return cases


def _switches(case: SimCase) -> int:
    return sum(a != b for a, b in zip([case.channel, *case.channels], case.channels, strict=False))


def _falsely_deflected(e: Event, events: list[Event]) -> bool:
    return any(
        o.contact == e.contact
        and o.index > e.index
        and o.at - e.at <= dt.timedelta(hours=24)
        and (o.direction == "in" or o.outcome in OPENS)
        for o in events
    )


def _expected(
    events: list[Event], votes: list[Vote], cases: list[SimCase], channel: str | None = None
) -> dict[str, object]:
    evs = [e for e in events if channel is None or e.channel == channel]
    asked = [e for e in evs if e.direction == "in"]
    answers = [e for e in asked if e.outcome == "answered"]
    known = [e for e in answers if e.contact is not None]
    false = [e for e in known if _falsely_deflected(e, events)]
    scores = [e.csat for e in evs if e.csat is not None]
    nps = [e.nps for e in evs if e.nps is not None]
    vs = [] if channel else votes
    reasons: dict[str, int] = defaultdict(int)
    for v in vs:
        if not v.helpful and v.reason:
            reasons[v.reason] += 1
    cs = [c for c in cases if channel is None or c.channel == channel]
    closed = [c for c in cs if c.closed is not None]
    responded = [c for c in cs if c.first_response is not None]
    waits = [(c.first_response - c.opened).total_seconds() for c in responded if c.first_response]
    reopened = [
        c
        for c in closed
        if any(
            o.contact == c.contact and o.topic == c.topic and c.closed < o.opened <= c.closed + dt.timedelta(hours=24)
            for o in cases
            if c.closed is not None
        )
    ]
    return {
        "questions": len(asked),
        "answered": len(answers),
        "handed_off": sum(e.outcome in OPENS for e in asked),
        "answers": len(answers),
        "known": len(known),
        "false_deflected": len(false),
        "helpful": sum(v.helpful for v in vs),
        "not_helpful": sum(not v.helpful for v in vs),
        "reasons": dict(sorted(reasons.items())),
        "cases_opened": len(cs),
        "cases_resolved": len(closed),
        "cases_reopened": len(reopened),
        "resolution_hours": sum((c.closed - c.opened).total_seconds() for c in closed if c.closed) / 3600 / len(closed),
        "csat": sum(scores) / len(scores),
        "satisfied": sum(s >= 4 for s in scores),
        "scored": len(scores),
        "nps": round((sum(n >= 9 for n in nps) - sum(n <= 6 for n in nps)) / len(nps) * 100, 2),
        "nps_scored": len(nps),
        "promoters": sum(n >= 9 for n in nps),
        "responded": len(responded),
        "first_response_hours": sum(waits) / 3600 / len(waits),
        "cases_switched": sum(_switches(c) > 0 for c in closed),
        "channel_switches": sum(_switches(c) for c in closed),
    }


def _check(f: insights.Figures, want: dict[str, object]) -> None:
    assert f.questions == want["questions"] and f.answered == want["answered"]
    assert f.handed_off == want["handed_off"]
    assert f.self_service == insights.Measure(round(f.answered / f.questions, 4), f.questions)
    assert f.answers == want["answers"] and f.followable.items == want["answers"]
    assert f.false_deflection.items == want["known"] and f.false_deflected == want["false_deflected"]
    assert f.helpful == want["helpful"] and f.not_helpful == want["not_helpful"]
    assert f.reasons == want["reasons"]
    assert f.cases_opened == want["cases_opened"] and f.cases_resolved == want["cases_resolved"]
    assert f.resolution_hours.items == want["cases_resolved"] and f.cases_reopened == want["cases_reopened"]
    assert f.resolution_hours.value == pytest.approx(want["resolution_hours"], abs=1e-3)
    assert f.csat.items == want["scored"] and f.csat.value == pytest.approx(want["csat"], abs=1e-3)
    assert f.csat_satisfied.value == pytest.approx(int(str(want["satisfied"])) / int(str(want["scored"])), abs=1e-3)
    assert f.nps == insights.Measure(want["nps"], want["nps_scored"])  # type: ignore[arg-type]
    assert f.nps_promoters == want["promoters"]
    assert f.first_response_hours.items == want["responded"]
    assert f.first_response_hours.value == pytest.approx(want["first_response_hours"], abs=1e-3)
    assert (f.cases_switched, f.channel_switches) == (want["cases_switched"], want["channel_switches"])


def test_every_figure_matches_an_independent_count_and_roll_ups_agree_with_live(engine: sa.Engine) -> None:
    rng = random.Random(18)
    now = kb.utcnow().replace(microsecond=0)
    revisions = _publish(engine)
    events = _events(rng, now, people=15)
    _record(engine, events, revisions, people=15)
    votes = _votes(engine, rng, now, revisions)
    cases = _simulate_cases(events)
    want = _expected(events, votes, cases)
    assert 0 < int(str(want["false_deflected"])) < int(str(want["known"])) < int(str(want["answers"]))
    assert 0 < int(str(want["cases_reopened"])) < int(str(want["cases_resolved"]))
    assert 0 < int(str(want["responded"])) < int(str(want["cases_opened"]))
    assert 0 < int(str(want["cases_switched"])) < int(str(want["channel_switches"]))
    assert 0 < int(str(want["promoters"])) < int(str(want["nps_scored"]))
    span = insights.parse_range(f"{DAYS + 2}d")

    # Each filter makes a query read another roll-up level (coarse without the article, without
    # the channel, or the daily table): after the roll-up every one still says what live did.
    narrowed = [
        insights.Filters(channel="chat"),
        insights.Filters(locale="uk"),
        insights.Filters(category="billing"),
        insights.Filters(channel="sms", category="roaming"),
        insights.Filters(channel="chat", locale="en", category="billing"),
    ]
    with kb.read_session(engine) as s:
        live = insights.summary(s, span)
        live_days = insights.daily(s, span)
        chat = insights.summary(s, span, insights.Filters(channel="chat"))
        live_narrowed = [(insights.summary(s, span, f), insights.daily(s, span, f)) for f in narrowed]
    assert all(got.totals.questions and got.by_article for got, _ in live_narrowed)  # nothing compared empty
    _check(live.totals, want)
    _check(chat.totals, _expected(events, votes, cases, channel="chat"))
    assert {g.name for g in live.by_channel} == set(CHANNELS)
    uk = next(g for g in live.by_locale if g.name == "uk").figures
    assert uk.answered == sum(
        e.outcome == "answered" and e.direction == "in" and e.served == ARTICLES[2] for e in events
    )
    assert uk.helpful == sum(v.helpful and v.locale == "uk" for v in votes)

    per_day: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for e in events:
        per_day[e.at.astimezone(KYIV).date().isoformat()][0] += e.direction == "in"
    for v in votes:
        per_day[v.at.astimezone(KYIV).date().isoformat()][1] += v.helpful
    for c in cases:
        per_day[c.opened.astimezone(KYIV).date().isoformat()][2] += 1
    got = {g.name: [g.figures.questions, g.figures.helpful, g.figures.cases_opened] for g in live_days}
    assert {d: v for d, v in got.items() if any(v)} == dict(per_day)

    with kb.write_session(engine) as s:
        built = insights.roll_up(s)
    today = now.astimezone(KYIV).date()
    assert built is not None and built[1] == today - dt.timedelta(days=1)
    with kb.read_session(engine) as s:
        assert insights.built_days(s, span.first, span.last) >= {today - dt.timedelta(days=n) for n in range(1, DAYS)}
        assert insights.summary(s, span) == live
        assert insights.daily(s, span) == live_days
        assert insights.summary(s, span, insights.Filters(channel="chat")) == chat
        assert [(insights.summary(s, span, f), insights.daily(s, span, f)) for f in narrowed] == live_narrowed
        coarse = s.exec(select(insights.CoarseRollup).where(insights.CoarseRollup.metric == "asked")).all()
    levels = {"channel_locale", "channel_category", "article"}
    assert {r.level for r in coarse} == levels
    asked = sum(e.direction == "in" and e.at.astimezone(KYIV).date() < today for e in events)
    for level in levels:  # each level holds every question of the past days once
        assert sum(r.value for r in coarse if r.level == level) == asked > 0

    # Past days are read from the table: a raw row removed after the roll-up leaves them as they were.
    yesterday = insights.parse_range("1d", (today - dt.timedelta(days=2)).isoformat())
    with kb.write_session(engine) as s:
        start = dt.datetime.combine(yesterday.first, dt.time(12), tzinfo=KYIV)
        victim = s.exec(
            select(contacts.Interaction).where(contacts.Interaction.at >= start).order_by(contacts.Interaction.at)
        ).first()
        assert victim is not None and victim.at.astimezone(KYIV).date() == yesterday.first
        s.delete(victim)
    with kb.read_session(engine) as s:
        rolled = insights.summary(s, yesterday).totals
        fresh = insights.figures_of(insights.live_counters(s, yesterday.first, yesterday.last))
    assert rolled != fresh and rolled.questions + rolled.answered + rolled.cases_opened > 0


def _one(engine: sa.Engine, at: dt.datetime, **kw: object) -> contacts.Interaction:
    with kb.write_session(engine) as s:
        who = kw.pop("contact", None) or contacts.create_contact(session=s)
        assert isinstance(who, contacts.Contact)
        return contacts.record_interaction(session=s, contact=who, at=at, **kw)  # type: ignore[arg-type]


def test_a_day_is_the_companys_day_not_utc(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    late = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)  # 01:30 on 1 December in Kyiv
    _one(engine, late, channel="chat", outcome="answered")
    nov30, dec1 = dt.date(2026, 11, 30), dt.date(2026, 12, 1)
    with kb.read_session(engine) as s:
        assert insights.figures_of(insights.live_counters(s, dec1, dec1)).questions == 1
        assert insights.figures_of(insights.live_counters(s, nov30, nov30)).questions == 0
        assert insights.company_day(late, KYIV) == dec1
    monkeypatch.setenv("ISTOK_TIMEZONE", "UTC")
    with kb.read_session(engine) as s:
        assert insights.figures_of(insights.live_counters(s, nov30, nov30)).questions == 1
        assert insights.figures_of(insights.live_counters(s, dec1, dec1)).questions == 0


def test_false_deflection_is_a_return_within_the_window_on_any_channel(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    t0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    day, next_day = dt.date(2026, 11, 20), dt.date(2026, 11, 21)
    with kb.write_session(engine) as s:
        back, gone, called, late = (contacts.create_contact(session=s) for _ in range(4))
    _one(engine, t0, contact=back, channel="chat", outcome="answered")
    _one(engine, t0 + dt.timedelta(hours=23), contact=back, channel="sms", outcome="answered")  # asked again
    _one(engine, t0, contact=gone, channel="chat", outcome="answered")
    _one(engine, t0, contact=called, channel="telegram", outcome="answered")
    _one(engine, t0 + dt.timedelta(hours=2), contact=called, channel="ivr", outcome="handoff", direction="out")
    _one(engine, t0, contact=late, channel="chat", outcome="answered")
    _one(engine, t0 + dt.timedelta(hours=25), contact=late, channel="chat", outcome="answered")
    with kb.write_session(engine) as s:  # an anonymous answer: cannot be followed
        s.add(contacts.Interaction(contact_id=None, channel="chat", at=t0, outcome="answered"))
    with kb.read_session(engine) as s:
        f = insights.figures_of(insights.live_counters(s, day, next_day))
    assert (f.answers, f.false_deflected) == (7, 2)  # back's first answer and called's; not gone, late, anonymous
    assert f.false_deflection == insights.Measure(round(2 / 6, 4), 6)
    assert f.followable == insights.Measure(round(6 / 7, 4), 7)
    monkeypatch.setenv("ISTOK_INSIGHTS_FOLLOW_UP_HOURS", "1")
    with kb.read_session(engine) as s:
        assert insights.figures_of(insights.live_counters(s, day, next_day)).false_deflected == 0
    monkeypatch.setenv("ISTOK_INSIGHTS_FOLLOW_UP_HOURS", "soon")
    with pytest.raises(insights.InsightsError, match="ISTOK_INSIGHTS_FOLLOW_UP_HOURS"), kb.read_session(engine) as s:
        insights.live_counters(s, day, day)


def test_the_job_runner_rolls_up_once_and_comes_back_in_an_hour(engine: sa.Engine) -> None:
    now = kb.utcnow()
    _one(engine, now - dt.timedelta(days=3), channel="chat", outcome="answered")
    with kb.write_session(engine) as s:
        kb.enqueue_job(s, insights.JOB, dedupe=f"every:{insights.JOB}")
    assert kb.run_due_jobs(engine, worker="a") == 1
    assert kb.run_due_jobs(engine, worker="b") == 0  # the next run is an hour away, for every replica
    with kb.read_session(engine) as s:
        rows = s.exec(select(insights.DailyRollup).where(insights.DailyRollup.metric == "asked")).all()
        jobs = s.exec(select(kb.Job).where(kb.Job.kind == insights.JOB, kb.Job.state == "queued")).all()
    assert [(r.channel, r.value) for r in rows] == [("chat", 1.0)]
    assert len(jobs) == 1 and jobs[0].due_at > now + dt.timedelta(minutes=59)


def test_a_range_is_days_or_dates_and_nonsense_is_refused() -> None:
    r = insights.parse_range("30d", "2026-12-02")
    assert (r.first, r.last, r.zone) == (dt.date(2026, 11, 3), dt.date(2026, 12, 2), "Europe/Kyiv")
    assert insights.parse_range("2026-11-01", "2026-11-01").first == dt.date(2026, 11, 1)
    for since, until in (("0d", None), ("yesterday", None), ("2026-12-03", "2026-12-02")):
        with pytest.raises(insights.InsightsError):
            insights.parse_range(since, until)


def test_today_is_read_from_its_partial_roll_up_and_counted_live_after_the_cutoff(engine: sa.Engine) -> None:
    now = kb.utcnow()
    zone = kb.editor_zone()
    start = dt.datetime.combine(insights.company_day(now, zone), dt.time.min, tzinfo=zone)
    early = max(start.astimezone(dt.UTC) + dt.timedelta(seconds=1), now - dt.timedelta(minutes=30))
    before = _one(engine, early, channel="chat", outcome="answered")
    with kb.write_session(engine) as s:
        cutoff = insights.rebuild_today(s)
    after = now + dt.timedelta(seconds=1)  # after the cutoff: only the live part can see it
    _one(engine, after, channel="sms", outcome="handoff")
    with kb.write_session(engine) as s:  # a raw row before the cutoff removed: the partial roll-up still has it
        s.delete(s.get(contacts.Interaction, before.id))
    today = insights.parse_range("1d")
    with kb.read_session(engine) as s:
        got = insights.summary(s, today)
        per_day = insights.daily(s, today)
    assert cutoff <= after and got.totals.questions == 2 and got.totals.handed_off == 1
    assert {g.name for g in got.by_channel} == {"chat", "sms"}
    assert [g.figures.questions for g in per_day] == [2]
