"""The changes feed's bodies: publication-log entries, a page at a time."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class ChangeOut(BaseModel):
    seq: int
    kind: str = Field(description="publish, unpublish, rollback or fact")
    key: str | None
    locale: str | None
    revision: int | None
    content_hash: str | None
    fact_key: str | None
    at: dt.datetime


class ChangesPage(BaseModel):
    items: list[ChangeOut]
    last_seq: int = Field(description="The newest sequence number in the log")
    next: int = Field(description="Pass as `since` to continue")
