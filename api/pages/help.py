"""The public help center: home, topics, articles, search, votes, and a localised 404.

Every page is built from the live snapshot (`api/live.py`, one load per publication) and the web renderer's
cached output, so a page costs no database read while nothing changes, and carries the
validators a CDN needs. Internal blocks never get here: the web renderer leaves them out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

import contacts
import kb
from api import announcing, live, rendering, runtime
from api.contact_access import recording, suggest
from api.deps import Forbidden, client_address, writing
from api.http.ratelimit import check_rate
from api.pages import search_opens
from api.pages.caching import not_modified, validators
from api.pages.phrases import category_name, phrases
from api.pages.settings import base_url, page_settings
from api.pages.templating import page, snippet_html, trusted_html

router = APIRouter(include_in_schema=False)
VOTER_COOKIE = "istok_voter"
PER_PAGE = 30


def negotiate(request: Request) -> str:
    """The first of the reader's languages we have, else the first locale."""
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in kb.LOCALES:
            return tag
    return kb.default_locale()


def not_found(request: Request, locale: str | None = None) -> HTMLResponse:
    loc = locale if locale in kb.LOCALES else negotiate(request)
    ctx = _common(request, loc) | {"title": phrases(loc)["not_found_title"]}
    return page(request, "help_404.html", ctx, status=404, headers={"Cache-Control": "public, max-age=60"})


def _common(request: Request, locale: str) -> dict[str, Any]:
    return {
        "locale": locale,
        "t": phrases(locale),
        "base": base_url(request),
        "alternates": [],
        "canonical": "",
        "contact_href": contact_href(locale),
        "announcements": announcing.notices(locale, base_url=base_url(request)),  # the banner, for everyone
    }


def _cached(request: Request, template: str, ctx: dict[str, Any], *parts: object, cat: live.Snapshot) -> Response:
    shown = announcing.signature(ctx.get("announcements") or [])  # a notice starting or ending changes the page
    headers = validators(template, cat.seq, *parts, shown, sorted(cat.hidden), changed=cat.changed)
    return not_modified(request, headers) or page(request, template, ctx, headers=headers)


@router.get("/help", include_in_schema=False)
@router.get("/help/", include_in_schema=False)
def help_root(request: Request) -> Response:
    return RedirectResponse(f"/help/{negotiate(request)}/", status_code=302, headers={"Vary": "Accept-Language"})


@router.get("/help/{locale}", include_in_schema=False)
def help_locale_slash(locale: str) -> Response:
    return RedirectResponse(f"/help/{locale}/", status_code=301)


@router.get("/help/{locale}/")
def help_home(request: Request, locale: str) -> Response:
    """Topics with their article counts, and the first questions of each."""
    if locale not in kb.LOCALES:
        return not_found(request)
    cat = live.listed()
    base = base_url(request)
    topics = [
        {"slug": c, "name": category_name(c, locale), "count": n, "top": cat.by_category[(locale, c)][:3]}
        for c, n in cat.categories(locale)
    ]
    alternates = [{"locale": loc, "href": f"{base}/help/{loc}/"} for loc in kb.LOCALES if loc in cat.locales]
    ctx = _common(request, locale) | {
        "title": phrases(locale)["help_center"],
        "topics": topics,
        "canonical": f"{base}/help/{locale}/",
        "alternates": alternates,
        "switch": [(a["locale"], f"/help/{a['locale']}/") for a in alternates],
        "jsonld": {"@context": "https://schema.org", "@type": "WebSite", "name": page_settings().brand, "url": base},
    }
    return _cached(request, "help_home.html", ctx, locale, cat=cat)


@router.get("/help/{locale}/topics/{category}")
def help_topic(
    request: Request, locale: str, category: str, page_no: Annotated[int, Query(alias="page")] = 1
) -> Response:
    """One topic's articles, a page at a time, each with its short answer."""
    cat = live.listed()
    entries = cat.by_category.get((locale, category)) if locale in kb.LOCALES else None
    if not entries:
        return not_found(request, locale)
    pages = (len(entries) + PER_PAGE - 1) // PER_PAGE
    page_no = min(max(1, page_no), pages)
    shown = entries[(page_no - 1) * PER_PAGE : page_no * PER_PAGE]
    base = base_url(request)
    name = category_name(category, locale)
    ctx = _common(request, locale) | {
        "title": name,
        "category": category,
        "items": [(e, _description(e, cat)) for e in shown],
        "page_no": page_no,
        "pages": pages,
        "canonical": f"{base}/help/{locale}/topics/{category}" + (f"?page={page_no}" if page_no > 1 else ""),
        "crumbs": [(phrases(locale)["home"], f"/help/{locale}/")],
    }
    return _cached(request, "help_topic.html", ctx, locale, category, page_no, cat=cat)


def _description(entry: live.Entry, cat: live.Snapshot) -> str:
    out = rendering.render_revision("web", locale=entry.locale, key=entry.key, revision=entry.revision, snapshot=cat)
    return str(out.meta.get("description") or "")


