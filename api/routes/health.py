"""Liveness and readiness for load balancers and orchestrators, and the store's state for a newcomer.

`/healthz` answers whenever the process does; `/readyz` only when this process should get
traffic: the database answers, its schema is this code's migration head, and the search
index has applied every publication-log entry older than ISTOK_READY_LAG seconds (30).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import asdict, replace
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

import kb
from api import runtime
from api.http.limitstore import store as limit_store
from api.http.problems import problem
from api.schemas import (
    Health,
    IndexState,
    JobsState,
    LimitsState,
    ListenerState,
    LocaleCounts,
    Problem,
    QuarantinedUnit,
    Readiness,
    SemanticState,
)

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness and store state")
def healthz() -> Health:
    """Counts per locale, the last publication sequence, quarantined units, the job queue, the semantic
    evidence, where the rate limits count, and whether publishes elsewhere reach this process by NOTIFY."""
    engine, index = runtime.engine(), runtime.index()
    quarantined = [QuarantinedUnit(**asdict(q)) for q in index.quarantine.units()]
    with kb.read_session(engine) as session:
        counts = kb.counts_by_locale(session=session)
        seq = kb.last_seq(session)
    jobs = kb.jobs_health(engine)
    semantic = kb.semantic_status()
    failed = semantic.wanted and (semantic.failed or not index.use_semantic)
    limits = limit_store.status()
    unshared = limit_store.configured and not limits.shared  # Redis was asked for but is away
    return Health(
        status="degraded" if quarantined or jobs.late or failed or unshared or not index.writable else "ok",
        database=engine.dialect.name,
        articles={loc: LocaleCounts(**c) for loc, c in sorted(counts.items())},
        published_total=sum(c["published"] for c in counts.values()),
        last_seq=seq,
        quarantined=quarantined,
        jobs=JobsState(**asdict(jobs)),
        semantic=SemanticState(**asdict(_warming(semantic, index))),
        limits=LimitsState(**asdict(limits)),
        listener=ListenerState(**asdict(runtime.listener_state())),
        index=IndexState(private=index.private, writable=index.writable, detail=index.private_reason or "shared"),
    )


def _warming(state: kb.SemanticStatus, index: kb.SearchIndex) -> kb.SemanticStatus:
    """Say so while phrase vectors are still being read, encoded or compiled (answers are lexical meanwhile)."""
    if state.wanted and not state.loaded and not state.failed and index.use_semantic:
        return replace(state, detail="warming: loading the encoder; answers use lexical evidence until then")
    if not state.loaded or index.vectors_ready():
        return state
    pending = index.vectors_pending()
    return replace(state, detail=f"warming: {pending} phrases still to encode; answers use lexical evidence until then")


#: How long a failed readiness check asks a prober to wait before asking again.
READY_RETRY_AFTER = 5
_NOT_READY: dict[int | str, dict[str, Any]] = {
    503: {
        "model": Problem,
        "description": "Not ready: `detail` names the failed check; `checks` has each check's state; see Retry-After",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
}


@router.get(
    "/readyz", response_model=Readiness, responses=_NOT_READY, summary="Readiness for traffic (503 when not ready)"
)
def readyz(response: Response) -> Readiness | JSONResponse:
    """Whether this process should get traffic: database reachable, schema current, index caught up."""
    response.headers["Cache-Control"] = "no-store"
    checks = dict.fromkeys(("database", "schema", "index"), "not checked")
    engine = runtime.engine()
    last = index_seq = 0
    lag = 0.0
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        checks["database"] = "ok"
        kb.ensure_migrated(engine)
        checks["schema"] = "ok"
        last, index_seq, lag = _index_lag()
        allowed = float(os.environ.get("ISTOK_READY_LAG", "30"))
        checks["index"] = (
            "ok" if lag <= allowed else f"{last - index_seq} log entries not applied, the oldest for {lag:.0f} s"
        )
    except sa.exc.SQLAlchemyError as exc:
        checks[next(k for k, v in checks.items() if v == "not checked")] = _first_line(exc)
    except kb.DatabaseNotMigrated as exc:
        checks["schema"] = exc.detail
    failed = [name for name, state in checks.items() if state != "ok"]
    if not failed:
        return Readiness(status="ready", checks=checks, last_seq=last, index_seq=index_seq, index_lag_seconds=lag)
    detail = f"not ready: {failed[0]}: {checks[failed[0]]}"
    refused = problem(503, "not-ready", "Not ready", detail, checks=checks)
    refused.headers["Retry-After"] = str(READY_RETRY_AFTER)
    refused.headers["Cache-Control"] = "no-store"
    return refused


def _index_lag() -> tuple[int, int, float]:
    """The log's last sequence, the index's, and how long the oldest entry not yet applied has waited.

    The index catches up first, as a reader's poll would: what is measured is whether it can.
    """
    index = runtime.index()
    index.poll()
    with kb.read_session(runtime.engine()) as session:
        last = kb.last_seq(session)
        waiting = kb.changes_since(session, since=index.seq, limit=1)
    if not waiting:
        return last, index.seq, 0.0
    written = waiting[0].at if waiting[0].at.tzinfo else waiting[0].at.replace(tzinfo=dt.UTC)
    return last, index.seq, max(0.0, (dt.datetime.now(dt.UTC) - written).total_seconds())


def _first_line(exc: sa.exc.SQLAlchemyError) -> str:
    """The driver's own message, without SQLAlchemy's SQL echo and background link."""
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
