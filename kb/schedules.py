"""Scheduled publishing and unpublishing: a change set for a time, run once by the job runner.

Setting a schedule is a kb action (`schedule.create`) that also enqueues one job, due at the
schedule's time, in the same transaction (kb/jobs.py). The runner claims it under a lease once
across processes, and a job missed while no runner was up is simply due at the next start. The
job runs `kb.publish` or `kb.unpublish` — the very actions the API calls — as the person who set
it, in the role `schedule`, in the transaction that also marks the schedule and the job done.

A schedule is bound to what was live when it was set (`live_revision_at_set`). If the live
revision is another by the time it runs (someone published or unpublished by hand), it is
`skipped`, with who changed what in its outcome and a `schedule.skip` audit row and event, so the
change made by hand is never silently undone. A schedule that runs moves the other pending
schedules of the same article that were bound to the state before it on to the state after it:
"publish at 10:00, unpublish at 18:00" set together both run.

Several pending schedules of one article are allowed (a promotion: publish, then unpublish), but
not two due at the same instant, whose order nobody chose (409). A time in the past is accepted
within `PAST_SLACK` (a form sent a few seconds late runs at once) and refused beyond it.
"""

from __future__ import annotations

import datetime as dt
import os
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlmodel import Session, col, select

from kb import jobs, rights
from kb.audit import Actor, as_actor, record_action
from kb.errors import Conflict, InvalidChange, IstokError, NotFound
from kb.models import Article, Job, LogEntry, Schedule, utcnow
from kb.store import get_revision, publish, unpublish

JOB_KIND = "schedules.run"
#: How far in the past a time may be and still be accepted (it then runs at once).
PAST_SLACK = dt.timedelta(seconds=60)
#: How far ahead a schedule may be set: further is almost surely a typo in the year.
MAX_AHEAD = dt.timedelta(days=3660)
#: The role a scheduled change is audited in: the person is the one who set it.
ROLE = "schedule"


class ScheduleAction(StrEnum):
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"


class ScheduleState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    SKIPPED = "skipped"  # what was live changed meanwhile: nothing was done
    CANCELLED = "cancelled"
    FAILED = "failed"  # the action refused (e.g. the revision uses a fact deleted since)


class ScheduleNotFound(NotFound):
    slug = "schedule-not-found"

    def __init__(self, schedule_id: int) -> None:
        super().__init__(f"no schedule {schedule_id}")
        self.schedule_id = schedule_id


def editor_zone() -> ZoneInfo:
    """The zone editors read and type times in: ISTOK_TIMEZONE (an IANA name), default UTC."""
    name = os.environ.get("ISTOK_TIMEZONE", "").strip() or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"ISTOK_TIMEZONE must be an IANA time zone such as Europe/Kyiv, not {name!r}") from None


def local_time(text: str, zone: ZoneInfo) -> dt.datetime:
    """A wall-clock time typed in `zone` (a `datetime-local` field: 2026-12-24T09:00) as an aware instant.

    A time the clocks skip when they move forward does not exist there: refused, not guessed.
    """
    try:
        naive = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidChange(f"{text!r} is not a date and time such as 2026-12-24T09:00") from None
    if naive.tzinfo is not None:
        return naive
    aware = naive.replace(tzinfo=zone)
    if aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise InvalidChange(f"{naive:%Y-%m-%d %H:%M} does not exist in {zone.key}: the clocks skip it")
    return aware


def _target(schedule: Schedule) -> str:
    return f"{schedule.locale}/{schedule.key}"


def _check_time(at: dt.datetime, now: dt.datetime) -> dt.datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidChange("give the time with its zone, e.g. 2026-12-24T09:00:00+02:00 or …Z")
    try:
        at = at.astimezone(dt.UTC)
    except OverflowError:
        raise InvalidChange(f"{at.isoformat()} is out of range; check the year") from None
    if at < now - PAST_SLACK:
        raise InvalidChange(f"{at.isoformat()} is in the past (now is {now.isoformat(timespec='seconds')})")
    if at > now + MAX_AHEAD:
        raise InvalidChange(f"{at.isoformat()} is more than ten years ahead; check the year")
    return at


def _pending_of(session: Session, locale: str, key: str) -> list[Schedule]:
    stmt = select(Schedule).where(
        Schedule.locale == locale, Schedule.key == key, Schedule.state == ScheduleState.PENDING
    )
    return list(session.exec(stmt.order_by(col(Schedule.due_at), col(Schedule.id))))


