"""Liveness and the store's state, for load balancers and for a newcomer's first look."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

import kb
from api import runtime

router = APIRouter(tags=["health"])


class LocaleCounts(BaseModel):
    articles: int
    published: int


class QuarantinedUnit(BaseModel):
    """A live unit this process left out of search and answers because it failed to load."""

    key: str
    locale: str
    revision: int
    reason: str
    since: datetime


class Health(BaseModel):
    status: str = Field(description="`ok`, or `degraded` while some units are quarantined")
    database: str
    articles: dict[str, LocaleCounts]
    published_total: int
    last_seq: int
    quarantined: list[QuarantinedUnit]


@router.get("/healthz", response_model=Health, summary="Liveness and store state")
def healthz() -> Health:
    """Counts per locale, the last publication sequence number and any quarantined units."""
    engine = runtime.engine()
    quarantined = [QuarantinedUnit(**asdict(q)) for q in runtime.index().quarantine.units()]
    with kb.read_session(engine) as session:
        counts = kb.counts_by_locale(session=session)
        seq = kb.last_seq(session)
    return Health(
        status="degraded" if quarantined else "ok",
        database=engine.dialect.name,
        articles={loc: LocaleCounts(**c) for loc, c in sorted(counts.items())},
        published_total=sum(c["published"] for c in counts.values()),
        last_seq=seq,
        quarantined=quarantined,
    )
