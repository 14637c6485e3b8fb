"""Announcements: outages and planned works that every channel gives first while they last.

An announcement is a content unit like any other, marked `kind: announcement` in its front
matter with the time box `from`/`until` and its audience (`regions`, `segments`;
kb/frontmatter.py). So it is written, reviewed, approved, scheduled, published, translated,
rolled back and audited by the very actions articles are, and nothing here writes anything:
this module only answers the channels' one question, "what is announced now for this
locale, region and segment?" (`announced`), and search's: "which announcements are outside
their time box now?" (`out_of_time`), so that search and answers leave those out.

What is live changes only with the publication log, so the live announcements are read once
per log sequence (one query of the published revisions' front matter) and kept; the time box
is then judged against the caller's `now` on every call, so a notice starts and stops being
given on the minute without anyone publishing.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from kb.events import last_seq
from kb.models import Article, LogEntry, Revision
from kb.translations import default_locale

KIND = "announcement"


@dataclass(frozen=True)
class Announcement:
    """One live announcement in one locale: what it says, when, and to whom."""

    key: str
    locale: str
    title: str
    summary: str
    slug: str
    revision: int
    content_hash: str
    starts: dt.datetime | None  # None: since it went live
    ends: dt.datetime
    regions: tuple[str, ...]  # empty: every region
    segments: tuple[str, ...]  # empty: every client

    def current(self, now: dt.datetime) -> bool:
        """Whether `now` (timezone-aware) is inside the time box: from `starts` (inclusive) to `ends` (exclusive)."""
        return (self.starts is None or self.starts <= now) and not self.over(now)

    def over(self, now: dt.datetime) -> bool:
        """Whether the time box has closed by `now`: from `ends` on, the notice is no longer given."""
        return now >= self.ends

    def reaches(self, *, region: str | None, segments: Collection[str]) -> bool:
        """Whether a client of `region` in `segments` is its audience; an unknown region meets no regional notice."""
        if self.regions and (region is None or region.upper() not in self.regions):
            return False
        return not self.segments or any(s in self.segments for s in segments)


_lock = threading.Lock()
# database URL -> (the log's head, the announcements live at it)
_kept: dict[str, tuple[tuple[int, dt.datetime | None], tuple[Announcement, ...]]] = {}


def live_announcements(*, session: Session) -> tuple[Announcement, ...]:
    """Every live announcement in every locale, read once per publication sequence."""
    store, seq = str(session.get_bind().engine.url), last_seq(session)
    # The head's time too: a store restored or emptied counts its sequence again from 0.
    head = (seq, session.exec(select(LogEntry.at).where(LogEntry.seq == seq)).first())
    with _lock:
        kept = _kept.get(store)
        if kept is not None and kept[0] == head:
            return kept[1]
    rows = session.exec(
        select(Article, Revision.front_matter, Revision.content_hash)
        .join(
            Revision,
            (col(Revision.article_id) == col(Article.id)) & (col(Revision.number) == col(Article.published_revision)),
        )
        .where(col(Article.published_revision).is_not(None))
    ).all()
    found = tuple(
        sorted(
            (a for article, front, digest in rows if (a := _announcement(article, front, digest)) is not None),
            key=lambda a: (a.locale, -(a.starts or a.ends).timestamp(), a.key),
        )
    )
    with _lock:
        _kept[store] = (head, found)
    return found


def announced(
    *,
    session: Session,
    locale: str,
    now: dt.datetime,
    region: str | None = None,
    segments: Sequence[str] = (),
) -> list[Announcement]:
    """What every channel gives first, now, to a client of `locale`, `region` and `segments` (see `choose`)."""
    return choose(live_announcements(session=session), locale=locale, now=now, region=region, segments=segments)


def choose(
    live: Iterable[Announcement],
    *,
    locale: str,
    now: dt.datetime,
    region: str | None = None,
    segments: Sequence[str] = (),
) -> list[Announcement]:
    """Of the `live` announcements, those to give first now to this client; newest first.

    The one decision every channel relies on, apart from reading what is live so that a serving
    process can keep that per publication sequence and judge each request without a query. A
    notice not yet translated into `locale` is given in the default locale (the required one,
    else the first): an outage is told in another language rather than not at all.
    """
    fallback = default_locale()
    chosen: dict[str, Announcement] = {}
    for a in live:
        if not a.current(now) or not a.reaches(region=region, segments=segments):
            continue
        if a.locale == locale or (a.locale == fallback and a.key not in chosen):
            chosen[a.key] = a
    return sorted(chosen.values(), key=lambda a: (-(a.starts or a.ends).timestamp(), a.key))


def out_of_time(live: Iterable[Announcement], now: dt.datetime) -> frozenset[str]:
    """The `locale/key` of each live announcement whose time box does not hold `now` (`Announcement.current`).

    Its page is published, yet before its `from` and after its `until` search does not find it
    and the answer engine does not answer with it: the notice is not news yet, or no longer.
    Nobody has to unpublish it on the minute; the same judgement as the notices', at query time.
    """
    return frozenset(f"{a.locale}/{a.key}" for a in live if not a.current(now))


def _announcement(article: Article, front: Mapping[str, Any], digest: str) -> Announcement | None:
    if front.get("kind") != KIND or not front.get("until"):
        return None
    starts = front.get("from")
    return Announcement(
        key=article.key,
        locale=article.locale,
        title=article.title,
        summary=str(front.get("summary") or article.title),
        slug=article.slug,
        revision=article.published_revision or 0,
        content_hash=digest,
        starts=dt.datetime.fromisoformat(starts) if starts else None,
        ends=dt.datetime.fromisoformat(str(front["until"])),
        regions=tuple(front.get("regions") or ()),
        segments=tuple(front.get("segments") or ()),
    )
