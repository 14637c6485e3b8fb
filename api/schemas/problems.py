"""The body of every error response: RFC 9457 problem details."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "type": "https://istok.dev/problems/revision-conflict",
                "title": "RevisionConflict",
                "status": 412,
                "detail": "article 'check-balance' (en) was changed meanwhile: ...",
            }
        },
    )

    type: str
    title: str
    status: int
    detail: str
