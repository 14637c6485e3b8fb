"""Article verification: someone checks a live article is still true, and rules say how often.

`content/verification.yaml` gives an interval per category, and a `default`:

    default:
      every: 180d
    categories:
      billing:
        every: 90d

(`Nd` days or `Nw` weeks). The folder is ISTOK_VERIFICATION_RULES (default `content/`), read
when first needed and again whenever the file changes; a broken file is a `ContentError` naming
the file and line. With no file there are no intervals, and only `review_by` makes articles due.

`verify` is a kb action (`article.verify`, audited, with its outbox event) that records who checked
which live revision (and its content hash) when, with a note. It makes no revision: nothing in the
text changed, and "what did we tell this client on 3 March?" must keep the same answer.

An article is `due` when:

* its category's interval has passed since its last verification, or, never verified, since it
  first went live. Publishing a new revision does not count as a verification and does not restart
  the clock: an edit is not a check that the rest of the article is still true. A verification that
  covered an older revision still counts, and the queue says the live text changed since
  (`changed_since`), so the owner knows to read it all again.
* the live revision's `review_by` date has come (today or earlier, as the admin list's badge says)
  and nobody verified it on or after that day: a verification is the review `review_by` asks for.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlmodel import Session, col, select

from kb.audit import Actor, record_action
from kb.errors import ContentError, ContentProblem, InvalidChange
from kb.models import Article, ArticleVerification, LogEntry, Revision, utcnow

ROOT = Path(__file__).resolve().parent.parent
FILE_NAME = "verification.yaml"
#: Longest note a verification keeps.
NOTE_MAX = 2000
_EVERY = re.compile(r"^\s*(\d{1,4})\s*([dw])\s*$")


@dataclass(frozen=True)
class VerificationRules:
    """How often an article must be verified: per category, else `default`; None means never by time."""

    default: dt.timedelta | None = None
    categories: tuple[tuple[str, dt.timedelta], ...] = ()

    def every(self, category: str | None) -> dt.timedelta | None:
        for name, interval in self.categories:
            if name == category:
                return interval
        return self.default


class DueReason(StrEnum):
    INTERVAL = "interval"  # the rule's interval passed since the last verification (or first publication)
    REVIEW_BY = "review_by"  # the live revision's review_by date came


@dataclass(frozen=True)
class Reason:
    """One reason an article is due, since when, in words an owner reads."""

    kind: DueReason
    since: dt.datetime
    detail: str


@dataclass(frozen=True)
class DueArticle:
    """An article in the owners' queue: why it is due and since when (its earliest reason)."""

    article: Article
    owner: str
    reasons: tuple[Reason, ...]
    last_verification: ArticleVerification | None
    changed_since: bool  # the live content is not what the last verification checked

    @property
    def since(self) -> dt.datetime:
        return min(r.since for r in self.reasons)


def rules_dir() -> Path:
    """ISTOK_VERIFICATION_RULES (default `content/`): the folder holding verification.yaml."""
    return Path(os.environ.get("ISTOK_VERIFICATION_RULES", str(ROOT / "content"))).resolve()


_lock = threading.Lock()
_cache: dict[Path, tuple[float, VerificationRules]] = {}


def load_rules(folder: Path | None = None) -> VerificationRules:
    """The rules in `folder` (default: `rules_dir()`), re-read when the file's mtime changes."""
    path = (folder or rules_dir()) / FILE_NAME
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return VerificationRules()
    with _lock:
        hit = _cache.get(path)
        if hit is not None and hit[0] == mtime:
            return hit[1]
    built = parse_rules(path.read_text(encoding="utf-8"), file=str(path))
    with _lock:
        _cache[path] = (mtime, built)
    return built