@router.get("/help/{locale}/search")
async def help_search(request: Request, locale: str, q: Annotated[str, Query(max_length=200)] = "") -> Response:
    """Search results as a page: what the search box falls back to without JavaScript."""
    if locale not in kb.LOCALES:
        return not_found(request)
    found = await run_in_threadpool(_search, request, q, locale, 20) if q.strip() else None
    if found:
        await run_in_threadpool(search_opens.count, "help", locale, q)
    ctx = _common(request, locale) | {"title": f"{phrases(locale)['results_for']} {q}", "q": q, "found": found}
    resp = page(request, "help_search.html", ctx)
    resp.headers["Cache-Control"] = "public, max-age=60"
    resp.headers["X-Robots-Tag"] = "noindex"
    return resp


@router.get("/help/{locale}/search/open")
async def help_search_open(
    request: Request,
    locale: str,
    q: Annotated[str, Query(max_length=200)] = "",
    to: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """A result followed from the results page: counted as opened from `q` (insights), then the article.

    `to` is the result's `locale/slug`, looked up among live articles, so this never leads elsewhere.
    """
    target_locale, _, slug = to.partition("/")
    entry = live.current().by_slug.get((target_locale, slug))
    if locale not in kb.LOCALES or entry is None:
        return not_found(request)
    if q.strip():
        await run_in_threadpool(search_opens.count, "help", locale, q, opened=True)
    resp = RedirectResponse(f"/help/{entry.locale}/{entry.slug}", status_code=303)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Robots-Tag"] = "noindex"
    return resp


@router.get("/help/{locale}/suggest")
async def help_suggest(request: Request, locale: str, q: Annotated[str, Query(max_length=200)] = "") -> Response:
    """Hits for the search-as-you-type box: title, link, category and a cleaned `<mark>` snippet."""
    if locale not in kb.LOCALES or not q.strip():
        return JSONResponse({"query": q, "hits": []})
    hits = await run_in_threadpool(_search, request, q, locale, 6)
    return JSONResponse({"query": q, "hits": hits}, headers={"Cache-Control": "public, max-age=60"})


def _search(request: Request, q: str, locale: str, per_page: int) -> list[dict[str, str]]:
    check_rate(f"addr:{client_address(request) or 'unknown'}")
    try:
        found = kb.search_articles(q, locale, "public", per_page=per_page, index=runtime.index())
    except kb.InvalidQuery:
        return []
    cat = live.current()
    out = []
    for hit in found.hits:
        entry = cat.by_key.get((hit.locale, hit.key))
        if entry is None:
            continue
        out.append(
            {
                "title": hit.title,
                "url": f"/help/{entry.locale}/{entry.slug}",
                "target": f"{entry.locale}/{entry.slug}",
                "category": category_name(hit.category, locale),
                "snippet": str(snippet_html(hit.snippet)),
            }
        )
    return out


def contact_href(locale: str) -> str:
    """Where "Contact us" leads: ISTOK_CONTACT_URL, else our own contact form."""
    return page_settings().contact_url or f"/help/{locale}/contact"


@router.get("/help/{locale}/contact")
def help_contact(request: Request, locale: str) -> Response:
    """Ask a person: the form behind "Contact us" when no outside contact page is configured."""
    if locale not in kb.LOCALES:
        return not_found(request)
    return _contact_page(request, locale)


def _contact_page(
    request: Request, locale: str, *, sent: bool = False, error: str = "", form: dict[str, str] | None = None
) -> HTMLResponse:
    ctx = _common(request, locale) | {
        "title": phrases(locale)["contact_title"],
        "sent": sent,
        "error": error,
        "form": form or {"question": request.query_params.get("q", "")[:2000], "reply_to": ""},
        "crumbs": [(phrases(locale)["home"], f"/help/{locale}/")],
    }
    resp = page(request, "help_contact.html", ctx, status=422 if error else 200)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Robots-Tag"] = "noindex"
    return resp


@router.post("/help/{locale}/contact")
def help_contact_send(
    request: Request,
    locale: str,
    question: Annotated[str, Form(max_length=2000)] = "",
    reply_to: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """A handoff on the client's timeline, as the interactions API records one: it opens a case for a person."""
    if locale not in kb.LOCALES:
        return not_found(request)
    origin = request.headers.get("origin")
    if origin and origin.rstrip("/") != str(request.base_url).rstrip("/") and origin != page_settings().public_url:
        raise Forbidden("requests come from the help pages only")
    form = {"question": question, "reply_to": reply_to}
    t = phrases(locale)
    if not question.strip():
        return _contact_page(request, locale, error=t["contact_need_question"], form=form)
    try:
        channel = "email" if "@" in reply_to else "phone"
        address = contacts.normalise(channel, reply_to)
    except contacts.InvalidIdentity:
        return _contact_page(request, locale, error=t["contact_need_reply_to"], form=form)
    check_rate(f"addr:{client_address(request) or 'unknown'}")
    route = suggest(question, locale)
    with recording() as session:
        contact, _created = contacts.ensure_contact(session=session, address=address, locale=locale)
        contacts.record_interaction(
            session=session,
            contact=contact,
            channel="web",
            outcome="handoff",
            question=question.strip(),
            article=None,
            topic=route.topic,
            queue=route.queue,
        )
    return RedirectResponse(f"/help/{locale}/contact/sent", status_code=303)


@router.get("/help/{locale}/contact/sent")
def help_contact_sent(request: Request, locale: str) -> Response:
    if locale not in kb.LOCALES:
        return not_found(request)
    return _contact_page(request, locale, sent=True)


@router.get("/help/{locale}/{slug}")
def help_article(request: Request, locale: str, slug: str) -> Response:
    """An article: the web renderer's body, breadcrumbs, translations, related questions and a vote."""
    cat = live.listed()
    entry = cat.by_slug.get((locale, slug))
    if entry is None:
        return not_found(request, locale)
    over = announcing.ended(locale, entry.key)
    if over is not None:
        return _ended(request, locale, over)
    out = rendering.render_revision("web", locale=locale, key=entry.key, revision=entry.revision, snapshot=cat)
    base = base_url(request)
    canonical = f"{base}/help/{locale}/{slug}"
    translations = cat.translations(entry.key)
    home, topic = phrases(locale)["home"], category_name(entry.category, locale)
    crumbs = [(home, f"/help/{locale}/")]
    if entry.category:
        crumbs.append((topic, f"/help/{locale}/topics/{entry.category}"))
    jsonld = dict(out.meta.get("jsonld") or {}) | {"url": canonical}
    trail = [{"@type": "ListItem", "position": i + 1, "name": n, "item": base + h} for i, (n, h) in enumerate(crumbs)]
    ctx = _common(request, locale) | {
        "title": entry.title,
        "description": out.meta.get("description", ""),
        "entry": entry,
        "body": trusted_html(out.body),
        "canonical": canonical,
        "alternates": [{"locale": t.locale, "href": f"{base}/help/{t.locale}/{t.slug}"} for t in translations],
        "switch": [(t.locale, f"/help/{t.locale}/{t.slug}") for t in translations],
        "crumbs": crumbs,
        "related": cat.related(entry),
        "jsonld": jsonld,
        "breadcrumb_ld": {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": trail},
        "og_type": "article",
        "vote_reasons": [r.value for r in kb.VoteReason],
        "comment_max": kb.VOTE_COMMENT_MAX,
    }
    voted = request.query_params.get("voted", "")  # `no`: thanked, and asked why (the form without script)
    return _cached(request, "help_article.html", ctx, locale, slug, entry.content_hash, voted, cat=cat)


def _ended(request: Request, locale: str, announcement: kb.Announcement) -> HTMLResponse:
    """An announcement's page once its `until` has passed: 410 Gone, and a page saying it has ended.

    Gone, not a page that goes on telling of an outage that is over: search engines and caches
    drop the address, and a client following an old link (from an SMS, say) reads that it has
    ended and when, with the way to the help home. Search and answers already leave it out.
    """
    ctx = _common(request, locale) | {"title": announcement.title, "ends": announcement.ends}
    headers = {"Cache-Control": "public, max-age=300", "X-Robots-Tag": "noindex"}
    return page(request, "help_ended.html", ctx, status=410, headers=headers)


@router.post("/help/{locale}/{slug}/vote")
def help_vote(
    request: Request,
    locale: str,
    slug: str,
    revision: Annotated[int, Form(ge=1)],
    helpful: Annotated[str, Form(pattern="^(yes|no)$")],
    reason: Annotated[str, Form(max_length=32)] = "",
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Store "was this helpful?" against the revision the reader saw; one vote per browser and revision.

    A "no" without a reason is answered with the page again, asking why (`?voted=no`); the
    reasons form posts here once more, with the same browser token, and so amends that vote.
    """
    origin = request.headers.get("origin")
    if origin and origin.rstrip("/") != str(request.base_url).rstrip("/") and origin != page_settings().public_url:
        raise Forbidden("votes come from the help pages only")
    entry = live.current().by_slug.get((locale, slug))
    if entry is None:
        return not_found(request, locale)
    check_rate(f"addr:{client_address(request) or 'unknown'}")
    token = request.cookies.get(VOTER_COOKIE) or secrets.token_urlsafe(18)
    voter = hmac.new(page_settings().secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()[:32]
    with writing() as session:
        vote = kb.record_vote(
            session=session,
            key=entry.key,
            locale=locale,
            revision=revision,
            helpful=helpful == "yes",
            voter=voter,
            reason=reason or None,
            comment=comment,
        )
        why = vote.reason
    if "application/json" in request.headers.get("accept", ""):
        body = {"recorded": True, "revision": revision, "helpful": helpful == "yes", "reason": why}
        resp: Response = JSONResponse(body)
    else:
        asked = helpful == "no" and not (reason or comment.strip())
        resp = RedirectResponse(f"/help/{locale}/{slug}?voted={'no' if asked else '1'}#vote", status_code=303)
    resp.set_cookie(VOTER_COOKIE, token, max_age=365 * 86400, httponly=True, samesite="lax", path="/help")
    return resp
