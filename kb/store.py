"""Articles and revisions: the one path every door (API, CLI, importer, admin) calls.

Every change names the revision it was based on. The draft pointer only moves with
a conditional UPDATE (`WHERE draft_revision = base`), so of two writers from the same
base exactly one moves it and the other gets RevisionConflict with nothing written.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from kb import events, rights, translations, workflows
from kb.assets import asset_sizes
from kb.audit import Actor, as_actor, record_action
from kb.content import image_problems, normalise_source, parse_source, unknown_facts
from kb.errors import (
    ArticleNotFound,
    ContentError,
    ContentProblem,
    InvalidChange,
    RevisionConflict,
    RevisionNotFound,
)
from kb.facts import fact_keys
from kb.frontmatter import split_source
from kb.models import Article, LogEntry, Revision, RevisionFact, utcnow
from kb.tree import Unit
from kb.types import ArticleKey, ArticleStatus, Locale, LogKind


@dataclass(frozen=True)
class SaveResult:
    article: Article
    revision: Revision
    created: bool  # a new revision was written (False: the content was unchanged)


def get_article(*, session: Session, key: ArticleKey, locale: Locale) -> Article:
    article = session.exec(select(Article).where(Article.key == key, Article.locale == locale)).first()
    if article is None:
        raise ArticleNotFound(key, locale)
    return article


def find_article(*, session: Session, key: ArticleKey, locale: Locale) -> Article | None:
    return session.exec(select(Article).where(Article.key == key, Article.locale == locale)).first()


def get_revision(*, session: Session, article: Article, number: int) -> Revision:
    rev = session.exec(select(Revision).where(Revision.article_id == article.id, Revision.number == number)).first()
    if rev is None:
        raise RevisionNotFound(article.key, article.locale, number)
    return rev


def load_unit_of(*, session: Session, key: ArticleKey, locale: Locale, number: int) -> Unit:
    """The parsed unit of one revision, read with a single query (the hot path of answering)."""
    row = session.exec(
        select(Revision.source, Revision.content_hash)
        .join(Article, col(Article.id) == col(Revision.article_id))
        .where(Article.key == key, Article.locale == locale, Revision.number == number)
    ).first()
    if row is None:
        raise RevisionNotFound(key, locale, number)
    return parse_source(row[0], file=f"revision {number}", digest=row[1])


def load_unit(revision: Revision) -> Unit:
    """The parsed tree of a revision (shared through the content-hash cache)."""
    return parse_source(revision.source, file=f"revision {revision.number}", digest=revision.content_hash)


def save_draft(
    *,
    session: Session,
    source: str,
    base_revision: int | None,
    actor: Actor | str,
    message: str = "",
    file: str = "<source>",
    known_facts: Collection[str] | None = None,
    article: Article | None = None,
    translated_from: int | None = None,
) -> SaveResult:
    """Store `source` as the article's newest revision, creating the article if new.

    `translated_from` is the editor's word that this translation now follows that revision of
    its key's source locale (kb.translations); without it the revision keeps what it followed.

    `base_revision` is the draft revision the editor started from (None or 0 when
    creating). Content identical to the current draft writes no revision (the attempt
    is still audited). `known_facts` and `article` let a bulk caller skip per-call lookups.
    The audit row `article.save` is written here, in the caller's transaction, so every
    caller is audited alike and a refused save (stale base) leaves no row.
    """
    saved = _save_draft(
        session=session,
        source=source,
        base_revision=base_revision,
        actor=as_actor(actor).name,
        message=message,
        file=file,
        known_facts=known_facts,
        article=article,
        translated_from=translated_from,
        rights_of=as_actor(actor),
    )
    record_action(
        session,
        actor,
        action="article.save",
        target=f"{saved.article.locale}/{saved.article.key}",
        base_revision=base_revision,
        new_revision=saved.revision.number,
        created=saved.created,
        **({"translated_from": translated_from} if translated_from is not None else {}),
    )
    return saved


def _save_draft(
    *,
    session: Session,
    source: str,
    base_revision: int | None,
    actor: str,
    message: str,
    file: str,
    known_facts: Collection[str] | None,
    article: Article | None,
    translated_from: int | None = None,
    rights_of: Actor | None = None,
) -> SaveResult:
    source = normalise_source(source)
    unit = parse_source(source, file=file)
    if rights_of is not None:  # the new text's category and locale must be within the actor's rights
        _check_rights(rights_of, "save", category=unit.category, locale=unit.locale)
    facts = fact_keys(session=session) if known_facts is None else known_facts
    problems = unknown_facts(source, facts, file=file)
    problems += image_problems(unit, source, asset_sizes(session=session, ids=unit.assets), file=file)
    if problems:
        raise ContentError(problems)
    if article is None:
        article = find_article(session=session, key=unit.key, locale=unit.locale)
    if rights_of is not None and article is not None:  # and so must the category it leaves
        _check_rights(rights_of, "save", category=article.category, locale=article.locale)
    follows = translations.record_for(session, key=unit.key, locale=unit.locale, article=article, claim=translated_from)
    if article is None:
        if base_revision not in (None, 0):
            raise ArticleNotFound(unit.key, unit.locale)
        return _create(session, unit=unit, source=source, actor=actor, message=message, file=file, follows=follows)
    if base_revision != article.draft_revision:
        raise RevisionConflict(
            f"article {article.key!r} ({article.locale})", base=base_revision, current=article.draft_revision
        )
    current = get_revision(session=session, article=article, number=article.draft_revision)
    if current.content_hash == unit.content_hash:
        if translated_from is not None and follows != _follows(current):
            current.translated_from_locale, current.translated_from_revision = follows or (None, None)
            session.add(current)  # brought up to date without a change of text: the record moves, no revision
        return SaveResult(article=article, revision=current, created=False)
    _check_slug_free(session, unit=unit, article_id=article.id, file=file)
    number = article.draft_revision + 1
    moved = session.execute(
        sa.update(Article)
        .where(col(Article.id) == article.id, col(Article.draft_revision) == base_revision)
        .values(
            draft_revision=number,
            title=unit.title,
            slug=unit.slug,
            category=unit.category,
            tags=list(unit.tags),
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise RevisionConflict(f"article {article.key!r} ({article.locale})", base=base_revision, current=None)
    session.refresh(article)
    revision = _add_revision(
        session, article=article, number=number, unit=unit, source=source, actor=actor, message=message, follows=follows
    )
    return SaveResult(article=article, revision=revision, created=True)


def _check_rights(actor: Actor | str, action: str, *, category: str | None, locale: str) -> None:
    who = as_actor(actor)
    rights.check(who.rights, who=who.name, action=action, category=category, locale=locale)


def _follows(revision: Revision) -> tuple[str, int] | None:
    if revision.translated_from_locale is None or revision.translated_from_revision is None:
        return None
    return (revision.translated_from_locale, revision.translated_from_revision)


def _create(
    session: Session,
    *,
    unit: Unit,
    source: str,
    actor: str,
    message: str,
    file: str,
    follows: tuple[str, int] | None,
) -> SaveResult:
    _check_slug_free(session, unit=unit, article_id=None, file=file)
    article = Article(
        key=unit.key,
        locale=unit.locale,
        slug=unit.slug,
        title=unit.title,
        category=unit.category,
        tags=list(unit.tags),
        draft_revision=1,
    )
    session.add(article)
    try:
        with session.begin_nested():
            session.flush()
    except sa.exc.IntegrityError:
        # Another writer created the same (key, locale) between our look and our write.
        raise RevisionConflict(f"article {unit.key!r} ({unit.locale})", base=None, current=1) from None
    revision = _add_revision(
        session,
        article=article,
        number=1,
        unit=unit,
        source=source,
        actor=actor,
        message=message or "created",
        follows=follows,
    )
    return SaveResult(article=article, revision=revision, created=True)


def _check_slug_free(session: Session, *, unit: Unit, article_id: int | None, file: str) -> None:
    other = session.exec(select(Article).where(Article.locale == unit.locale, Article.slug == unit.slug)).first()
    if other is not None and other.id != article_id:
        raise ContentError(
            [ContentProblem(file, 1, f"slug {unit.slug!r} is already used by article {other.key!r} ({unit.locale})")]
        )


def _add_revision(
    session: Session,
    *,
    article: Article,
    number: int,
    unit: Unit,
    source: str,
    actor: str,
    message: str,
    follows: tuple[str, int] | None = None,
) -> Revision:
    front = split_source(source, file="<stored>").front
    revision = Revision(
        article_id=article.id or 0,
        number=number,
        source=source,
        front_matter=json.loads(json.dumps(front.to_yaml_data() | {"status": front.status.value}, default=str)),
        content_hash=unit.content_hash,
        author=actor,
        message=message,
        translated_from_locale=follows[0] if follows else None,
        translated_from_revision=follows[1] if follows else None,
    )
    session.add(revision)
    session.flush()
    for key in sorted(unit.facts):
        session.add(RevisionFact(revision_id=revision.id or 0, fact_key=key))
    return revision


def publish(
    *,
    session: Session,
    article: Article,
    revision: int | None = None,
    actor: Actor | str,
    known_facts: Collection[str] | None = None,
    emergency: bool = False,
) -> LogEntry | None:
    """Make `revision` (default: the latest draft) the live one; None if it already is.

    Writes its `article.publish` audit row (from the live revision before to the one
    after) in the same transaction, whoever calls. A revision its category's workflow wants
    reviewed needs its approvals, unless an actor allowed to publish directly says `emergency`
    (kb/workflows.py; the audit row then says `emergency: true`).
    """
    _check_rights(actor, "publish", category=article.category, locale=article.locale)
    before = article.published_revision
    required = translations.unpublished_required(session, article.key, article.locale)
    if required is not None:
        raise InvalidChange(f"{article.key!r} must be live in {required} before it goes live in {article.locale}")
    number = article.draft_revision if revision is None else revision
    review: dict[str, object] = {}
    if article.published_revision != number:
        review = workflows.publication_check(session, article, number, actor, emergency=emergency)
    entry = _publish(
        session=session,
        article=article,
        revision=revision,
        actor=as_actor(actor).name,
        kind=LogKind.PUBLISH,
        known_facts=known_facts,
    )
    _audit_publication(session, actor, "article.publish", article, before, **review)
    return entry


def _audit_publication(
    session: Session, actor: Actor | str, action: str, article: Article, before: int | None, **detail: object
) -> None:
    record_action(
        session,
        actor,
        action=action,
        target=f"{article.locale}/{article.key}",
        base_revision=before,
        new_revision=article.published_revision,
        **detail,
    )


def _publish(
    *,
    session: Session,
    article: Article,
    revision: int | None,
    actor: str,
    kind: LogKind,
    known_facts: Collection[str] | None,
) -> LogEntry | None:
    number = article.draft_revision if revision is None else revision
    rev = get_revision(session=session, article=article, number=number)
    if article.published_revision == number and kind is LogKind.PUBLISH:
        return None
    known = fact_keys(session=session) if known_facts is None else known_facts
    used = session.exec(select(RevisionFact.fact_key).where(RevisionFact.revision_id == rev.id))
    unknown = set(used) - set(known)
    if unknown:
        raise InvalidChange(
            f"revision {number} of {article.key!r} ({article.locale}) uses unknown facts: {', '.join(sorted(unknown))}"
        )
    session.execute(
        sa.update(Article)
        .where(col(Article.id) == article.id)
        .values(published_revision=number, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.refresh(article)
    return events.append(
        session, kind=kind, actor=actor, article=article, revision=number, content_hash=rev.content_hash
    )


def publish_all(*, session: Session, actor: Actor | str, locale: Locale | None = None) -> int:
    """Publish the latest draft of every article whose draft is not live; returns how many.

    Audited like `publish`: one `article.publish` row per article that went live.
    """
    stmt = select(Article).where(
        sa.or_(
            col(Article.published_revision).is_(None), col(Article.published_revision) != col(Article.draft_revision)
        )
    )
    if locale:
        stmt = stmt.where(Article.locale == locale)
    return publish_many(session=session, articles=list(session.exec(stmt)), actor=actor)


def publish_many(
    *, session: Session, articles: Sequence[Article], actor: Actor | str, known_facts: Collection[str] | None = None
) -> int:
    """Publish many articles' latest drafts with a few statements instead of a few per article.

    The same rules as `publish` (no unknown facts, one log entry per change, gap-free
    sequence), for imports and bulk publishing; returns how many went live. Each article
    that goes live gets the same `article.publish` audit row `publish` writes, so the audit
    log answers "who published this, when" alike however it went live: an import writes a
    row per article anyway (its saves), and a summary row could not be found by target.
    A bulk publish is a direct publish: a draft its workflow wants reviewed and that lacks
    its approvals goes live only for an actor allowed to publish directly, audited
    `emergency: true` (kb/workflows.py), and otherwise the whole call is refused.
    """
    targets = sorted((a for a in articles if a.published_revision != a.draft_revision), key=lambda a: a.id or 0)
    if not targets:
        return 0
    for a in targets:
        _check_rights(actor, "publish", category=a.category, locale=a.locale)
    _check_required_first(session, targets)
    reviews = {
        a.id or 0: workflows.publication_check(session, a, a.draft_revision, actor, emergency=True) for a in targets
    }
    known = set(fact_keys(session=session) if known_facts is None else known_facts)
    drafts: dict[int, tuple[int, str]] = {}  # article id -> (draft revision id, content hash)
    for chunk in _chunks([a.id or 0 for a in targets]):
        on_draft = (col(Article.id) == col(Revision.article_id)) & (col(Article.draft_revision) == col(Revision.number))
        rows = session.execute(
            sa.select(col(Revision.article_id), col(Revision.id), col(Revision.content_hash))
            .join(Article, on_draft)
            .where(col(Revision.article_id).in_(chunk))
        ).all()
        drafts.update({art_id: (rev_id, digest) for art_id, rev_id, digest in rows})
        used = session.execute(
            sa.select(col(RevisionFact.fact_key)).where(
                col(RevisionFact.revision_id).in_([drafts[i][0] for i in chunk])
            )
        ).scalars()
        unknown = set(used) - known
        if unknown:
            raise InvalidChange(f"drafts use unknown facts: {', '.join(sorted(unknown))}")
    first = events.reserve_seqs(session, len(targets))
    now = utcnow()
    entries = [
        {
            "seq": first + i,
            "kind": LogKind.PUBLISH.value,
            "article_id": a.id,
            "key": a.key,
            "locale": a.locale,
            "revision": a.draft_revision,
            "content_hash": drafts[a.id or 0][1],
            "actor": as_actor(actor).name,
            "at": now,
        }
        for i, a in enumerate(targets)
    ]
    session.execute(sa.insert(LogEntry), entries)
    for a in targets:
        target = f"{a.locale}/{a.key}"
        record_action(
            session,
            actor,
            action="article.publish",
            target=target,
            base_revision=a.published_revision,
            new_revision=a.draft_revision,
            **reviews[a.id or 0],
        )
    for chunk in _chunks([a.id or 0 for a in targets]):
        session.execute(
            sa.update(Article)
            .where(col(Article.id).in_(chunk))
            .values(published_revision=col(Article.draft_revision), updated_at=now)
            .execution_options(synchronize_session=False)
        )
    for a in targets:
        session.expire(a)
    return len(targets)


def _check_required_first(session: Session, targets: Sequence[Article]) -> None:
    """Refuse a bulk publish that would put a key live elsewhere before the required locale (kb.translations)."""
    required = translations.required_locale()
    if required is None:
        return
    going = {a.key for a in targets if a.locale == required}
    waiting = [a for a in targets if a.locale != required and a.key not in going]
    early = sorted(
        f"{a.key} ({a.locale})" for a in waiting if translations.unpublished_required(session, a.key, a.locale)
    )
    if early:
        shown = ", ".join(early[:10]) + (f" and {len(early) - 10} more" if len(early) > 10 else "")
        raise InvalidChange(f"these must be live in {required} before they go live elsewhere: {shown}")


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def unpublish(*, session: Session, article: Article, actor: Actor | str) -> LogEntry | None:
    """Take the article off every public channel; None if it was not live.

    Audited as `article.unpublish` in the same transaction, changed or not.
    """
    _check_rights(actor, "unpublish", category=article.category, locale=article.locale)
    before = article.published_revision
    if before is None:
        _audit_publication(session, actor, "article.unpublish", article, before)
        return None
    session.execute(
        sa.update(Article)
        .where(col(Article.id) == article.id)
        .values(published_revision=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.refresh(article)
    entry = events.append(session, kind=LogKind.UNPUBLISH, actor=as_actor(actor).name, article=article)
    _audit_publication(session, actor, "article.unpublish", article, before)
    return entry


def rollback(
    *,
    session: Session,
    article: Article,
    to_revision: int,
    base_revision: int | None,
    actor: Actor | str,
    message: str = "",
    emergency: bool = False,
) -> LogEntry:
    """Publish an old revision's content again, as a new revision on top of history.

    One audit row, `article.rollback` (not a save and a publish), in the same transaction.
    Its workflow applies: the old text needs its approvals (or to have gone live as an
    emergency), else the emergency path (kb/workflows.py `rollback_check`).
    """
    name = as_actor(actor).name
    _check_rights(actor, "roll back", category=article.category, locale=article.locale)
    before = article.published_revision
    old = get_revision(session=session, article=article, number=to_revision)
    review = workflows.rollback_check(session, article, to_revision, actor, emergency=emergency)
    if base_revision != article.draft_revision:
        raise RevisionConflict(
            f"article {article.key!r} ({article.locale})", base=base_revision, current=article.draft_revision
        )
    source = old.source
    current = get_revision(session=session, article=article, number=article.draft_revision)
    if current.source == source:  # content already equal: republish it, no new revision
        number = current.number
    else:
        saved = _save_draft(
            session=session,
            source=source,
            base_revision=base_revision,
            actor=name,
            message=message or f"rollback to revision {to_revision}",
            file="<source>",
            known_facts=None,
            article=article,
            rights_of=as_actor(actor),
        )
        number = saved.revision.number
    entry = _publish(
        session=session, article=article, revision=number, actor=name, kind=LogKind.ROLLBACK, known_facts=None
    )
    assert entry is not None
    _audit_publication(session, actor, "article.rollback", article, before, to=to_revision, **review)
    return entry


def history(*, session: Session, article: Article) -> list[Revision]:
    stmt = select(Revision).where(Revision.article_id == article.id).order_by(col(Revision.number))
    return list(session.exec(stmt))


def diff(*, session: Session, article: Article, from_revision: int, to_revision: int) -> str:
    """A unified diff of two revisions' sources, as editors and reviewers read it."""
    a = get_revision(session=session, article=article, number=from_revision)
    b = get_revision(session=session, article=article, number=to_revision)
    name = f"{article.locale}/{article.key}"
    return "".join(
        difflib.unified_diff(
            a.source.splitlines(keepends=True),
            b.source.splitlines(keepends=True),
            fromfile=f"{name}@{from_revision}",
            tofile=f"{name}@{to_revision}",
        )
    )


