"""Translations that know they are stale (issue #16)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TranslationOut(BaseModel):
    key: str
    locale: str
    state: str = Field(description="source, current, outdated, missing, or unlinked (made before sources were kept)")
    source_locale: str = Field(description="The key's source: the required locale, else the first written")
    source_revision: int = Field(description="The source revision a translation follows: its live one, else its draft")
    based_on: int | None = Field(default=None, description="The source revision this translation was made from")
    behind: int = Field(default=0, description="Source revisions not carried over yet")
    title: str = ""
    draft_revision: int | None = None
