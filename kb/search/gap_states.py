"""What editors decide about content gaps: dismiss a question, or merge several into one, and the list.

A decision is about a question (its folded form, locale and channel), not about one row: the
anonymous row and every contact's row of it (kb/search/gaps.py) fall under it alike, and so
do rows written after the decision. A dismissed question therefore stays dismissed however
often it is asked again, until an editor restores it (the list with `dismissed=True` shows it,
its count still growing); a question merged into another keeps being counted, under the main one.

Merging moves no text: the merged questions' rows stay where they are, their counts add up
under the main question and their latest wordings are listed as its examples, so erasing a
contact still finds its words by contact id. A decision keeps the folded question, so when
erasure leaves a question with no row at all, `forget_states` drops the decision too, handing
a group's lead to a question that is still asked; nothing of an erased client stays behind.
The audit rows and events of these actions name gaps by id, never by their text, for the same reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from kb.audit import Actor, record_action
from kb.errors import InvalidChange, NotFound
from kb.models import ContentGap, ContentGapState, utcnow
from kb.types import ChannelName, Locale

#: A question: its folded form, locale and channel.
QuestionKey = tuple[str, str, str]


class GapNotFound(NotFound):
    slug = "gap-not-found"

    def __init__(self, gap_id: int) -> None:
        super().__init__(f"no content gap {gap_id}")
        self.gap_id = gap_id


@dataclass(frozen=True, slots=True)
class GapGroup:
    """One question as editors see it: all its rows added up, with the questions merged into it.

    `id` is a row of the main question; every action given it acts on the whole group.
    `examples` are the latest wordings of the questions merged into this one, most asked first.
    """

    id: int
    normalised: str
    question: str
    locale: str
    channel: str
    count: int
    best_key: str | None
    best_confidence: float | None
    first_seen: dt.datetime
    last_seen: dt.datetime
    examples: tuple[str, ...] = ()
    dismissed_at: dt.datetime | None = None
    dismissed_by: str | None = None


def list_gaps(
    *,
    session: Session,
    locale: Locale | None = None,
    channel: ChannelName | None = None,
    dismissed: bool = False,
    limit: int = 100,
) -> list[GapGroup]:
    """Content gaps, most frequent first, then most recent; one per group, whoever asked.

    Without `dismissed` the dismissed groups are left out; with it only they are listed.
    A merged group is listed under its main question's locale and channel. The result names no contact.
    """
    t = ContentGap.__table__  # type: ignore[attr-defined]
    q = _questions()
    per, main_key, dismissed_at = q.per, q.main_key, q.dismissed_at
    total = sa.func.sum(per.c.total).label("total")
    last = sa.func.max(per.c["last"]).label("last")
    folded = (
        sa.select(
            *(k.label(n) for k, n in zip(main_key, ("n", "l", "c"), strict=True)),
            total,
            sa.func.min(per.c.first).label("first"),
            last,
            sa.func.max(dismissed_at).label("dismissed_at"),
            sa.func.max(q.dismissed_by).label("dismissed_by"),
        )
        .select_from(q.joined)
        .group_by(*main_key)
        .having(sa.func.max(dismissed_at).is_not(None) if dismissed else sa.func.max(dismissed_at).is_(None))
    )
    if locale:
        folded = folded.where(main_key[1] == locale)
    if channel:
        folded = folded.where(main_key[2] == channel)
    heads = session.execute(folded.order_by(total.desc(), last.desc(), *main_key).limit(limit)).all()
    if not heads:
        return []
    again = _questions()
    per2, main2 = again.per, again.main_key
    latest = (
        sa.select(t, *(k.label(f"main_{n}") for k, n in zip(main2, "nlc", strict=True)))
        .select_from(
            again.joined.join(
                t,
                sa.and_(
                    t.c.normalised == per2.c.normalised,
                    t.c.locale == per2.c.locale,
                    t.c.channel == per2.c.channel,
                    t.c.last_seen == per2.c["last"],
                ),
            )
        )
        .where(sa.tuple_(*main2).in_([(h.n, h.l, h.c) for h in heads]))
        .order_by(per2.c.total.desc(), t.c.id.desc())
    )
    members: dict[QuestionKey, dict[QuestionKey, sa.Row[tuple[object, ...]]]] = {}
    for row in session.execute(latest):
        group = members.setdefault((row.main_n, row.main_l, row.main_c), {})
        group.setdefault((row.normalised, row.locale, row.channel), row)  # the newest row of each question
    found: list[GapGroup] = []
    for head in heads:
        rows = members.get((head.n, head.l, head.c))
        if not rows:
            continue
        lead = rows.get((head.n, head.l, head.c)) or next(iter(rows.values()))
        found.append(
            GapGroup(
                id=int(lead.id),
                normalised=head.n,
                question=str(lead.question),
                locale=head.l,
                channel=head.c,
                count=int(head.total),
                best_key=lead.best_key,
                best_confidence=lead.best_confidence,
                first_seen=head.first,
                last_seen=head.last,
                examples=tuple(str(r.question) for r in rows.values() if r is not lead),
                dismissed_at=head.dismissed_at,
                dismissed_by=head.dismissed_by,
            )
        )
    return found


@dataclass(frozen=True)
class _Questions:
    per: sa.Subquery
    main_key: tuple[sa.ColumnElement[str], sa.ColumnElement[str], sa.ColumnElement[str]]
    joined: sa.FromClause
    dismissed_at: sa.ColumnElement[dt.datetime | None]
    dismissed_by: sa.ColumnElement[str | None]


def _questions() -> _Questions:
    """Each question's rows added up, joined to its decision and to its group's main question's.

    Built afresh for each use, so a query can hold it twice without the aliases meeting.
    """
    t = ContentGap.__table__  # type: ignore[attr-defined]
    states = ContentGapState.__table__  # type: ignore[attr-defined]
    per = (
        sa.select(
            t.c.normalised,
            t.c.locale,
            t.c.channel,
            sa.func.sum(t.c["count"]).label("total"),
            sa.func.min(t.c.first_seen).label("first"),
            sa.func.max(t.c.last_seen).label("last"),
        )
        .group_by(t.c.normalised, t.c.locale, t.c.channel)
        .subquery("per")
    )
    own, main = states.alias("own"), states.alias("main")
    joined = per.outerjoin(
        own, sa.and_(own.c.normalised == per.c.normalised, own.c.locale == per.c.locale, own.c.channel == per.c.channel)
    ).outerjoin(main, main.c.id == own.c.merged_into)
    main_key = (
        sa.func.coalesce(main.c.normalised, per.c.normalised),
        sa.func.coalesce(main.c.locale, per.c.locale),
        sa.func.coalesce(main.c.channel, per.c.channel),
    )
    merged = main.c.id.is_not(None)
    dismissed_at = sa.case((merged, main.c.dismissed_at), else_=own.c.dismissed_at)
    dismissed_by = sa.case((merged, main.c.dismissed_by), else_=own.c.dismissed_by)
    return _Questions(per, main_key, joined, dismissed_at, dismissed_by)


def dismiss_gap(*, session: Session, gap_id: int, actor: Actor | str) -> ContentGapState:
    """Hide a gap's group from the list; later occurrences of its questions stay hidden too."""
    main = _main_state(session, gap_id)
    if main.dismissed_at is not None:
        raise InvalidChange(f"content gap {gap_id} is dismissed already")
    who = actor.name if isinstance(actor, Actor) else actor
    main.dismissed_at, main.dismissed_by, main.changed_at = utcnow(), who[:200], utcnow()
    session.add(main)
    session.flush()
    record_action(session, actor, action="gap.dismiss", target=f"gaps/{gap_id}", gap=gap_id, locale=main.locale)
    return main


