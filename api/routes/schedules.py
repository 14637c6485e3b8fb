"""Scheduled publishing over HTTP: set a publish or an unpublish for a time, list, cancel.

The same `kb` actions as the admin page and `istok schedule`: kb checks the time (with a zone,
not in the past beyond a minute), that the revision exists, and that no other schedule of the
article is due at the same instant. The job runner of `istok serve` does the change when due.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

import kb
from api.deps import EditorKey, actor_of, reading, writing
from api.http.errors_doc import responses
from api.routes.articles import KeyPath, LocalePath
from api.schemas import MAX_INT32

router = APIRouter(prefix="/api/v1", tags=["schedules"], responses=responses(401, 403, 404, 422))
ScheduleId = Annotated[int, Path(ge=1, le=MAX_INT32)]
StateName = Literal["pending", "done", "skipped", "cancelled", "failed"]


class ScheduleIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"action": "publish", "revision": 3, "at": "2026-12-24T09:00:00+02:00"}}
    )

    action: Literal["publish", "unpublish"]
    revision: int | None = Field(
        default=None,
        ge=1,
        le=MAX_INT32,
        description="The revision to make live; required to publish, absent to unpublish",
    )
    at: AwareDatetime = Field(description="When, with its offset; at most a minute in the past (then it runs at once)")


class ScheduleOut(BaseModel):
    id: int
    locale: str
    key: str
    action: str = Field(description="`publish` or `unpublish`")
    revision: int | None = Field(description="The revision to make live (publish)")
    due_at: dt.datetime
    live_revision_at_set: int | None = Field(
        description="What was live when it was set; if that changed by the time it runs, it is skipped"
    )
    created_by: str
    created_at: dt.datetime
    state: str = Field(description="`pending`, `done`, `skipped`, `cancelled` or `failed`")
    outcome: str = Field(description="What happened, or why it was skipped or failed (who changed what meanwhile)")
    finished_at: dt.datetime | None


def schedule_out(s: kb.Schedule) -> ScheduleOut:
    return ScheduleOut(
        id=s.id or 0,
        locale=s.locale,
        key=s.key,
        action=s.action,
        revision=s.revision,
        due_at=s.due_at,
        live_revision_at_set=s.live_revision_at_set,
        created_by=s.created_by,
        created_at=s.created_at,
        state=s.state,
        outcome=s.outcome,
        finished_at=s.finished_at,
    )


@router.post(
    "/articles/{locale}/{key}/schedule",
    response_model=ScheduleOut,
    status_code=201,
    summary="Schedule a publish or an unpublish",
    responses=responses(409, 413),
)
def schedule(locale: LocalePath, key: KeyPath, body: ScheduleIn, request: Request, who: EditorKey) -> ScheduleOut:
    """Bound to what is live now: if someone changes that by hand first, the schedule is skipped."""
    if body.action == "publish" and body.revision is None:
        raise kb.InvalidChange("name the revision to publish")
    if body.action == "unpublish" and body.revision is not None:
        raise kb.InvalidChange("an unpublish takes no revision")
    with writing() as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        actor = actor_of(who, request)
        if body.revision is not None:
            made = kb.schedule_publish(
                session=session, article=article, revision=body.revision, at=body.at, actor=actor
            )
        else:
            made = kb.schedule_unpublish(session=session, article=article, at=body.at, actor=actor)
        return schedule_out(made)


@router.get("/schedules", response_model=list[ScheduleOut], summary="Pending and past schedules")
def list_schedules(
    _who: EditorKey,
    state: Annotated[StateName | None, Query()] = None,
    locale: Annotated[str | None, Query(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")] = None,
    key: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9_-]{0,127}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ScheduleOut]:
    """Pending ones soonest first, then the finished ones, most recent first."""
    with reading() as session:
        rows = kb.list_schedules(session=session, state=state, locale=locale, key=key, limit=limit)
        return [schedule_out(s) for s in rows]


@router.delete(
    "/schedules/{schedule_id}",
    response_model=ScheduleOut,
    summary="Cancel a pending schedule",
    responses=responses(409),
)
def cancel(schedule_id: ScheduleId, request: Request, who: EditorKey) -> ScheduleOut:
    """The schedule stays in the list as `cancelled`; one that already ran or ended is a 409."""
    with writing() as session:
        return schedule_out(kb.cancel_schedule(session=session, schedule_id=schedule_id, actor=actor_of(who, request)))
