"""Articles over HTTP: read, save drafts, publish, roll back, and their history."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Request, Response

import kb
from api.deps import EditorKey, ReaderKey, actor_of, reading, writing
from api.http.errors_doc import responses
from api.http.etags import base_version, conditional, etag
from api.schemas import (
    MAX_INT32,
    ArticleIn,
    ArticleOut,
    ArticlePage,
    ArticleSummary,
    DiffOut,
    PublicationOut,
    PublishIn,
    RevisionOut,
    RevisionSummary,
    RollbackIn,
)

router = APIRouter(prefix="/api/v1/articles", tags=["articles"], responses=responses(401, 403, 404, 422))

LocalePath = Annotated[str, Path(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$", examples=["ru"])]
KeyPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,127}$", examples=["check-balance"])]
ETAG_PREFIX = "r"


def _summary(article: kb.Article) -> ArticleSummary:
    return ArticleSummary(
        key=article.key,
        locale=article.locale,
        title=article.title,
        slug=article.slug,
        category=article.category,
        tags=list(article.tags),
        status=kb.status_of(article).value,
        draft_revision=article.draft_revision,
        published_revision=article.published_revision,
        updated_at=article.updated_at,
    )


def _out(article: kb.Article, revision: kb.Revision, as_of: dt.datetime | None = None) -> ArticleOut:
    return ArticleOut(
        **_summary(article).model_dump(),
        source=revision.source,
        source_revision=revision.number,
        content_hash=revision.content_hash,
        as_of=as_of,
    )


def _set_etag(response: Response, article: kb.Article) -> None:
    response.headers["ETag"] = etag(ETAG_PREFIX, article.draft_revision)


@router.get("", response_model=ArticlePage, summary="List articles")
def list_articles(
    _who: ReaderKey,
    locale: Annotated[str | None, Query(max_length=16)] = None,
    category: Annotated[str | None, Query(max_length=128)] = None,
    status: kb.ArticleStatus | None = None,
    cursor: Annotated[str | None, Query(pattern=r"^\d{1,18}$", description="`next` from the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ArticlePage:
    """Articles in a stable order, a page at a time."""
    with reading() as session:
        rows = kb.list_articles(
            session=session,
            locale=locale,
            category=category,
            status=status,
            after_id=min(int(cursor or 0), MAX_INT32),  # past every id there can be: an empty page
            limit=limit + 1,
        )
        page = rows[:limit]
        more = len(rows) > limit
        return ArticlePage(items=[_summary(a) for a in page], next=str(page[-1].id) if more and page else None)


@router.get("/{locale}/{key}", response_model=ArticleOut, summary="Read an article with its draft source")
def get_article(
    locale: LocalePath,
    key: KeyPath,
    _who: ReaderKey,
    response: Response,
    as_of: Annotated[dt.datetime | None, Query(description="Show what was live at this instant instead")] = None,
) -> ArticleOut:
    """The draft's whole source and both pointers; the ETag is what a PUT must send back."""
    with reading() as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        _set_etag(response, article)
        if as_of is None:
            return _out(article, kb.get_revision(session=session, article=article, number=article.draft_revision))
        at = as_of if as_of.tzinfo else as_of.replace(tzinfo=dt.UTC)
        live = kb.published_at(session=session, article=article, at=at)
        if live is None:
            raise kb.NotFound(f"{locale}/{key} was not published at {at.isoformat()}")
        return _out(article, live, as_of=at)


@router.put(
    "/{locale}/{key}",
    response_model=ArticleOut,
    summary="Create an article or save a new draft revision",
    responses=responses(412, 413, 428) | {201: {"model": ArticleOut, "description": "Created"}},
    openapi_extra=conditional(creates=True),
)
def put_article(
    locale: LocalePath,
    key: KeyPath,
    body: ArticleIn,
    request: Request,
    response: Response,
    who: EditorKey,
) -> ArticleOut:
    """Needs `If-Match: <ETag>` to change (`If-None-Match: *` to create); a stale ETag gets 412."""
    with writing() as session:
        unit = kb.parse_source(body.source, file=f"{locale}/{key}")
        if (unit.key, unit.locale) != (key, locale):
            raise kb.InvalidChange(f"the source says {unit.locale}/{unit.key} but the URL says {locale}/{key}")
        existing = kb.find_article(session=session, key=key, locale=locale)
        what = f"article {key!r} ({locale})"
        current = existing.draft_revision if existing is not None else None
        base = base_version(request, prefix=ETAG_PREFIX, current=current, what=what)
        saved = kb.save_draft(
            session=session,
            source=body.source,
            base_revision=base,
            actor=actor_of(who, request),
            message=body.message,
            file=what,
            translated_from=body.translated_from,
        )
        if existing is None:
            response.status_code = 201
        _set_etag(response, saved.article)
        return _out(saved.article, saved.revision)


