"""The job runner: work that happens later, kept in the database and run once across processes.

A job is a row of `jobs`. A runner claims due jobs in a short transaction of its own —
`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, the writer's lock of `BEGIN IMMEDIATE`
(kb.db.write_session) on SQLite — and marks them `running` under a lease. It then runs each
handler in a transaction of its own which also marks the job `done`, but only while the lease is
still its own: a runner that lost its lease (it stalled, the job was claimed again) rolls its
handler's writes back. A failure is recorded and retried with exponential backoff until
`max_attempts`, then the job is `failed`. A runner that dies leaves its jobs `running`; when
their lease expires the next runner claims them again (an attempt used up).

Every `istok serve` worker runs one `Runner`; exactly once comes from the database, not from
how many runners there are.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func

from kb import outbox
from kb.db import read_session, write_session
from kb.models import Job, UserSession, utcnow

logger = logging.getLogger(__name__)

Handler = Callable[[Session, dict[str, Any]], None]
MAX_BACKOFF = dt.timedelta(hours=6)
#: A due job waiting longer than this means no runner is taking jobs: /healthz says `degraded`.
LATE_AFTER = dt.timedelta(seconds=60)


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class JobKind:
    """What runs a kind of job and how: attempts, backoff base, lease, and `every` if it recurs."""

    name: str
    run: Handler
    max_attempts: int = 5
    backoff: dt.timedelta = dt.timedelta(seconds=10)
    lease: dt.timedelta = dt.timedelta(minutes=5)
    every: dt.timedelta | None = None


KINDS: dict[str, JobKind] = {}


def register(kind: str, run: Handler, **options: Any) -> JobKind:
    """Make `run(session, payload)` the handler of `kind` (options: the fields of JobKind)."""
    registered = JobKind(name=kind, run=run, **options)
    KINDS[kind] = registered
    return registered


def handler(kind: str, **options: Any) -> Callable[[Handler], Handler]:
    """`@handler("kind")`: register the decorated function as the handler of `kind`."""

    def decorate(run: Handler) -> Handler:
        register(kind, run, **options)
        return run

    return decorate


def _kind(name: str) -> JobKind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown job kind {name!r}; known kinds: {', '.join(sorted(KINDS))}") from None


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    due_at: dt.datetime | None = None,
    dedupe: str | None = None,
) -> int | None:
    """Add a job in the caller's transaction, so it exists exactly when the caller's write does.

    Returns its id, or None when a pending job already holds `dedupe`.
    """
    values = {
        "kind": _kind(kind).name,
        "payload": payload or {},
        "dedupe": dedupe,
        "state": JobState.QUEUED.value,
        "due_at": due_at or utcnow(),
        "attempts": 0,
        "max_attempts": KINDS[kind].max_attempts,
        "created_at": utcnow(),
    }
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(Job).values(**values).on_conflict_do_nothing().returning(col(Job.id))
    new_id = session.execute(stmt).scalar_one_or_none()
    return None if new_id is None else int(new_id)


@dataclass(frozen=True)
class _Claim:
    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int


def run_due(
    engine: sa.Engine,
    *,
    worker: str,
    limit: int = 10,
    now: dt.datetime | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Claim up to `limit` due jobs of the kinds registered here and run them; returns how many.

    `now` stands in for the clock (tests); a set `stop` hands the claimed jobs not yet
    started back to the queue.
    """
    claims = _claim(engine, worker=worker, limit=limit, now=now or utcnow())
    for i, claim in enumerate(claims):
        if stop is not None and stop.is_set():
            _release(engine, claims[i:], worker=worker)
            return i
        _run(engine, claim, worker=worker, now=now)
    return len(claims)


