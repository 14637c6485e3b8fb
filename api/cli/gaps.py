"""`istok gaps …`: the content gaps, and the editors' decisions about them from the command line.

`istok gaps` lists (`--dismissed` the dismissed ones); `istok gaps dismiss ID`, `restore ID` and
`merge ID ID…` call the same kb actions as the admin's page, audited as `cli:<os user>`.
Plain functions; `api/cli/main.py` registers them with its error handling.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import typer

from api.cli.actor import cli_actor

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
GapId = Annotated[int, typer.Argument(help="A gap's id, as `istok gaps` lists it.")]


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def list_(
    ctx: typer.Context,
    locale: Annotated[str | None, typer.Option(help="Only this locale.")] = None,
    channel: Annotated[str | None, typer.Option(help="Only this channel.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    dismissed: Annotated[bool, typer.Option("--dismissed", help="List the dismissed gaps instead.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Questions the engine could not answer with confidence, most frequent first."""
    if ctx.invoked_subcommand is not None:
        return
    import kb
    from api import runtime

    with kb.read_session(runtime.engine()) as session:
        found = kb.list_gaps(session=session, locale=locale, channel=channel, dismissed=dismissed, limit=limit)
        rows = [
            {
                "id": g.id,
                "question": g.normalised,
                "last_wording": g.question,
                "locale": g.locale,
                "channel": g.channel,
                "count": g.count,
                "best_key": g.best_key,
                "best_confidence": g.best_confidence,
                "first_seen": g.first_seen.isoformat(),
                "last_seen": g.last_seen.isoformat(),
                "examples": list(g.examples),
                "dismissed_at": g.dismissed_at.isoformat() if g.dismissed_at else None,
                "dismissed_by": g.dismissed_by,
            }
            for g in found
        ]
    if json_out:
        _print_json(rows)
        return
    if not rows:
        typer.echo("no dismissed content gaps" if dismissed else "no content gaps recorded")
    for g in found:
        guess = f" (best: {g.best_key} {g.best_confidence or 0:.2f})" if g.best_key else ""
        merged = f" [+{len(g.examples)} merged]" if g.examples else ""
        typer.echo(f"{g.id:>6}  {g.count:>5}  {g.locale:3} {g.channel:8} {g.normalised}{merged}{guess}")


def dismiss(gap_id: GapId, json_out: JsonOpt = False) -> None:
    """Take a gap (with any merged into it) off the list; asked again, it stays off."""
    _act("dismiss", gap_id, json_out)


def restore(gap_id: GapId, json_out: JsonOpt = False) -> None:
    """List a dismissed gap again."""
    _act("restore", gap_id, json_out)


def merge(
    into: Annotated[int, typer.Argument(help="The gap the others join (its wording leads).")],
    others: Annotated[list[int], typer.Argument(help="The gaps to merge into it.")],
    json_out: JsonOpt = False,
) -> None:
    """Merge gaps into one: counts summed, the other wordings kept as its examples."""
    import kb
    from api import runtime

    with kb.write_session(runtime.engine()) as session:
        kb.merge_gaps(session=session, into=into, gap_ids=others, actor=cli_actor())
    if json_out:
        _print_json({"into": into, "merged": others})
    else:
        typer.echo(f"merged {len(others)} gap(s) into gap {into}")


def _act(what: str, gap_id: int, json_out: bool) -> None:
    import kb
    from api import runtime

    action = kb.dismiss_gap if what == "dismiss" else kb.restore_gap
    with kb.write_session(runtime.engine()) as session:
        action(session=session, gap_id=gap_id, actor=cli_actor())
    if json_out:
        _print_json({"gap": gap_id, "action": what})
    else:
        typer.echo(f"gap {gap_id}: {'dismissed' if what == 'dismiss' else 'listed again'}")


#: Sub-command name -> function, for `api/cli/main.py` to register under `istok gaps`.
COMMANDS: dict[str, Callable[..., None]] = {"dismiss": dismiss, "restore": restore, "merge": merge}
