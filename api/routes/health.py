"""Liveness and the store's state, for load balancers and for a newcomer's first look."""

from __future__ import annotations

from dataclasses import asdict, replace

from fastapi import APIRouter

import kb
from api import runtime
from api.schemas import Health, JobsState, LocaleCounts, QuarantinedUnit, SemanticState

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness and store state")
def healthz() -> Health:
    """Counts per locale, the last publication sequence, quarantined units, the job queue, the semantic evidence."""
    engine = runtime.engine()
    quarantined = [QuarantinedUnit(**asdict(q)) for q in runtime.index().quarantine.units()]
    with kb.read_session(engine) as session:
        counts = kb.counts_by_locale(session=session)
        seq = kb.last_seq(session)
    jobs = kb.jobs_health(engine)
    semantic = kb.semantic_status()
    failed = semantic.wanted and (semantic.failed or not runtime.index().use_semantic)
    return Health(
        status="degraded" if quarantined or jobs.late or failed else "ok",
        database=engine.dialect.name,
        articles={loc: LocaleCounts(**c) for loc, c in sorted(counts.items())},
        published_total=sum(c["published"] for c in counts.values()),
        last_seq=seq,
        quarantined=quarantined,
        jobs=JobsState(**asdict(jobs)),
        semantic=SemanticState(**asdict(_warming(semantic, runtime.index()))),
    )


def _warming(state: kb.SemanticStatus, index: kb.SearchIndex) -> kb.SemanticStatus:
    """Say so while phrase vectors are still being read, encoded or compiled (answers are lexical meanwhile)."""
    if state.wanted and not state.loaded and not state.failed and index.use_semantic:
        return replace(state, detail="warming: loading the encoder; answers use lexical evidence until then")
    if not state.loaded or index.vectors_ready():
        return state
    pending = index.vectors_pending()
    return replace(state, detail=f"warming: {pending} phrases still to encode; answers use lexical evidence until then")
