"""Search terms and the results opened from them: which terms' results nobody opened.

A term whose results nobody opens is a search that found articles but not the answer: the
titles did not look like it, or the words are the client's and not ours. Both surfaces that
search count: the public help center (its results page, and the result link a reader follows)
and the operator's panel (its search, and the article card opened from a hit).

Counting is per company day, surface and locale, never per person, so nothing here can be
traced back to a reader. The term is masked (`kb.mask_personal`: no phone, card or document
number is kept, as for content gaps) and folded (`kb.clean_question`) so its wordings add up.
One upsert per search or open. The panel searches as the operator types, so there a term that
is the beginning of a longer term searched the same day is a step of typing, not a search, and
is not listed; the help center counts only searches submitted to its results page.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

import kb
from insights.figures import Filters, company_day
from insights.models import SearchTerm

SURFACES = ("help", "panel")
TERM_MAX = 200


@dataclass(frozen=True)
class UnopenedTerm:
    """A term searched with results in the range, none of which was opened from it."""

    term: str
    locale: str
    surface: str
    searches: int


def record_search(session: Session, *, surface: str, locale: str, term: str, opened: bool = False) -> bool:
    """Count a search (or, `opened`, a result opened from it) of today; False when there is no term."""
    if surface not in SURFACES:
        raise ValueError(f"surface is one of {', '.join(SURFACES)}, not {surface!r}")
    masked = kb.mask_personal(term.replace("\x00", ""))[:TERM_MAX]
    normalised = kb.clean_question(masked)[:TERM_MAX]
    if not normalised:
        return False
    day = company_day(kb.utcnow(), kb.editor_zone())
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table: sa.Table = SearchTerm.__table__  # type: ignore[attr-defined]
    stmt = dialect.insert(table).values(
        day=day,
        surface=surface,
        locale=locale[:16],
        normalised=normalised,
        term=" ".join(masked.split()),
        searches=0 if opened else 1,
        opens=1 if opened else 0,
    )
    counted = {"opens": table.c.opens + stmt.excluded.opens}
    if not opened:
        counted = {"searches": table.c.searches + stmt.excluded.searches, "term": stmt.excluded.term}
    session.execute(stmt.on_conflict_do_update(index_elements=["day", "surface", "locale", "normalised"], set_=counted))
    return True


def unopened_terms(
    session: Session,
    first: dt.date,
    last: dt.date,
    filters: Filters,
    *,
    limit: int = 20,
) -> list[UnopenedTerm]:
    """Terms searched in `first`..`last` whose results nobody opened, most searched first.

    `filters.channel` narrows to a surface (`help` or `panel`); `filters.locale` to a locale.
    """
    t = SearchTerm
    where = [col(t.day) >= first, col(t.day) <= last]
    if filters.channel is not None:
        where.append(col(t.surface) == filters.channel)
    if filters.locale is not None:
        where.append(col(t.locale) == filters.locale)
    searches = sa.func.sum(col(t.searches))
    stmt = (
        sa.select(col(t.surface), col(t.locale), col(t.normalised), sa.func.max(col(t.term)), searches)
        .where(*where)
        .group_by(col(t.surface), col(t.locale), col(t.normalised))
        .having(sa.func.sum(col(t.opens)) == 0, searches > 0)
        .order_by(searches.desc(), col(t.surface), col(t.locale), col(t.normalised))
        .limit(limit * 5)  # room for the typing steps left out below
    )
    rows = [
        (str(s), str(lo), str(n), str(w), int(k or 0)) for s, lo, n, w, k in session.connection().execute(stmt).all()
    ]
    typed = _typing_steps(session, [(lo, n) for s, lo, n, _, _ in rows if s == "panel"], first, last)
    found = [UnopenedTerm(term, lo, s, k) for s, lo, n, term, k in rows if not (s == "panel" and (lo, n) in typed)]
    found.sort(key=lambda u: (-u.searches, u.surface, u.locale, u.term))
    return found[:limit]


def _typing_steps(
    session: Session, candidates: list[tuple[str, str]], first: dt.date, last: dt.date
) -> set[tuple[str, str]]:
    """The panel terms among `candidates` that began a longer term searched the same day and locale."""
    if not candidates:
        return set()
    t = SearchTerm
    in_range = [col(t.surface) == "panel", col(t.day) >= first, col(t.day) <= last]
    longer = sa.or_(
        *[
            sa.and_(col(t.locale) == lo, col(t.normalised).startswith(n, autoescape=True), col(t.normalised) != n)
            for lo, n in candidates
        ]
    )
    stmt = sa.select(col(t.day), col(t.locale), col(t.normalised)).where(*in_range, longer)
    extended: dict[tuple[object, str], list[str]] = defaultdict(list)
    for day, locale, normalised in session.connection().execute(stmt).all():
        extended[(day, str(locale))].append(str(normalised))
    if not extended:
        return set()
    mine = sa.select(col(t.day), col(t.locale), col(t.normalised)).where(
        *in_range, sa.tuple_(col(t.locale), col(t.normalised)).in_(candidates)
    )
    steps: set[tuple[str, str]] = set()
    for day, locale, normalised in session.connection().execute(mine).all():
        term = str(normalised)
        if any(other != term and other.startswith(term) for other in extended.get((day, str(locale)), ())):
            steps.add((str(locale), term))
    return steps
