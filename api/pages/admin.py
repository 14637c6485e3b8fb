"""The editors' admin: article list with filters, the editor, saving and publishing.

Every change goes through the same `kb` functions the API and the CLI call (save_draft,
publish, unpublish, rollback), names the revision it was based on, and is audited under
the signed-in person's name. A stale save re-opens the editor with the other person's
version, a diff, and the editor's own text untouched, so nothing is lost.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

import kb
from api import runtime
from api.deps import Principal, actor_of, reading, writing
from api.pages.auth import csrf_ok, csrf_token
from api.pages.i18n import ui_text
from api.pages.login import gate
from api.pages.templating import page

router = APIRouter(include_in_schema=False)
PER_PAGE = 100


def staff_page(request: Request, who: Principal, template: str, ctx: dict[str, Any], *, status: int = 200) -> Response:
    """A staff page with the signed-in person, their CSRF token and a one-shot flash message."""
    flash = request.query_params.get("flash")
    full = {"who": who, "csrf": csrf_token(request), "flash": flash, "flash_kind": request.query_params.get("kind")}
    # A page's fixed title ("Facts", "New article") is a msgid of the catalog; an article's own title is not.
    title = ui_text(request).gettext(str(ctx.get("title", "")))
    resp = page(request, template, full | ctx | {"title": title}, status=status, media=True)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def editor_gate(request: Request, csrf: str | None = None) -> Principal | Response:
    """The signed-in editor; for a form post also a valid CSRF token (403 without)."""
    who = gate(request, kb.Role.EDITOR)
    if isinstance(who, Response):
        return who
    if csrf is not None and not csrf_ok(request, csrf):
        return page(request, "login.html", {"error": "csrf", "who": None, "next": "/admin"}, status=403)
    return who


def back(path: str, flash: str, kind: str = "ok") -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode({'flash': flash, 'kind': kind})}", status_code=303)


@router.get("/admin")
def article_list(
    request: Request,
    locale: str = "",
    category: str = "",
    status: str = "",
    review_due: bool = False,
    has_draft: bool = False,
    q: Annotated[str, Query(max_length=200)] = "",
    page_no: Annotated[int, Query(alias="page", ge=1)] = 1,
) -> Response:
    """Articles with filters: locale, category, status, review due, unpublished draft, title words."""
    who = editor_gate(request)
    if isinstance(who, Response):
        return who
    with reading() as session:
        found = kb.article_page(
            session=session,
            locale=locale or None,
            category=category or None,
            status=_status(status),
            review_due=review_due,
            has_draft=has_draft,
            q=q,
            today=dt.date.today(),
            page=page_no,
            per_page=PER_PAGE,
        )
        categories = kb.article_categories(session=session)
    shown = [{"a": r.article, "review_by": r.review_by, "due": r.due, "ahead": r.ahead} for r in found.rows]
    filters = {
        "locale": locale,
        "category": category,
        "status": status,
        "review_due": review_due,
        "has_draft": has_draft,
        "q": q,
    }
    query = urlencode({k: ("true" if v is True else v) for k, v in filters.items() if v})
    ctx = {
        "title": "Articles",
        "section": "articles",
        "rows": shown,
        "total": found.total,
        "pages": found.pages,
        "page_no": found.page,
        "filters": filters,
        "query": query,
        "categories": categories,
        "locales": kb.LOCALES,
        "quarantined": runtime.index().quarantine.units(),
    }
    return staff_page(request, who, "admin_list.html", ctx)


def _status(name: str) -> kb.ArticleStatus | None:
    try:
        return kb.ArticleStatus(name)
    except ValueError:
        return None  # no status filter, as before: an unknown one shows every article


@router.get("/admin/articles/{locale}/{key}")
def edit(request: Request, locale: str, key: str, follows: Annotated[int | None, Query(ge=1)] = None) -> Response:
    """The editor: source beside a live preview of every channel, history and translations.

    `follows` (from the translations view) ticks "this translation follows source revision N".
    """
    who = editor_gate(request)
    if isinstance(who, Response):
        return who
    with reading() as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        draft = kb.get_revision(session=session, article=article, number=article.draft_revision)
        ctx = _editor_ctx(session, article, source=draft.source, follows=follows)
    return staff_page(request, who, "admin_edit.html", ctx)


def _editor_ctx(session: Any, article: kb.Article | None, *, source: str, **extra: Any) -> dict[str, Any]:
    history = kb.history(session=session, article=article)[::-1] if article else []
    translations = []
    translation: kb.Translation | None = None
    votes: list[kb.VoteTally] = []
    comments: list[kb.VoteComment] = []
    if article is not None:
        siblings = kb.translations_of(session=session, key=article.key)
        translations = [(a.locale, a.title) for a, _source in siblings if a.locale != article.locale]
        states = {t.locale: t for t in kb.translation_states(session=session, key=article.key)}
        translation = states.get(article.locale)
        votes = kb.tally(session=session, key=article.key, locale=article.locale)
        comments = kb.recent_comments(session=session, key=article.key, locale=article.locale, limit=5)
    return {
        "title": article.title if article else "New article",
        "section": "articles",
        "article": article,
        "source": source,
        "base": article.draft_revision if article else 0,
        "history": history,
        "translations": translations,
        "translation": translation,  # this locale against its key's source (kb.translations)
        "follows": None,
        "missing_locales": [
            loc for loc in kb.LOCALES if article and loc != article.locale and loc not in dict(translations)
        ],
        "votes": votes,
        "vote_comments": comments,  # readers' words with "not helpful" (issue #16)
        "schedules": kb.list_schedules(session=session, locale=article.locale, key=article.key, limit=10)
        if article
        else [],  # scheduled publishing (issue #16): admin_schedules.py
        **_verification_state(session, article),  # article verification (issue #16): admin_verification.py
        "review": kb.review_of(session, article) if article else None,  # admin_reviews.py
        "workflow": kb.workflow_for(article.category) if article else None,
        "conflict": None,
        "problems": [],
        "message": "",
        **extra,
    }


def _verification_state(session: Any, article: kb.Article | None) -> dict[str, Any]:
    from api.pages.admin_verification import editor_state  # it builds on this module's helpers

    return editor_state(session, article) if article else {}


def new_source(locale: str, question: str, key: str = "", wordings: tuple[str, ...] = ()) -> str:
    """A starting source for a new article, e.g. from a content gap's question (and a group's other wordings)."""
    slug = key or re.sub(r"[^a-z0-9]+", "-", question.lower()).strip("-")[:60] or f"new-{dt.date.today():%Y%m%d}"
    title = " ".join(question.split()) or "New question"
    asked = "".join(f"  - {_yaml_str(' '.join(w.split()))}\n" for w in wordings if w.strip())
    return (
        f"---\nkey: {slug}\nlocale: {locale}\ntitle: {_yaml_str(title)}\ncategory: \nsummary: \n"
        + (f"questions:\n{asked}" if asked else "")
        + "status: draft\n---\nWrite the answer here.\n"
    )


def _yaml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@router.get("/admin/new")
def new(
    request: Request,
    locale: str = kb.default_locale(),
    question: str = "",
    key: str = "",
    wording: Annotated[list[str] | None, Query()] = None,
) -> Response:
    """An empty editor (or one seeded from a content gap's question and its group's wordings, or a translation's key).

    `wording` (repeated, up to 20 kept) become the new article's `questions`."""
    who = editor_gate(request)
    if isinstance(who, Response):
        return who
    locale = locale if locale in kb.LOCALES else kb.default_locale()
    with reading() as session:
        wordings = tuple(w[:300] for w in (wording or [])[:20])
        ctx = _editor_ctx(session, None, source=new_source(locale, question[:300], key, wordings))
    return staff_page(request, who, "admin_edit.html", ctx)


@router.post("/admin/save")
def save(
    request: Request,
    source: Annotated[str, Form(max_length=1024 * 1024)],
    base: Annotated[int, Form(ge=0)],
    csrf: Annotated[str, Form(max_length=200)],
    message: Annotated[str, Form(max_length=500)] = "",
    locale: Annotated[str, Form(max_length=16)] = "",
    key: Annotated[str, Form(max_length=200)] = "",
    translated_from: Annotated[int | None, Form(ge=1)] = None,
) -> Response:
    """Save a draft revision based on `base`; a stale base shows the conflict and keeps the text.

    `translated_from`: the editor ticked "this translation follows source revision N".

    `locale` and `key` name the article the editor was opened on, so a source too broken to
    parse still re-opens that article's editor (its title, history), with the message kept.
    """
    who = editor_gate(request, csrf)
    if isinstance(who, Response):
        return who
    _ = ui_text(request).gettext
    try:
        with writing() as session:
            saved = kb.save_draft(
                session=session,
                source=source,
                base_revision=base or None,
                actor=actor_of(who, request),
                message=message,
                file="editor",
                translated_from=translated_from,
            )
            where = f"/admin/articles/{saved.article.locale}/{saved.article.key}"
            note = _("Saved revision {number}") if saved.created else _("No changes to save")
            note = note.format(number=saved.revision.number)
    except kb.RevisionConflict:
        return _conflict(request, who, source, message=message, opened=(locale, key))
    except (kb.ContentError, kb.InvalidChange, kb.ArticleNotFound, kb.OutsideRights) as exc:
        problems = [str(p) for p in exc.problems] if isinstance(exc, kb.ContentError) else [str(exc)]
        with reading() as session:
            article = _article_of(session, source, opened=(locale, key))
            ctx = _editor_ctx(session, article, source=source, problems=problems, message=message)
            ctx["base"] = base
        return staff_page(request, who, "admin_edit.html", ctx, status=exc.status if exc.status == 403 else 422)
    return back(where, note)


def _article_of(session: Any, source: str, *, opened: tuple[str, str] = ("", "")) -> kb.Article | None:
    """The article the source names; if it cannot be parsed, the one the editor was opened on."""
    try:
        unit = kb.parse_source(source, file="editor")
    except kb.ContentError:
        locale, key = opened
        return kb.find_article(session=session, key=key, locale=locale) if locale and key else None
    return kb.find_article(session=session, key=unit.key, locale=unit.locale)


def _conflict(
    request: Request, who: Principal, source: str, *, message: str = "", opened: tuple[str, str] = ("", "")
) -> Response:
    with reading() as session:
        article = _article_of(session, source, opened=opened)
        if article is None:
            problems = [ui_text(request).gettext("this article no longer exists")]
            ctx = _editor_ctx(session, None, source=source, problems=problems, message=message)
            return staff_page(request, who, "admin_edit.html", ctx, status=409)
        theirs = kb.get_revision(session=session, article=article, number=article.draft_revision)
        lines = difflib.unified_diff(
            theirs.source.splitlines(),
            source.splitlines(),
            fromfile=ui_text(request)
            .gettext("revision {number} by {author}")
            .format(number=theirs.number, author=theirs.author),
            tofile=ui_text(request).gettext("your text"),
            lineterm="",
        )
        conflict = {"theirs": theirs, "diff": list(lines)}
        ctx = _editor_ctx(session, article, source=source, conflict=conflict, message=message)
    return staff_page(request, who, "admin_edit.html", ctx, status=409)


CONFIRMED = ("unpublish", "rollback")  # actions that take a help page down or replace it: asked first


@router.get("/admin/articles/{locale}/{key}/confirm/{action}")
def confirm(
    request: Request,
    locale: str,
    key: str,
    action: str,
    revision: Annotated[int | None, Query(ge=1)] = None,
    base: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """Says what an unpublish or a rollback will do, with a button that does it and a way back."""
    who = editor_gate(request)
    if isinstance(who, Response):
        return who
    where = f"/admin/articles/{locale}/{key}"
    _ = ui_text(request).gettext
    if action not in CONFIRMED or (action == "rollback" and revision is None):
        return back(where, _("unknown action {action}").format(action=action), "error")
    with reading() as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        emergency_only = action == "rollback" and _rollback_needs_emergency(session, article, revision or 0)
        session.expunge(article)
    workflow = kb.workflow_for(article.category)
    ctx = {
        "title": (_("Unpublish {title}?") if action == "unpublish" else _("Roll back {title}?")).format(
            title=article.title
        ),
        "section": "articles",
        "article": article,
        "action": action,
        "revision": revision,
        "base": base,
        "workflow": workflow.category,
        # Old text its workflow never cleared: only those allowed to publish directly see the way.
        "emergency_only": emergency_only,
        "may_emergency": emergency_only and workflow.may_publish_directly(actor_of(who, request)),
    }
    return staff_page(request, who, "admin_confirm.html", ctx)


def _rollback_needs_emergency(session: Session, article: kb.Article, revision: int) -> bool:
    """Whether only the emergency path rolls back to `revision` (an unknown one: the post says so)."""
    try:
        return kb.rollback_needs_emergency(session, article, revision)
    except kb.NotFound:
        return False


@router.post("/admin/articles/{locale}/{key}/{action}")
def publication(
    request: Request,
    locale: str,
    key: str,
    action: str,
    csrf: Annotated[str, Form(max_length=200)],
    revision: Annotated[int | None, Form(ge=1)] = None,
    base: Annotated[int | None, Form(ge=1)] = None,
    confirmed: Annotated[str, Form(max_length=10)] = "",
    emergency: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Publish (a revision, default the draft), unpublish, or roll back to an old revision.

    Unpublish and rollback happen only from their confirmation page (`confirmed=yes`); a post
    without it is sent there, so one click alone changes nothing.
    """
    who = editor_gate(request, csrf)
    if isinstance(who, Response):
        return who
    where = f"/admin/articles/{locale}/{key}"
    _ = ui_text(request).gettext
    if action not in ("publish", *CONFIRMED):
        return back(where, _("unknown action {action}").format(action=action), "error")
    if action in CONFIRMED and confirmed != "yes":
        asked = {k: v for k, v in (("revision", revision), ("base", base)) if v is not None}
        return RedirectResponse(f"{where}/confirm/{action}?{urlencode(asked)}", status_code=303)
    try:
        with writing() as session:
            article = kb.get_article(session=session, key=key, locale=locale)
            actor = actor_of(who, request)
            if action == "publish":
                kb.publish(
                    session=session, article=article, revision=revision, actor=actor, emergency=emergency == "yes"
                )
            elif action == "unpublish":
                kb.unpublish(session=session, article=article, actor=actor)
            else:
                kb.rollback(
                    session=session,
                    article=article,
                    to_revision=revision or 0,
                    base_revision=base,
                    actor=actor,
                    message=f"rollback to revision {revision}",
                    emergency=emergency == "yes",
                )
            note = {
                "publish": _("Published revision {number}"),
                "unpublish": _("Unpublished"),
                "rollback": _("Rolled back: revision {number} is live"),
            }[action].format(number=article.published_revision)
    except kb.RevisionConflict as exc:
        return back(where, str(exc), "error")
    except (kb.ContentError, kb.InvalidChange, kb.NotFound, kb.ReviewRequired, kb.NotAllowed, kb.OutsideRights) as exc:
        return back(where, str(exc), "error")
    return back(where, note)