def restore_gap(*, session: Session, gap_id: int, actor: Actor | str) -> ContentGapState:
    """List a dismissed gap's group again."""
    main = _main_state(session, gap_id)
    if main.dismissed_at is None:
        raise InvalidChange(f"content gap {gap_id} is not dismissed")
    main.dismissed_at, main.dismissed_by, main.changed_at = None, None, utcnow()
    session.add(main)
    session.flush()
    record_action(session, actor, action="gap.restore", target=f"gaps/{gap_id}", gap=gap_id, locale=main.locale)
    return main


def merge_gaps(*, session: Session, into: int, gap_ids: Sequence[int], actor: Actor | str) -> ContentGapState:
    """Make the groups of `gap_ids` part of the group of `into`: one entry, counts summed, wordings kept.

    Only gaps of one locale merge (an article answers in one). A merged group's own members
    move with it, so every group keeps one level: members point at their main question.
    Whether the result is dismissed is the main group's state.
    """
    main = _main_state(session, into)
    others: dict[int, ContentGapState] = {}
    for gap_id in gap_ids:
        if gap_id == into:
            continue
        other = _main_state(session, gap_id)
        if other.locale != main.locale:
            raise InvalidChange(
                f"content gap {gap_id} is in locale {other.locale!r}, gap {into} in {main.locale!r}; "
                "only gaps of one locale can be merged"
            )
        if other.id != main.id:
            others[other.id or 0] = other
    if not others:
        raise InvalidChange("nothing to merge: name at least one other gap, not already in this group")
    now = utcnow()
    moved = 0
    for other in others.values():
        members = session.exec(select(ContentGapState).where(ContentGapState.merged_into == other.id)).all()
        for state in (*members, other):
            state.merged_into, state.dismissed_at, state.dismissed_by, state.changed_at = main.id, None, None, now
            session.add(state)
            moved += 1
    main.changed_at = now
    session.add(main)
    session.flush()
    merged = sorted(g for g in gap_ids if g != into)
    record_action(
        session,
        actor,
        action="gap.merge",
        target=f"gaps/{into}",
        gap=into,
        merged=merged,
        questions=moved,
        locale=main.locale,
    )
    return main