def _claim(engine: sa.Engine, *, worker: str, limit: int, now: dt.datetime) -> list[_Claim]:
    due = (col(Job.state) == JobState.QUEUED) & (col(Job.due_at) <= now)
    abandoned = (col(Job.state) == JobState.RUNNING) & (col(Job.locked_until) < now)
    wanted = col(Job.kind).in_(list(KINDS)) & (due | abandoned)
    with read_session(engine) as session:  # most polls find nothing: no write lock for them
        if session.execute(sa.select(col(Job.id)).where(wanted).limit(1)).first() is None:
            return []
    fields = (Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts, Job.state, Job.locked_by)
    claims: list[_Claim] = []
    with write_session(engine) as session:
        rows = session.execute(
            sa.select(*(col(f) for f in fields))
            .where(wanted)
            .order_by(col(Job.due_at), col(Job.id))
            .limit(limit)
            .with_for_update(skip_locked=True)  # SQLite prints no FOR UPDATE: BEGIN IMMEDIATE holds its lock
        ).all()
        for job_id, kind, payload, attempts, max_attempts, state, locked_by in rows:
            lost = f"the runner {locked_by} stopped while running it (lease expired)" if state == "running" else None
            if attempts >= max_attempts:
                _end(session, job_id, kind, state=JobState.FAILED, error=lost)
                continue
            values: dict[str, Any] = {"state": JobState.RUNNING.value, "attempts": attempts + 1}
            values |= {"locked_by": worker, "locked_until": now + KINDS[kind].lease}
            if lost:
                values["last_error"] = lost
            session.execute(sa.update(Job).where(col(Job.id) == job_id).values(**values))
            claims.append(_Claim(job_id, kind, dict(payload), attempt=attempts + 1, max_attempts=max_attempts))
    return claims


class _LeaseLost(Exception):
    pass


def _mine(claim: _Claim, worker: str) -> sa.ColumnElement[bool]:
    return (
        (col(Job.id) == claim.id)
        & (col(Job.state) == JobState.RUNNING)
        & (col(Job.locked_by) == worker)
        & (col(Job.attempts) == claim.attempt)
    )


def _run(engine: sa.Engine, claim: _Claim, *, worker: str, now: dt.datetime | None) -> None:
    kind = KINDS[claim.kind]
    try:
        with write_session(engine) as session:
            kind.run(session, claim.payload)
            if not _end(session, claim.id, claim.kind, state=JobState.DONE, where=_mine(claim, worker)):
                raise _LeaseLost
    except _LeaseLost:
        logger.warning("job %s (%s): lease lost before it finished; its writes were rolled back", claim.id, kind.name)
    except Exception as exc:
        logger.warning("job %s (%s) attempt %s failed: %r", claim.id, kind.name, claim.attempt, exc)
        _failed(engine, claim, worker=worker, error=f"{type(exc).__name__}: {exc}"[:2000], now=now or utcnow())


def _failed(engine: sa.Engine, claim: _Claim, *, worker: str, error: str, now: dt.datetime) -> None:
    kind = KINDS[claim.kind]
    with write_session(engine) as session:
        if claim.attempt >= claim.max_attempts:
            _end(session, claim.id, claim.kind, state=JobState.FAILED, error=error, where=_mine(claim, worker))
            return
        delay = min(kind.backoff * 2 ** (claim.attempt - 1), MAX_BACKOFF) * (1 + random.random() / 10)
        session.execute(
            sa.update(Job)
            .where(_mine(claim, worker))
            .values(state=JobState.QUEUED.value, due_at=now + delay, last_error=error)
            .values(locked_by=None, locked_until=None)
        )


def _end(
    session: Session,
    job_id: int,
    kind: str,
    *,
    state: JobState,
    error: str | None = None,
    where: sa.ColumnElement[bool] | None = None,
) -> bool:
    """Mark a job done or failed (freeing its dedupe key); a recurring kind gets its next run."""
    values: dict[str, Any] = {"state": state.value, "finished_at": utcnow(), "dedupe": None, "locked_until": None}
    if error:
        values["last_error"] = error
    updated = session.execute(sa.update(Job).where(col(Job.id) == job_id if where is None else where).values(**values))
    if updated.rowcount != 1:  # type: ignore[attr-defined]
        return False
    every = KINDS[kind].every
    if every is not None:
        enqueue(session, kind, due_at=utcnow() + every, dedupe=_recurring(kind))
    return True


def _release(engine: sa.Engine, claims: list[_Claim], *, worker: str) -> None:
    with write_session(engine) as session:
        for claim in claims:
            session.execute(
                sa.update(Job)
                .where(_mine(claim, worker))
                .values(state=JobState.QUEUED.value, attempts=claim.attempt - 1, locked_by=None, locked_until=None)
            )


def _recurring(kind: str) -> str:
    return f"every:{kind}"


