"""Translations over HTTP: which locales of which keys are missing or behind their source."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

import kb
from api.deps import EditorKey, reading
from api.http.errors_doc import responses
from api.routes.articles import KeyPath
from api.schemas.translations import TranslationOut

router = APIRouter(prefix="/api/v1/translations", tags=["translations"], responses=responses(401, 403, 422))
StateQuery = Annotated[
    kb.TranslationState | None, Query(description="Only this state (default: missing, outdated and unlinked)")
]


def _out(t: kb.Translation) -> TranslationOut:
    return TranslationOut(
        key=t.key,
        locale=t.locale,
        state=t.state.value,
        source_locale=t.source_locale,
        source_revision=t.source_revision,
        based_on=t.based_on,
        behind=t.behind,
        title=t.title,
        draft_revision=t.draft_revision,
    )


@router.get("", response_model=list[TranslationOut], summary="Translations missing or behind their source")
def list_translations(
    _who: EditorKey,
    locale: Annotated[str | None, Query(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$", description="Only this locale")] = None,
    state: StateQuery = None,
) -> list[TranslationOut]:
    """Per key and locale: missing, outdated (the source has a newer live revision) or unlinked."""
    with reading() as session:
        return [
            _out(t) for t in kb.translation_report(session=session, locale=locale, states=(state,) if state else ())
        ]


@router.get("/{key}", response_model=list[TranslationOut], summary="Every locale of one key", responses=responses(404))
def key_translations(key: KeyPath, _who: EditorKey) -> list[TranslationOut]:
    """Each locale of `key` judged against its source, missing ones included."""
    with reading() as session:
        found = kb.translation_states(session=session, key=key)
        if not found:
            raise kb.NotFound(f"no article {key!r}")
        return [_out(t) for t in found]