def _create(
    session: Session,
    *,
    article: Article,
    action: ScheduleAction,
    revision: int | None,
    at: dt.datetime,
    actor: Actor | str,
) -> Schedule:
    who = as_actor(actor)  # the run happens later, as the schedule's role: the setter's rights are checked now
    rights.check(
        who.rights, who=who.name, action="schedule changes to", category=article.category, locale=article.locale
    )
    now = utcnow()
    due = _check_time(at, now)
    pending = _pending_of(session, article.locale, article.key)
    same = [s for s in pending if s.due_at == due]
    if same:
        raise Conflict(
            f"schedule {same[0].id} of {article.locale}/{article.key} is already due at {due.isoformat()}; "
            "cancel it or choose another time"
        )
    earlier = [s for s in pending if s.due_at < due]
    if not earlier:  # nothing due before it could change what is live by then
        if action is ScheduleAction.PUBLISH and revision == article.published_revision:
            raise InvalidChange(f"revision {revision} of {article.locale}/{article.key} is already live")
        if action is ScheduleAction.UNPUBLISH and article.published_revision is None:
            raise InvalidChange(f"{article.locale}/{article.key} is not live: there is nothing to unpublish")
    schedule = Schedule(
        locale=article.locale,
        key=article.key,
        action=action.value,
        revision=revision,
        due_at=due,
        live_revision_at_set=article.published_revision,
        created_by=as_actor(actor).name,
        created_at=now,
    )
    session.add(schedule)
    session.flush()
    jobs.enqueue(session, JOB_KIND, {"schedule": schedule.id}, due_at=max(due, now), dedupe=_dedupe(schedule))
    record_action(
        session,
        actor,
        action="schedule.create",
        target=_target(schedule),
        base_revision=article.published_revision,
        new_revision=revision,
        schedule=schedule.id,
        scheduled=action.value,
        due_at=due.isoformat(),
    )
    return schedule


def _dedupe(schedule: Schedule) -> str:
    return f"schedule:{schedule.id}"


def schedule_publish(
    *, session: Session, article: Article, revision: int, at: dt.datetime, actor: Actor | str
) -> Schedule:
    """Set revision `revision` of `article` to go live at `at` (tz-aware); the revision must exist."""
    get_revision(session=session, article=article, number=revision)
    return _create(session, article=article, action=ScheduleAction.PUBLISH, revision=revision, at=at, actor=actor)


def schedule_unpublish(*, session: Session, article: Article, at: dt.datetime, actor: Actor | str) -> Schedule:
    """Set `article` to go off every public channel at `at` (tz-aware)."""
    return _create(session, article=article, action=ScheduleAction.UNPUBLISH, revision=None, at=at, actor=actor)


def get_schedule(*, session: Session, schedule_id: int) -> Schedule:
    schedule = session.get(Schedule, schedule_id)
    if schedule is None:
        raise ScheduleNotFound(schedule_id)
    return schedule


def list_schedules(
    *,
    session: Session,
    state: ScheduleState | str | None = None,
    locale: str | None = None,
    key: str | None = None,
    limit: int = 100,
) -> list[Schedule]:
    """Pending ones by due time (soonest first), then the others by when they ended (newest first)."""
    stmt = select(Schedule)
    if state:
        stmt = stmt.where(Schedule.state == ScheduleState(state).value)
    if locale:
        stmt = stmt.where(Schedule.locale == locale)
    if key:
        stmt = stmt.where(Schedule.key == key)
    pending_first = sa.case((col(Schedule.state) == ScheduleState.PENDING.value, 0), else_=1)
    stmt = stmt.order_by(
        pending_first,
        sa.case((col(Schedule.state) == ScheduleState.PENDING.value, col(Schedule.due_at)), else_=None),
        col(Schedule.finished_at).desc(),
        col(Schedule.id).desc(),
    )
    return list(session.exec(stmt.limit(limit)))


