"""`istok schedule …`: set a publish or an unpublish for a time, list schedules, cancel one.

Plain functions; `api.cli` registers them under `istok schedule` with its error handling. A time
without an offset (`2026-12-24T09:00`) is read in the editors' zone, ISTOK_TIMEZONE (default
UTC), as the admin reads it; `…+02:00` or `…Z` names the instant outright. The job runner of
`istok serve` makes the change when it is due.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli.actor import cli_actor

if TYPE_CHECKING:
    import kb

AtOpt = Annotated[str, typer.Option("--at", help="When: ISO 8601, e.g. 2026-12-24T09:00 (ISTOK_TIMEZONE) or …+02:00.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _row(s: kb.Schedule) -> dict[str, Any]:
    return {
        "id": s.id,
        "locale": s.locale,
        "key": s.key,
        "action": s.action,
        "revision": s.revision,
        "due_at": s.due_at.isoformat(),
        "live_revision_at_set": s.live_revision_at_set,
        "created_by": s.created_by,
        "created_at": s.created_at.isoformat(),
        "state": s.state,
        "outcome": s.outcome,
        "finished_at": s.finished_at.isoformat() if s.finished_at else None,
    }


def _line(s: kb.Schedule) -> str:
    import kb

    zone = kb.editor_zone()
    what = f"publish r{s.revision}" if s.action == "publish" else "unpublish"
    due = s.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    tail = f"  {s.outcome}" if s.outcome else ""
    return f"{s.id:>5}  {due} {zone.key:14} {s.locale}/{s.key:32} {what:12} {s.state:9} by {s.created_by}{tail}"


def _set(locale: str, key: str, at: str, revision: int | None, json_out: bool) -> None:
    import kb
    from api import runtime

    due = kb.local_time(at, kb.editor_zone())
    with kb.write_session(runtime.engine()) as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        if revision is None:
            made = kb.schedule_unpublish(session=session, article=article, at=due, actor=cli_actor())
        else:
            made = kb.schedule_publish(session=session, article=article, revision=revision, at=due, actor=cli_actor())
    if json_out:
        typer.echo(json.dumps(_row(made), ensure_ascii=False, indent=2))
    else:
        typer.echo(f"scheduled: {_line(made)}")


def publish(
    locale: Annotated[str, typer.Argument()],
    key: Annotated[str, typer.Argument()],
    revision: Annotated[int, typer.Option("--revision", min=1, help="The revision to make live.")],
    at: AtOpt,
    json_out: JsonOpt = False,
) -> None:
    """Make a revision live at a time; skipped if someone changes what is live before then."""
    _set(locale, key, at, revision, json_out)


def unpublish(
    locale: Annotated[str, typer.Argument()],
    key: Annotated[str, typer.Argument()],
    at: AtOpt,
    json_out: JsonOpt = False,
) -> None:
    """Take an article off every public channel at a time."""
    _set(locale, key, at, None, json_out)


def list_(
    state: Annotated[str | None, typer.Option(help="pending, done, skipped, cancelled or failed.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Pending schedules soonest first, then the finished ones with what happened."""
    import kb
    from api import runtime

    if state is not None and state not in {s.value for s in kb.ScheduleState}:
        raise kb.InvalidChange(f"unknown state {state!r} (pending, done, skipped, cancelled, failed)")
    with kb.read_session(runtime.engine()) as session:
        rows = kb.list_schedules(session=session, state=state, limit=500)
    if json_out:
        typer.echo(json.dumps([_row(s) for s in rows], ensure_ascii=False, indent=2))
        return
    for s in rows:
        typer.echo(_line(s))


def cancel(schedule_id: Annotated[int, typer.Argument(help="The schedule's id (istok schedule list).")]) -> None:
    """Cancel a pending schedule."""
    import kb
    from api import runtime

    with kb.write_session(runtime.engine()) as session:
        kb.cancel_schedule(session=session, schedule_id=schedule_id, actor=cli_actor())
    typer.echo(f"schedule {schedule_id} cancelled")


COMMANDS: dict[str, Callable[..., None]] = {
    "publish": publish,
    "unpublish": unpublish,
    "list": list_,
    "cancel": cancel,
}