@router.post(
    "/{locale}/{key}/publish",
    response_model=PublicationOut,
    summary="Publish a revision",
    responses=responses(409, 413),
)
def publish(
    locale: LocalePath,
    key: KeyPath,
    request: Request,
    who: EditorKey,
    body: Annotated[PublishIn | None, Body()] = None,
) -> PublicationOut:
    """Make a revision (default: the latest draft) live on every channel."""
    with writing() as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        entry = kb.publish(
            session=session,
            article=article,
            revision=body.revision if body else None,
            actor=actor_of(who, request),
            emergency=body.emergency if body else False,
        )
        return PublicationOut(
            key=key,
            locale=locale,
            changed=entry is not None,
            seq=entry.seq if entry else None,
            published_revision=article.published_revision,
        )


@router.post("/{locale}/{key}/unpublish", response_model=PublicationOut, summary="Take an article off the air")
def unpublish(locale: LocalePath, key: KeyPath, request: Request, who: EditorKey) -> PublicationOut:
    """Remove the article from every public channel; its history stays."""
    with writing() as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        entry = kb.unpublish(session=session, article=article, actor=actor_of(who, request))
        return PublicationOut(
            key=key, locale=locale, changed=entry is not None, seq=entry.seq if entry else None, published_revision=None
        )


@router.post(
    "/{locale}/{key}/rollback",
    response_model=PublicationOut,
    summary="Publish an old revision's content again",
    responses=responses(412, 413, 428),
    openapi_extra=conditional(creates=False),
)
def rollback(
    locale: LocalePath,
    key: KeyPath,
    body: RollbackIn,
    request: Request,
    who: EditorKey,
) -> PublicationOut:
    """Creates a new revision with the old content and publishes it; needs `If-Match`."""
    with writing() as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        what = f"article {key!r} ({locale})"
        base = base_version(request, prefix=ETAG_PREFIX, current=article.draft_revision, what=what)
        entry = kb.rollback(
            session=session,
            article=article,
            to_revision=body.revision,
            base_revision=base,
            actor=actor_of(who, request),
            message=body.message,
            emergency=body.emergency,
        )
        return PublicationOut(
            key=key, locale=locale, changed=True, seq=entry.seq, published_revision=article.published_revision
        )


@router.get("/{locale}/{key}/revisions", response_model=list[RevisionSummary], summary="Revision history")
def revisions(locale: LocalePath, key: KeyPath, _who: ReaderKey) -> list[RevisionSummary]:
    with reading() as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        return [_revision_summary(r, article) for r in kb.history(session=session, article=article)]


@router.get("/{locale}/{key}/revisions/{number:int}", response_model=RevisionOut, summary="One revision")
def revision(
    locale: LocalePath,
    key: KeyPath,
    number: Annotated[int, Path(ge=1, le=10**9)],
    _who: ReaderKey,
) -> RevisionOut:
    with reading() as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        rev = kb.get_revision(session=session, article=article, number=number)
        return RevisionOut(
            **_revision_summary(rev, article).model_dump(), source=rev.source, front_matter=rev.front_matter
        )


@router.get("/{locale}/{key}/diff", response_model=DiffOut, summary="Unified diff between two revisions")
def diff(
    locale: LocalePath,
    key: KeyPath,
    _who: ReaderKey,
    from_: Annotated[int, Query(alias="from", ge=1, le=10**9)],
    to: Annotated[int, Query(ge=1, le=10**9)],
) -> DiffOut:
    with reading() as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        text = kb.diff(session=session, article=article, from_revision=from_, to_revision=to)
        return DiffOut(from_revision=from_, to_revision=to, diff=text)


def _revision_summary(rev: kb.Revision, article: kb.Article) -> RevisionSummary:
    return RevisionSummary(
        number=rev.number,
        content_hash=rev.content_hash,
        author=rev.author,
        message=rev.message,
        created_at=rev.created_at,
        published=rev.number == article.published_revision,
    )
