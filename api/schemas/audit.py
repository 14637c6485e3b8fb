"""The audit log's bodies: every write, who did it and from where."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel


class AuditOut(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    role: str
    action: str
    target: str
    base_revision: int | None
    new_revision: int | None
    detail: dict[str, Any]
    client: str | None


class AuditPage(BaseModel):
    items: list[AuditOut]
    next: int | None
