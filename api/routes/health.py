"""Liveness and the store's state, for load balancers and for a newcomer's first look."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

import kb
from api import runtime

router = APIRouter(tags=["health"])


class LocaleCounts(BaseModel):
    articles: int
    published: int


class Health(BaseModel):
    status: str
    database: str
    articles: dict[str, LocaleCounts]
    published_total: int
    last_seq: int


@router.get("/healthz", response_model=Health, summary="Liveness and store state")
def healthz() -> Health:
    """Counts per locale and the last publication sequence number."""
    engine = runtime.engine()
    with kb.read_session(engine) as session:
        counts = kb.counts_by_locale(session=session)
        seq = kb.last_seq(session)
    return Health(
        status="ok",
        database=engine.dialect.name,
        articles={loc: LocaleCounts(**c) for loc, c in sorted(counts.items())},
        published_total=sum(c["published"] for c in counts.values()),
        last_seq=seq,
    )