def parse_rules(text: str, *, file: str) -> VerificationRules:
    """Parse the YAML text; every problem found is reported with its line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ContentError([ContentProblem(file, mark.line + 1 if mark else 0, str(exc))]) from exc
    problems: list[ContentProblem] = []

    def problem(node: yaml.Node, message: str) -> None:
        problems.append(ContentProblem(file, node.start_mark.line + 1, message))

    default: dt.timedelta | None = None
    categories: list[tuple[str, dt.timedelta]] = []
    if root is None:
        return VerificationRules()
    if not isinstance(root, yaml.MappingNode):
        raise ContentError(
            [ContentProblem(file, root.start_mark.line + 1, "expected a mapping with `default` and `categories`")]
        )
    for key_node, value in root.value:
        name = key_node.value
        if name == "default":
            default = _every(value, "default", problem)
        elif name == "categories":
            if not isinstance(value, yaml.MappingNode):
                problem(value, "`categories` must map each category to `every: …`")
                continue
            seen: set[str] = set()
            for cat_node, rule in value.value:
                category = str(cat_node.value)
                if category in seen:
                    problem(cat_node, f"category {category!r} is given twice")
                seen.add(category)
                interval = _every(rule, f"category {category!r}", problem)
                if interval is not None:
                    categories.append((category, interval))
        else:
            problem(key_node, f"unknown key {name!r}: expected `default` or `categories`")
    if problems:
        raise ContentError(problems)
    return VerificationRules(default=default, categories=tuple(categories))


def _every(node: yaml.Node, what: str, problem: Any) -> dt.timedelta | None:
    if not isinstance(node, yaml.MappingNode):
        problem(node, f"{what} must be a mapping like `every: 90d`")
        return None
    interval: dt.timedelta | None = None
    for key_node, value in node.value:
        if key_node.value != "every":
            problem(key_node, f"{what}: unknown key {key_node.value!r}; only `every` is known")
            continue
        found = _EVERY.match(str(value.value)) if isinstance(value, yaml.ScalarNode) else None
        if found is None or int(found.group(1)) == 0:
            problem(value, f"{what}: `every` must be a number of days or weeks such as 90d or 12w")
            continue
        count = int(found.group(1))
        interval = dt.timedelta(days=count * (7 if found.group(2) == "w" else 1))
    if not any(k.value == "every" for k, _ in node.value):
        problem(node, f"{what} names no `every`")
    return interval


def verify(
    session: Session,
    article: Article,
    actor: Actor | str,
    note: str = "",
    *,
    now: dt.datetime | None = None,
) -> ArticleVerification:
    """Record that the live revision was checked and is still true; audited, no new revision."""
    live = article.published_revision
    if live is None:
        raise InvalidChange(f"{article.key!r} ({article.locale}) is not live: there is nothing to verify")
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise InvalidChange(f"the note is {len(note)} characters; at most {NOTE_MAX}")
    revision = session.exec(select(Revision).where(Revision.article_id == article.id, Revision.number == live)).one()
    who = actor if isinstance(actor, Actor) else Actor(name=actor)
    row = ArticleVerification(
        locale=article.locale,
        key=article.key,
        revision=live,
        content_hash=revision.content_hash,
        verified_by=who.name,
        verified_at=now or utcnow(),
        note=note,
    )
    session.add(row)
    record_action(
        session,
        actor,
        action="article.verify",
        target=f"{article.locale}/{article.key}",
        base_revision=live,
        new_revision=live,
        content_hash=revision.content_hash,
        note=note,
    )
    session.flush()
    return row


def last_verification(session: Session, article: Article) -> ArticleVerification | None:
    """The most recent verification of the article, whichever revision it covered."""
    stmt = (
        select(ArticleVerification)
        .where(ArticleVerification.locale == article.locale, ArticleVerification.key == article.key)
        .order_by(col(ArticleVerification.id).desc())
        .limit(1)
    )
    return session.exec(stmt).first()


def due(
    session: Session,
    owner: str | None = None,
    locale: str | None = None,
    *,
    now: dt.datetime | None = None,
    rules: VerificationRules | None = None,
    article: Article | None = None,
) -> list[DueArticle]:
    """Live articles that must be verified now, most overdue first (see the module's docstring).

    `owner` matches the live revision's `owner` in any case; `article` asks about that one only.
    """
    now = now or utcnow()
    rules = rules if rules is not None else load_rules()
    on_live = (col(Revision.article_id) == col(Article.id)) & (col(Revision.number) == col(Article.published_revision))
    stmt = select(Article, Revision).join(Revision, on_live).where(col(Article.published_revision).is_not(None))
    if locale:
        stmt = stmt.where(Article.locale == locale)
    if article is not None:
        stmt = stmt.where(Article.id == article.id)
    rows = list(session.exec(stmt.order_by(col(Article.key), col(Article.locale))))
    wanted = (owner or "").strip().casefold()
    if wanted:
        rows = [(a, r) for a, r in rows if str(r.front_matter.get("owner") or "").strip().casefold() == wanted]
    if not rows:
        return []
    last = _last_verifications(session, locale)
    first_live = _first_publications(session, [a.id or 0 for a, _ in rows])
    found: list[DueArticle] = []
    for art, rev in rows:
        seen = last.get((art.locale, art.key))
        reasons = _reasons(art, rev, seen, first_live.get(art.id or 0), rules, now)
        if reasons:
            found.append(
                DueArticle(
                    article=art,
                    owner=str(rev.front_matter.get("owner") or ""),
                    reasons=tuple(reasons),
                    last_verification=seen,
                    changed_since=seen is not None and seen.content_hash != rev.content_hash,
                )
            )
    found.sort(key=lambda d: (d.since, d.article.key, d.article.locale))
    return found


def _reasons(
    art: Article,
    rev: Revision,
    seen: ArticleVerification | None,
    first_live: dt.datetime | None,
    rules: VerificationRules,
    now: dt.datetime,
) -> list[Reason]:
    reasons: list[Reason] = []
    every = rules.every(art.category)
    start = seen.verified_at if seen is not None else first_live
    if every is not None and start is not None and start + every <= now:
        what = f"last verified {start:%Y-%m-%d}" if seen is not None else f"live since {start:%Y-%m-%d}, never verified"
        rule = f"category {art.category}" if art.category else "default"
        reasons.append(
            Reason(DueReason.INTERVAL, start + every, f"{what}; the {rule} rule asks every {every.days} days")
        )
    review_by = _date(rev.front_matter.get("review_by"))
    if review_by is not None and review_by <= now.date() and (seen is None or seen.verified_at.date() < review_by):
        since = dt.datetime.combine(review_by, dt.time(), tzinfo=dt.UTC)
        reasons.append(Reason(DueReason.REVIEW_BY, since, f"review_by {review_by.isoformat()} has come"))
    return reasons


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _last_verifications(session: Session, locale: str | None) -> dict[tuple[str, str], ArticleVerification]:
    latest = sa.select(sa.func.max(col(ArticleVerification.id))).group_by(
        col(ArticleVerification.locale), col(ArticleVerification.key)
    )
    if locale:
        latest = latest.where(col(ArticleVerification.locale) == locale)
    stmt = select(ArticleVerification).where(col(ArticleVerification.id).in_(latest.scalar_subquery()))
    return {(v.locale, v.key): v for v in session.exec(stmt)}


def _first_publications(session: Session, article_ids: list[int]) -> dict[int, dt.datetime]:
    out: dict[int, dt.datetime] = {}
    for start in range(0, len(article_ids), 500):
        chunk = article_ids[start : start + 500]
        stmt = (
            sa.select(col(LogEntry.article_id), sa.func.min(col(LogEntry.at)))
            .where(col(LogEntry.article_id).in_(chunk), col(LogEntry.revision).is_not(None))
            .group_by(col(LogEntry.article_id))
        )
        for article_id, at in session.execute(stmt):
            if at is not None:
                out[int(article_id)] = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return out
