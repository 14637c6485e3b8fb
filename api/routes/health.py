"""Liveness and the store's state, for load balancers and for a newcomer's first look."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

import kb
from api import runtime
from api.schemas import Health, JobsState, LocaleCounts, QuarantinedUnit

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness and store state")
def healthz() -> Health:
    """Counts per locale, the last publication sequence number, any quarantined units and the job queue."""
    engine = runtime.engine()
    quarantined = [QuarantinedUnit(**asdict(q)) for q in runtime.index().quarantine.units()]
    with kb.read_session(engine) as session:
        counts = kb.counts_by_locale(session=session)
        seq = kb.last_seq(session)
    jobs = kb.jobs_health(engine)
    return Health(
        status="degraded" if quarantined or jobs.late else "ok",
        database=engine.dialect.name,
        articles={loc: LocaleCounts(**c) for loc, c in sorted(counts.items())},
        published_total=sum(c["published"] for c in counts.values()),
        last_seq=seq,
        quarantined=quarantined,
        jobs=JobsState(**asdict(jobs)),
    )
