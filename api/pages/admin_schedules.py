"""The admin's schedules: set a publish or an unpublish from the editor, list and cancel them.

Times are typed and shown in the editors' zone, ISTOK_TIMEZONE (default UTC), named beside every
field and column, so "09:00" means the same to everyone on the team whatever their browser says;
kb stores the instant in UTC. The same `kb` actions as `/api/v1/schedules`, under the signed-in
editor's name. A skipped schedule stays in the list with who changed what meanwhile: that is
where the editor who set it is told.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response

import kb
from api.deps import actor_of, reading, writing
from api.pages.admin import back, editor_gate, staff_page
from api.pages.i18n import format_when, ui_locale, ui_text
from api.pages.templating import env

router = APIRouter(include_in_schema=False)
STATES = [s.value for s in kb.ScheduleState]
SHOWN = 200


def zoned(value: dt.datetime | None) -> str:
    """An instant as the editors read it: `2026-12-24 09:00` in ISTOK_TIMEZONE."""
    if value is None:
        return ""
    return value.astimezone(kb.editor_zone()).strftime("%Y-%m-%d %H:%M")


def default_time() -> str:
    """The `datetime-local` value a new schedule starts at: the next full hour, in the editors' zone."""
    now = dt.datetime.now(kb.editor_zone())
    return (now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")


# The editor page (admin.py's template) shows an article's schedules with these as well.
env.filters["zoned"] = zoned
env.globals.update(editor_zone=lambda: kb.editor_zone().key, schedule_default_time=default_time)


@router.get("/admin/schedules")
def schedules(request: Request, state: Annotated[str, Query(max_length=16)] = "") -> Response:
    """Pending schedules soonest first, then the recent ones with what happened, each pending one cancellable."""
    who = editor_gate(request)
    if isinstance(who, Response):
        return who
    chosen = state if state in STATES else ""
    with reading() as session:
        rows = kb.list_schedules(session=session, state=chosen or None, limit=SHOWN)
        for row in rows:
            session.expunge(row)
    late = kb.utcnow() - dt.timedelta(minutes=1)
    ctx = {
        "title": "Schedules",
        "section": "schedules",
        "rows": rows,
        "state": chosen,
        "states": STATES,
        "late": late,
        "zone": kb.editor_zone().key,
    }
    return staff_page(request, who, "admin_schedules.html", ctx)


@router.post("/admin/schedules")
def create(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)],
    locale: Annotated[str, Form(max_length=16)],
    key: Annotated[str, Form(max_length=200)],
    action: Annotated[str, Form(max_length=16)],
    at: Annotated[str, Form(max_length=40)],
    revision: Annotated[int | None, Form(ge=1)] = None,
) -> Response:
    """Set a publish of `revision` (or an unpublish) at `at`, a wall-clock time in the editors' zone."""
    who = editor_gate(request, csrf)
    if isinstance(who, Response):
        return who
    where = f"/admin/articles/{locale}/{key}"
    _ = ui_text(request).gettext
    if action not in ("publish", "unpublish"):
        return back(where, _("unknown scheduled action {action!r} (publish, unpublish)").format(action=action), "error")
    zone = kb.editor_zone()
    try:
        due = kb.local_time(at, zone)
        with writing() as session:
            article = kb.get_article(session=session, key=key, locale=locale)
            actor = actor_of(who, request)
            if action == "publish":
                made = kb.schedule_publish(
                    session=session, article=article, revision=revision or article.draft_revision, at=due, actor=actor
                )
                what = _("Publish of revision {number} scheduled for {when} ({zone})")
            else:
                made = kb.schedule_unpublish(session=session, article=article, at=due, actor=actor)
                what = _("Unpublish scheduled for {when} ({zone})")
    except (kb.InvalidChange, kb.Conflict, kb.NotFound, kb.OutsideRights) as exc:
        return back(where, exc.detail, "error")
    when = format_when(made.due_at, ui_locale(request))
    return back(where, what.format(number=made.revision, when=when, zone=zone.key))


@router.post("/admin/schedules/{schedule_id:int}/cancel")
def cancel(request: Request, schedule_id: int, csrf: Annotated[str, Form(max_length=200)]) -> Response:
    """Cancel a pending schedule; it stays in the list as cancelled."""
    who = editor_gate(request, csrf)
    if isinstance(who, Response):
        return who
    try:
        with writing() as session:
            kb.cancel_schedule(session=session, schedule_id=schedule_id, actor=actor_of(who, request))
    except kb.Conflict as exc:
        return back("/admin/schedules", exc.detail, "error")
    return back("/admin/schedules", ui_text(request).gettext("Schedule {id} is cancelled").format(id=schedule_id))
