"""The audit log over HTTP, for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

import kb
from api.deps import AdminKey, reading
from api.http.errors_doc import responses
from api.schemas import MAX_INT32, AuditOut, AuditPage

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], responses=responses(401, 403, 422))


@router.get("", response_model=AuditPage, summary="Every write, newest first")
def audit(
    _who: AdminKey,
    before: Annotated[int | None, Query(ge=1, le=MAX_INT32, description="`next` from the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    action: Annotated[str | None, Query(max_length=64, examples=["article.save"])] = None,
) -> AuditPage:
    with reading() as session:
        rows = kb.audit_entries(session=session, before_id=before, limit=limit + 1, action=action)
        page = rows[:limit]
        items = [AuditOut.model_validate(r, from_attributes=True) for r in page]
        return AuditPage(items=items, next=page[-1].id if len(rows) > limit and page else None)
