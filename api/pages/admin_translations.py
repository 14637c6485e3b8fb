"""The admin's translations: what is missing or behind its source, and each key side by side.

A translation behind its source shows the source's diff since the revision it was made from;
bringing it up to date is saving it with "follows source revision N" (the editor's checkbox),
or, when its text needs no change, one click that moves the record without a new revision.
Both go through `kb.save_draft`, like every other save.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response

import kb
from api.deps import actor_of, reading, writing
from api.pages.admin import back, editor_gate, staff_page
from api.pages.admin_content import line_kind
from api.pages.i18n import ui_text

router = APIRouter(include_in_schema=False)


@router.get("/admin/translations")
def overview(request: Request, locale: Annotated[str | None, Query(max_length=16)] = None) -> Response:
    """Per locale: the keys missing there and the translations behind their source."""
    who = editor_gate(request)
    if isinstance(who, Response):
        return who
    with reading() as session:
        found = kb.translation_report(session=session, locale=locale or None)
    by_locale: dict[str, list[kb.Translation]] = {}
    for t in found:
        by_locale.setdefault(t.locale, []).append(t)
    ctx = {
        "title": "Translations",
        "section": "translations",
        "by_locale": sorted(by_locale.items(), key=lambda item: _rank(item[0])),
        "locale": locale or "",
        "locales": kb.LOCALES,
        "required": kb.required_locale(),
    }
    return staff_page(request, who, "admin_translations_list.html", ctx)


def _rank(locale: str) -> int:
    return kb.LOCALES.index(locale) if locale in kb.LOCALES else len(kb.LOCALES)


@router.get("/admin/translations/{key}")
def side_by_side(request: Request, key: str) -> Response:
    """Every locale's draft of one article side by side, each with its state and the source's diff since it."""
    who = editor_gate(request)
    if isinstance(who, Response):
        return who
    with reading() as session:
        drafts = kb.translations_of(session=session, key=key)
        if not drafts:
            raise kb.NotFound(f"no article {key!r}")
        states = {t.locale: t for t in kb.translation_states(session=session, key=key)}
        source = next((a for a, _ in drafts if states[a.locale].state is kb.TranslationState.SOURCE), None)
        columns: list[dict[str, Any]] = []
        for article, text in drafts:
            state = states[article.locale]
            changes: list[tuple[str, str]] = []
            if state.state is kb.TranslationState.OUTDATED and source is not None and state.based_on is not None:
                diff = kb.diff(
                    session=session, article=source, from_revision=state.based_on, to_revision=state.source_revision
                )
                changes = [(line_kind(line), line) for line in diff.splitlines()]
            columns.append({"a": article, "source": text, "state": state, "changes": changes})
    missing = [t.locale for t in states.values() if t.state is kb.TranslationState.MISSING]
    ctx = {
        "title": f"Translations of {key}",
        "section": "translations",
        "key": key,
        "columns": columns,
        "missing": missing,
    }
    return staff_page(request, who, "admin_translations.html", ctx)


@router.post("/admin/translations/{key}/{locale}/follow")
def follow(
    request: Request,
    key: str,
    locale: str,
    revision: Annotated[int, Form(ge=1)],
    base: Annotated[int, Form(ge=1)],
    csrf: Annotated[str, Form(max_length=200)],
) -> Response:
    """Mark a translation as following source revision `revision` without changing its text."""
    who = editor_gate(request, csrf)
    if isinstance(who, Response):
        return who
    where = f"/admin/translations/{key}"
    try:
        with writing() as session:
            article = kb.get_article(session=session, key=key, locale=locale)
            draft = kb.get_revision(session=session, article=article, number=article.draft_revision)
            kb.save_draft(
                session=session,
                source=draft.source,
                base_revision=base,
                actor=actor_of(who, request),
                message="follows its source",
                file="editor",
                translated_from=revision,
            )
    except kb.RevisionConflict:
        problem = ui_text(request).gettext("{locale} changed meanwhile: look again before marking it")
        return back(where, problem.format(locale=locale), "error")
    except kb.InvalidChange as exc:
        return back(where, str(exc), "error")
    note = ui_text(request).gettext("{locale} follows source revision {number}")
    return back(where, note.format(locale=locale, number=revision))
