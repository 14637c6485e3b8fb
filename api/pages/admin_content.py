"""The admin's other pages: history with diffs, translations side by side, facts, synonyms.

Content gaps have a module of their own, `admin_gaps.py`.

Facts and synonyms are edited through the same `kb` functions as the API, with the version
each form was read at, so two editors changing one fact cannot overwrite each other silently.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response

import kb
from api import runtime
from api.deps import actor_of, reading, writing
from api.pages.admin import back, editor_gate, staff_page
from api.pages.i18n import ui_text

router = APIRouter(include_in_schema=False)


@router.get("/admin/articles/{locale}/{key}/diff")
def diff(
    request: Request,
    locale: str,
    key: str,
    from_: Annotated[int, Query(alias="from", ge=1)],
    to: Annotated[int, Query(ge=1)],
) -> Response:
    """Unified diff between two revisions of an article."""
    who = editor_gate(request)
    if isinstance(who, Response):
        return who
    with reading() as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        text = kb.diff(session=session, article=article, from_revision=from_, to_revision=to)
    lines = [(line_kind(line), line) for line in text.splitlines()]
    ctx = {
        "title": f"{article.title}: {from_} → {to}",
        "section": "articles",
        "article": article,
        "lines": lines,
        "from_": from_,
        "to": to,
    }
    return staff_page(request, who, "admin_diff.html", ctx)


def line_kind(line: str) -> str:
    """How a line of a unified diff is shown: added, removed, or context."""
    if line.startswith("+") and not line.startswith("+++"):
        return "add"
    if line.startswith("-") and not line.startswith("---"):
        return "del"
    return ""


@router.get("/admin/facts")
def facts(request: Request) -> Response:
    """Every fact with its type, value, per-locale values and version; each row is an edit form."""
    who = editor_gate(request)
    if isinstance(who, Response):
        return who
    with reading() as session:
        rows = kb.list_facts(session=session)
        for fact in rows:
            session.expunge(fact)
        proposals = kb.fact_proposals(session)
        for review in proposals:
            session.expunge(review.proposal)
    workflow = kb.facts_workflow()
    ctx = {
        "title": "Facts",
        "section": "facts",
        "facts": rows,
        "types": [t.value for t in kb.FactType],
        "proposals": proposals,
        "reviewed": workflow.approvals > 0,
        "may_review": workflow.may_review(actor_of(who, request)),
        "may_emergency": workflow.may_publish_directly(actor_of(who, request)),
        "me": actor_of(who, request).name,
    }
    return staff_page(request, who, "admin_facts.html", ctx)


@router.post("/admin/facts")
def save_fact(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)],
    key: Annotated[str, Form(max_length=128)],
    type: Annotated[str, Form(max_length=16)],
    value: Annotated[str, Form(max_length=2000)],
    version: Annotated[int, Form(ge=0)] = 0,
    emergency: Annotated[bool, Form()] = False,
) -> Response:
    """Create a fact (version 0) or change its value; every live article using it is re-published.

    Under a `facts` workflow the change is proposed instead, unless an emergency by those allowed.
    """
    who = editor_gate(request, csrf)
    if isinstance(who, Response):
        return who
    try:
        with writing() as session:
            existing = kb.find_fact(session=session, key=key)
            locales: dict[str, Any] = dict(existing.locales) if existing else {}
            change = kb.change_fact(
                session=session,
                key=key,
                type=type,
                value=value,
                locales=locales,
                base_version=version or None,
                actor=actor_of(who, request),
                emergency=emergency,
            )
    except (kb.RevisionConflict, kb.InvalidChange, kb.NotAllowed) as exc:
        return back("/admin/facts", str(exc), "error")
    gettext = ui_text(request).gettext
    if change.fact is None:
        return back("/admin/facts", gettext("The change to {key} waits for review").format(key=key))
    note = gettext("Fact {key} is now version {version}").format(key=key, version=change.fact.version)
    return back("/admin/facts", note)


@router.post("/admin/facts/proposals/{proposal_id}/{step}")
def fact_proposal_step(
    request: Request,
    proposal_id: int,
    step: str,
    csrf: Annotated[str, Form(max_length=200)],
    comment: Annotated[str, Form(max_length=kb.REVIEW_COMMENT_MAX)] = "",
) -> Response:
    """Approve, request changes to, or apply a fact proposal: the same kb steps as the API."""
    who = editor_gate(request, csrf)
    if isinstance(who, Response):
        return who
    actor = actor_of(who, request)
    gettext = ui_text(request).gettext
    try:
        with writing() as session:
            if step == "approve":
                kb.approve_proposal(session, proposal_id, actor=actor, comment=comment)
                note = gettext("Proposal {id} approved")
            elif step == "request-changes":
                kb.request_fact_changes(session, proposal_id, actor=actor, comment=comment)
                note = gettext("Proposal {id} sent back")
            elif step == "apply":
                kb.apply_proposal(session, proposal_id, actor=actor)
                note = gettext("Proposal {id} is live")
            else:
                return back("/admin/facts", gettext("Unknown step"), "error")
    except (kb.Conflict, kb.InvalidChange, kb.NotAllowed, kb.NotFound) as exc:
        return back("/admin/facts", str(exc), "error")
    return back("/admin/facts", note.format(id=proposal_id))


@router.get("/admin/synonyms")
def synonyms(request: Request, locale: str = kb.default_locale()) -> Response:
    """A locale's synonym sets as text: one set a line, terms separated by commas."""
    who = editor_gate(request)
    if isinstance(who, Response):
        return who
    locale = locale if locale in kb.LOCALES else kb.default_locale()
    with reading() as session:
        sets = [", ".join(s.terms) for s in kb.list_sets(session=session, locale=locale)]
    ctx = {"title": "Synonyms", "section": "synonyms", "locale": locale, "locales": kb.LOCALES, "text": "\n".join(sets)}
    return staff_page(request, who, "admin_synonyms.html", ctx)


@router.post("/admin/synonyms")
def save_synonyms(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)],
    locale: Annotated[str, Form(max_length=16)],
    text: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    """Replace the locale's sets with the text's lines; search uses them at once."""
    who = editor_gate(request, csrf)
    if isinstance(who, Response):
        return who
    sets = []
    for number, line in enumerate(text.splitlines(), start=1):
        terms = [t.strip() for t in line.split("#")[0].split(",") if t.strip()]
        if len(terms) == 1:
            problem = ui_text(request).gettext("line {number}: a set needs two terms or more").format(number=number)
            return back(f"/admin/synonyms?locale={locale}", problem, "error")
        if terms:
            sets.append(terms)
    with writing() as session:
        changed = kb.replace_locale(session=session, locale=locale, sets=sets, actor=actor_of(who, request))
    runtime.index().poll()
    t = ui_text(request)
    note = t.ngettext("{count} set saved", "{count} sets saved", len(sets)) if changed else t.gettext("No changes")
    return back("/admin/synonyms", note.format(count=len(sets)))
