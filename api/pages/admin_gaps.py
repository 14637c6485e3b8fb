"""The admin's content gaps: what clients asked that no article answered, and the editors' decisions.

An editor dismisses a gap (it leaves the list, and stays away when asked again, until restored
from the dismissed view) or merges several (one entry, counts summed, the other wordings kept as
examples). Both are the kb actions the CLI uses too (`kb.dismiss_gap`, `kb.merge_gaps`), which
audit themselves; every post carries the session's CSRF token and needs the editor role.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

import kb
from api import runtime
from api.deps import actor_of, reading, writing
from api.pages.admin import back, editor_gate, staff_page
from api.pages.i18n import ui_text

router = APIRouter(include_in_schema=False)
PAGE = "/admin/gaps"


@router.get(PAGE)
def gaps(request: Request, locale: str = "", channel: str = "", show: str = "") -> Response:
    """Questions the answer engine could not answer with confidence, most frequent first; or the dismissed ones."""
    who = editor_gate(request)
    if isinstance(who, Response):
        return who
    runtime.index().gaps.flush()
    dismissed = show == "dismissed"
    with reading() as session:
        rows = kb.list_gaps(
            session=session, locale=locale or None, channel=channel or None, dismissed=dismissed, limit=200
        )
    ctx = {
        "title": "Dismissed content gaps" if dismissed else "Content gaps",
        "section": "gaps",
        "gaps": rows,
        "locale": locale,
        "channel": channel,
        "locales": kb.LOCALES,
        "dismissed": dismissed,
    }
    return staff_page(request, who, "admin_gaps.html", ctx)


@router.post(f"{PAGE}/dismiss")
def dismiss(
    request: Request, csrf: Annotated[str, Form(max_length=200)], gap_id: Annotated[int, Form(ge=1)]
) -> Response:
    """Take a gap (its whole group) off the list."""
    done = ui_text(request).gettext("Gap {id} dismissed; it stays off the list when asked again (see Dismissed)")
    done = done.format(id=gap_id)
    return _decide(request, csrf, gap_id, kb.dismiss_gap, done)


@router.post(f"{PAGE}/restore")
def restore(
    request: Request, csrf: Annotated[str, Form(max_length=200)], gap_id: Annotated[int, Form(ge=1)]
) -> Response:
    """Put a dismissed gap back on the list."""
    done = ui_text(request).gettext("Gap {id} is listed again").format(id=gap_id)
    return _decide(request, csrf, gap_id, kb.restore_gap, done)


def _decide(request: Request, csrf: str, gap_id: int, action: Callable[..., object], done: str) -> Response:
    """One editor's decision on a gap through its kb action, back to the list with what happened."""
    who = editor_gate(request, csrf)
    if isinstance(who, Response):
        return who
    try:
        with writing() as session:
            action(session=session, gap_id=gap_id, actor=actor_of(who, request))
    except (kb.InvalidChange, kb.NotFound) as exc:
        return back(PAGE, exc.detail, "error")
    return back(PAGE, done)


@router.post(f"{PAGE}/merge")
def merge(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)],
    gap: Annotated[list[int] | None, Form(max_length=200)] = None,
) -> Response:
    """Merge the ticked gaps into the first of them (the most asked, as the list is ordered)."""
    who = editor_gate(request, csrf)
    if isinstance(who, Response):
        return who
    chosen = list(dict.fromkeys(gap or []))
    if len(chosen) < 2:
        return back(PAGE, ui_text(request).gettext("Tick two gaps or more to merge them"), "error")
    try:
        with writing() as session:
            kb.merge_gaps(session=session, into=chosen[0], gap_ids=chosen[1:], actor=actor_of(who, request))
    except (kb.InvalidChange, kb.NotFound) as exc:
        return back(PAGE, exc.detail, "error")
    merged = len(chosen) - 1
    note = ui_text(request).ngettext("{count} gap merged into gap {id}", "{count} gaps merged into gap {id}", merged)
    return back(PAGE, note.format(count=merged, id=chosen[0]))