def published_at(*, session: Session, article: Article, at: dt.datetime) -> Revision | None:
    """The revision that was live at instant `at` (None if nothing was)."""
    if at.tzinfo is None:
        raise InvalidChange("give the instant with a time zone, e.g. 2026-03-03T12:00:00Z")
    entry = session.exec(
        select(LogEntry)
        .where(LogEntry.article_id == article.id, col(LogEntry.at) <= at)
        .order_by(col(LogEntry.seq).desc())
        .limit(1)
    ).first()
    if entry is None or entry.revision is None:
        return None
    return get_revision(session=session, article=article, number=entry.revision)


def status_of(article: Article) -> ArticleStatus:
    return ArticleStatus.DRAFT if article.published_revision is None else ArticleStatus.PUBLISHED


def list_articles(
    *,
    session: Session,
    locale: Locale | None = None,
    category: str | None = None,
    status: ArticleStatus | None = None,
    after_id: int = 0,
    limit: int | None = None,
) -> list[Article]:
    """Articles in id order, filtered; `after_id` pages through them."""
    stmt = select(Article).where(col(Article.id) > after_id).order_by(col(Article.id))
    if locale:
        stmt = stmt.where(Article.locale == locale)
    if category:
        stmt = stmt.where(Article.category == category)
    if status is ArticleStatus.PUBLISHED:
        stmt = stmt.where(col(Article.published_revision).is_not(None))
    elif status is ArticleStatus.DRAFT:
        stmt = stmt.where(col(Article.published_revision).is_(None))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.exec(stmt))


def counts_by_locale(*, session: Session) -> dict[str, dict[str, int]]:
    """Per locale: how many articles, and how many are published."""
    rows = session.execute(
        sa.select(
            col(Article.locale),
            sa.func.count(),
            sa.func.count(col(Article.published_revision)),
        ).group_by(Article.locale)
    ).all()
    return {loc: {"articles": int(n), "published": int(p)} for loc, n, p in rows}