def schedule_recurring(engine: sa.Engine) -> None:
    """Make sure each recurring kind has its next run queued (at most one, by its dedupe key)."""
    with write_session(engine) as session:
        for kind in KINDS.values():
            if kind.every is not None:
                enqueue(session, kind.name, dedupe=_recurring(kind.name))


@dataclass(frozen=True)
class JobsHealth:
    """The queue at a glance: `due` jobs waiting now, the oldest of them `lag_seconds` late."""

    queued: int
    running: int
    failed: int
    due: int
    lag_seconds: float

    @property
    def late(self) -> bool:
        return self.lag_seconds > LATE_AFTER.total_seconds()


def health(engine: sa.Engine, *, now: dt.datetime | None = None) -> JobsHealth:
    """Counts by state and how late the oldest due job is, for /healthz."""
    now = now or utcnow()
    with read_session(engine) as session:
        by_state = sa.select(col(Job.state), func.count()).group_by(col(Job.state))
        counts: dict[str, int] = {state: int(n) for state, n in session.execute(by_state).all()}
        due, oldest = session.execute(
            sa.select(func.count(), func.min(Job.due_at)).where(
                col(Job.state) == JobState.QUEUED, col(Job.due_at) <= now
            )
        ).one()
    return JobsHealth(
        queued=counts.get(JobState.QUEUED.value, 0),
        running=counts.get(JobState.RUNNING.value, 0),
        failed=counts.get(JobState.FAILED.value, 0),
        due=int(due),
        lag_seconds=round((now - oldest).total_seconds(), 3) if oldest is not None else 0.0,
    )


def worker_name() -> str:
    """This runner's name in `locked_by`: host, process and a random tail (pids repeat)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Runner:
    """A background thread that runs due jobs every `poll` seconds until `stop()`.

    ISTOK_JOBS=0 turns the runner of `istok serve` off; ISTOK_JOBS_POLL sets `poll` (default 1 s).
    """

    def __init__(self, engine: sa.Engine, *, poll: float | None = None, batch: int = 10) -> None:
        self.engine = engine
        self.poll = float(os.environ.get("ISTOK_JOBS_POLL", "1")) if poll is None else poll
        self.batch = batch
        self.worker = worker_name()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def enabled() -> bool:
        return os.environ.get("ISTOK_JOBS", "1").strip() not in {"0", "false", "no", "off"}

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=f"istok-jobs {self.worker}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        """Stop after the job now running, if any; jobs claimed but not started go back to the queue."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        scheduled = False
        while not self._stop.is_set():
            ran = 0
            try:
                if not scheduled:
                    schedule_recurring(self.engine)
                    scheduled = True
                ran = run_due(self.engine, worker=self.worker, limit=self.batch, stop=self._stop)
            except Exception:  # the database may be away for a while: try again at the next poll
                logger.exception("job runner %s: polling failed", self.worker)
            if ran < self.batch:
                self._stop.wait(self.poll)


# ---- the built-in jobs: retention ----

#: How long the outbox keeps an event: longer than webhooks retry a delivery (24 h).
OUTBOX_KEEP = dt.timedelta(days=30)
#: How long finished jobs stay visible: done ones a week, failed ones as long as events.
DONE_JOBS_KEEP = dt.timedelta(days=7)


@handler("retention.user_sessions", every=dt.timedelta(hours=1))
def _expire_user_sessions(session: Session, _payload: dict[str, Any]) -> None:
    """Delete sessions past their expiry (a login only clears its own user's)."""
    expired = sa.delete(UserSession).where(col(UserSession.expires_at) <= utcnow())
    session.execute(expired.execution_options(synchronize_session=False))


@handler("retention.outbox", every=dt.timedelta(hours=6))
def _prune_outbox(session: Session, _payload: dict[str, Any]) -> None:
    outbox.prune(session, before=utcnow() - OUTBOX_KEEP)


@handler("retention.jobs", every=dt.timedelta(hours=6))
def _prune_jobs(session: Session, _payload: dict[str, Any]) -> None:
    now = utcnow()
    done = (col(Job.state) == JobState.DONE) & (col(Job.finished_at) < now - DONE_JOBS_KEEP)
    failed = (col(Job.state) == JobState.FAILED) & (col(Job.finished_at) < now - OUTBOX_KEEP)
    session.execute(sa.delete(Job).where(done | failed).execution_options(synchronize_session=False))