def cancel_schedule(*, session: Session, schedule_id: int, actor: Actor | str) -> Schedule:
    """Cancel a pending schedule; one that already ran, was skipped or cancelled is a 409."""
    schedule = get_schedule(session=session, schedule_id=schedule_id)
    now = utcnow()
    moved = session.execute(
        sa.update(Schedule)
        .where(col(Schedule.id) == schedule_id, col(Schedule.state) == ScheduleState.PENDING.value)
        .values(state=ScheduleState.CANCELLED.value, finished_at=now, outcome=f"cancelled by {as_actor(actor).name}")
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(schedule)
        raise Conflict(f"schedule {schedule_id} is {schedule.state}, not pending: it can no longer be cancelled")
    session.refresh(schedule)
    queued = (col(Job.dedupe) == _dedupe(schedule)) & (col(Job.state) == jobs.JobState.QUEUED.value)
    session.execute(sa.delete(Job).where(queued).execution_options(synchronize_session=False))
    record_action(
        session,
        actor,
        action="schedule.cancel",
        target=_target(schedule),
        new_revision=schedule.revision,
        schedule=schedule.id,
        scheduled=schedule.action,
        due_at=schedule.due_at.isoformat(),
    )
    return schedule


# ---- running ----


def _what_changed(session: Session, schedule: Schedule, article: Article) -> str:
    """Who made what live (or took it off) after the schedule was set, for the skip's outcome."""
    entry = session.exec(
        select(LogEntry).where(LogEntry.article_id == article.id).order_by(col(LogEntry.seq).desc()).limit(1)
    ).first()
    was = f"revision {schedule.live_revision_at_set}" if schedule.live_revision_at_set else "nothing"
    now = f"revision {article.published_revision}" if article.published_revision else "nothing"
    if entry is None:
        return f"{was} was live when it was set, {now} is live now"
    did = "took it off" if entry.revision is None else f"made revision {entry.revision} live"
    return f"{was} was live when it was set; {entry.actor} {did} at {entry.at.isoformat(timespec='seconds')}"


def _finish(session: Session, schedule: Schedule, state: ScheduleState, outcome: str) -> None:
    schedule.state = state.value
    schedule.outcome = outcome
    schedule.finished_at = utcnow()
    session.add(schedule)
    session.flush()


def _rebind(session: Session, schedule: Schedule, *, before: int | None, after: int | None) -> None:
    """The article's other pending schedules bound to the state before this one now expect the state after."""
    session.execute(
        sa.update(Schedule)
        .where(
            col(Schedule.locale) == schedule.locale,
            col(Schedule.key) == schedule.key,
            col(Schedule.state) == ScheduleState.PENDING.value,
            col(Schedule.id) != schedule.id,
            col(Schedule.live_revision_at_set).is_(None)
            if before is None
            else col(Schedule.live_revision_at_set) == before,
        )
        .values(live_revision_at_set=after)
        .execution_options(synchronize_session=False)
    )


def run_schedule(session: Session, schedule_id: int) -> Schedule | None:
    """Do what a pending schedule says, or skip it if what was live changed; None if not pending.

    Runs in the caller's transaction (the job's), so the change, the schedule's end and the
    job's end commit together or not at all. The article's row is locked first, so runs of one
    article's schedules take turns across processes; and the article's pending schedules due
    before this one run first, here, in their order: two runners that claimed "publish at 10:00"
    and "unpublish at 10:00:30" side by side cannot apply them the wrong way round.
    """
    found = session.get(Schedule, schedule_id)
    if found is None or found.state != ScheduleState.PENDING:
        return None
    article = session.exec(
        select(Article)
        .where(Article.key == found.key, Article.locale == found.locale)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    due = session.exec(
        select(Schedule)
        .where(Schedule.locale == found.locale, Schedule.key == found.key, Schedule.state == ScheduleState.PENDING)
        .where(
            sa.or_(
                col(Schedule.due_at) < found.due_at,
                (col(Schedule.due_at) == found.due_at) & (col(Schedule.id) <= schedule_id),
            )
        )
        .order_by(col(Schedule.due_at), col(Schedule.id))
        .with_for_update()  # a cancel waits for this run, and then finds it no longer pending
        .execution_options(populate_existing=True)
    ).all()
    mine = None
    for schedule in due:
        session.refresh(schedule)  # an earlier one that ran here may have rebound it (_rebind)
        _run_one(session, schedule, article)
        mine = schedule if schedule.id == schedule_id else mine
    return mine


def _run_one(session: Session, schedule: Schedule, article: Article | None) -> None:
    actor = Actor(name=schedule.created_by, role=ROLE)
    if article is None:
        _finish(session, schedule, ScheduleState.FAILED, f"failed: {schedule.locale}/{schedule.key} no longer exists")
        return
    before = article.published_revision
    detail: dict[str, Any] = {"schedule": schedule.id, "scheduled": schedule.action}
    if before != schedule.live_revision_at_set:
        outcome = f"skipped: {_what_changed(session, schedule, article)}"
        _finish(session, schedule, ScheduleState.SKIPPED, outcome)
        record_action(
            session,
            actor,
            action="schedule.skip",
            target=_target(schedule),
            base_revision=before,
            **detail,
            outcome=outcome,
        )
        return
    try:
        with session.begin_nested():  # a refused action leaves nothing behind, its events included
            if schedule.action == ScheduleAction.PUBLISH:
                publish(session=session, article=article, revision=schedule.revision, actor=actor)
            else:
                unpublish(session=session, article=article, actor=actor)
    except IstokError as exc:
        session.refresh(article)
        outcome = f"failed: {exc.detail}"
        _finish(session, schedule, ScheduleState.FAILED, outcome)
        record_action(
            session,
            actor,
            action="schedule.fail",
            target=_target(schedule),
            base_revision=before,
            **detail,
            outcome=outcome,
        )
        return
    after = article.published_revision
    if schedule.action == ScheduleAction.PUBLISH:
        outcome = f"revision {after} made live" if after != before else f"revision {after} was already live"
    else:
        outcome = "taken off every public channel" if before is not None else "was not live"
    _finish(session, schedule, ScheduleState.DONE, outcome)
    _rebind(session, schedule, before=before, after=after)
    record_action(
        session,
        actor,
        action="schedule.run",
        target=_target(schedule),
        base_revision=before,
        new_revision=after,
        **detail,
        outcome=outcome,
    )


@jobs.handler(JOB_KIND, max_attempts=5, backoff=dt.timedelta(seconds=10))
def _run_job(session: Session, payload: dict[str, Any]) -> None:
    run_schedule(session, int(payload["schedule"]))
