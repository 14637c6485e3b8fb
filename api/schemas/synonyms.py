"""Synonym sets' bodies: the words clients use interchangeably, per locale."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class SynonymsIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"locale": "ru", "terms": ["баланс", "остаток", "счёт"]}})

    locale: str = Field(min_length=2, max_length=16)
    terms: list[str] = Field(min_length=2, max_length=50)


class SynonymsUpdate(BaseModel):
    terms: list[str] = Field(min_length=2, max_length=50)


class SynonymsOut(BaseModel):
    id: int
    locale: str
    terms: list[str]
    version: int
    updated_by: str
    updated_at: dt.datetime
