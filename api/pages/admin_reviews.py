"""The admin's review and approval: the steps on the editor page, and the reviewer's queue.

The same `kb` actions as `/api/v1/…/review` and `istok review`, under the signed-in person's
name and role, so the workflow (content/workflows.yaml) judges a click exactly as an API call:
who may approve, never one's own text, a comment to send a draft back.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

import kb
from api.deps import Principal, actor_of, reading, writing
from api.pages.admin import back, editor_gate, staff_page
from api.pages.i18n import ui_text
from api.pages.templating import env

router = APIRouter(include_in_schema=False)
STEPS = ("submit", "approve", "request-changes", "comment")


def acts_as(who: Principal | None) -> kb.Actor:
    """The signed-in person as the actor the workflow judges (the editor page asks what they may do),
    with their rights, so the queue and the panel offer no decision the kb action would refuse."""
    if who is None:
        return kb.Actor(name="", role="")
    return kb.Actor(name=who.name, role=who.role.value, rights=who.rights)


# The editor page (admin.py's template) shows the review panel with this.
env.globals.update(review_actor=acts_as)


@router.get("/admin/reviews")
def queue(request: Request) -> Response:
    """Drafts waiting for approval that the signed-in person may approve (not their own), oldest first."""
    who = editor_gate(request)
    if isinstance(who, Response):
        return who
    with reading() as session:
        mine = kb.pending_reviews(session, reviewer=acts_as(who))
        waiting = kb.pending_reviews(session)
    shown = {(r.locale, r.key, r.revision) for r in mine}
    others = [r for r in waiting if (r.locale, r.key, r.revision) not in shown]
    ctx = {"title": "Reviews", "section": "reviews", "mine": mine, "others": others}
    return staff_page(request, who, "admin_reviews.html", ctx)


@router.post("/admin/articles/{locale}/{key}/review/{step}")
def take_step(
    request: Request,
    locale: str,
    key: str,
    step: str,
    csrf: Annotated[str, Form(max_length=200)],
    revision: Annotated[int, Form(ge=1)],
    comment: Annotated[str, Form(max_length=kb.REVIEW_COMMENT_MAX)] = "",
) -> Response:
    """Submit, approve, request changes on, or comment on one revision of an article."""
    who = editor_gate(request, csrf)
    if isinstance(who, Response):
        return who
    where = f"/admin/articles/{locale}/{key}"
    _ = ui_text(request).gettext
    if step not in STEPS:
        return back(where, _("unknown review step {step!r}").format(step=step), "error")
    try:
        with writing() as session:
            article = kb.get_article(session=session, key=key, locale=locale)
            actor = actor_of(who, request)
            if step == "submit":
                kb.submit_review(session, article, actor=actor, revision=revision, comment=comment)
                note = _("Revision {number} submitted for review").format(number=revision)
            elif step == "approve":
                review = kb.approve(session, article, actor=actor, revision=revision, comment=comment)
                ready, approved = _("Approved revision {number} — it may go live"), _("Approved revision {number}")
                done = ready if review.ready else approved
                note = done.format(number=revision)
            elif step == "request-changes":
                kb.request_changes(session, article, actor=actor, revision=revision, comment=comment)
                note = _("Changes requested on revision {number}").format(number=revision)
            else:
                kb.add_comment(session, article, actor=actor, revision=revision, comment=comment)
                note = _("Comment added")
    except (kb.InvalidChange, kb.Conflict, kb.NotFound, kb.NotAllowed, kb.OutsideRights, kb.ContentError) as exc:
        return back(where, str(exc), "error")
    return back(where, note)