def forget_states(*, session: Session) -> int:
    """Erasure's second step: drop the decisions about questions no row is left of; returns how many.

    A main question that is gone hands its group (and its dismissal) to the first of its members
    still asked, so the group lives on under a question somebody else asked.
    """
    t = ContentGap.__table__  # type: ignore[attr-defined]
    asked = (
        sa.select(t.c.id)
        .where(
            t.c.normalised == col(ContentGapState.normalised),
            t.c.locale == col(ContentGapState.locale),
            t.c.channel == col(ContentGapState.channel),
        )
        .exists()
    )
    gone = list(session.exec(select(ContentGapState).where(~asked)).all())
    if not gone:
        return 0
    ids = {g.id for g in gone}
    for lead in (g for g in gone if g.merged_into is None):
        members = session.exec(
            select(ContentGapState).where(ContentGapState.merged_into == lead.id).order_by(col(ContentGapState.id))
        ).all()
        heirs = [m for m in members if m.id not in ids]
        if heirs:
            heir = heirs[0]
            heir.merged_into, heir.dismissed_at, heir.dismissed_by = None, lead.dismissed_at, lead.dismissed_by
            session.add(heir)
            session.flush()
            for member in heirs[1:]:
                member.merged_into = heir.id
                session.add(member)
    for state in gone:
        state.merged_into = None
        session.add(state)
    session.flush()
    for state in gone:
        session.delete(state)
    session.flush()
    return len(gone)


def _main_state(session: Session, gap_id: int) -> ContentGapState:
    """The decision row of the main question of the group the gap row `gap_id` belongs to, made if missing."""
    row = session.get(ContentGap, gap_id)
    if row is None:
        raise GapNotFound(gap_id)
    state = session.exec(
        select(ContentGapState).where(
            ContentGapState.normalised == row.normalised,
            ContentGapState.locale == row.locale,
            ContentGapState.channel == row.channel,
        )
    ).first()
    if state is None:
        state = ContentGapState(normalised=row.normalised, locale=row.locale, channel=row.channel)
        session.add(state)
        session.flush()
        return state
    if state.merged_into is not None:
        main = session.get(ContentGapState, state.merged_into)
        if main is not None:
            return main
    return state
