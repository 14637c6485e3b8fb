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


class Health(BaseModel):
    status: str = Field(
        description="`ok`, or `degraded` while some units are quarantined or due jobs wait over a minute"
    )
    database: str
    articles: dict[str, LocaleCounts]
    published_total: int
    last_seq: int
    quarantined: list[QuarantinedUnit]
    jobs: JobsState
