"""Facts' bodies: a typed value kept once, and every value it has had."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.fields import MAX_SAFE

#: A fact's value: text, or a number a client reads back exactly (larger ones go as text, e.g. "1e30").
#: Strict, so that `true` is refused rather than stored as the number 1.
FactValue = (
    Annotated[str, Field(strict=True)]
    | Annotated[int, Field(strict=True, ge=-MAX_SAFE, le=MAX_SAFE)]
    | Annotated[float, Field(strict=True, ge=-MAX_SAFE, le=MAX_SAFE, allow_inf_nan=False)]
)


class FactIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"type": "money", "value": "2.99 EUR", "locales": {}}},
    )

    type: str = Field(description="text, phone, money, url, date or number")
    value: FactValue
    locales: dict[str, FactValue] = Field(default_factory=dict, description="Per-locale values")


class FactOut(BaseModel):
    key: str
    type: str
    value: Any
    locales: dict[str, Any]
    version: int
    updated_by: str
    updated_at: dt.datetime


class FactVersionOut(BaseModel):
    version: int
    type: str
    value: Any
    locales: dict[str, Any]
    author: str
    at: dt.datetime
