"""`istok verify LOCALE KEY` and `istok due`: article verification from the command line.

Plain functions; `api.cli` registers them with its error handling. They call the same kb
action and queue as the HTTP API and /admin/due (kb/verification_rules.py).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli.actor import cli_actor

if TYPE_CHECKING:
    import kb

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _verification(v: kb.ArticleVerification) -> dict[str, Any]:
    return {
        "locale": v.locale,
        "key": v.key,
        "revision": v.revision,
        "content_hash": v.content_hash,
        "verified_by": v.verified_by,
        "verified_at": v.verified_at.isoformat(),
        "note": v.note,
    }


def _due_row(d: kb.DueArticle) -> dict[str, Any]:
    return {
        "locale": d.article.locale,
        "key": d.article.key,
        "title": d.article.title,
        "category": d.article.category,
        "owner": d.owner,
        "live_revision": d.article.published_revision,
        "since": d.since.isoformat(),
        "reasons": [{"kind": r.kind.value, "since": r.since.isoformat(), "detail": r.detail} for r in d.reasons],
        "last_verification": _verification(d.last_verification) if d.last_verification else None,
        "changed_since": d.changed_since,
    }


def verify(
    locale: str,
    key: str,
    note: Annotated[str, typer.Option("--note", help="What was checked, for the next owner.")] = "",
    json_out: JsonOpt = False,
) -> None:
    """Record that the live article is still true (who and when; no new revision)."""
    import kb
    from api import runtime

    with kb.write_session(runtime.engine()) as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        made = kb.verify_article(session, article, cli_actor(), note)
        row = _verification(made)
    if json_out:
        typer.echo(json.dumps(row, ensure_ascii=False, indent=2))
    else:
        typer.echo(
            f"verified {locale}/{key} revision {row['revision']} by {row['verified_by']} at {row['verified_at']}"
        )


def due(
    owner: Annotated[str | None, typer.Option("--owner", help="Only articles whose `owner` is this.")] = None,
    locale: Annotated[str | None, typer.Option("--locale", help="Only this locale.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Live articles due for verification, most overdue first, with why and since when."""
    import kb
    from api import runtime

    with kb.read_session(runtime.engine()) as session:
        rows = [_due_row(d) for d in kb.due_for_verification(session, owner=owner, locale=locale)]
    if json_out:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("nothing is due for verification")
        return
    for r in rows:
        why = "; ".join(x["detail"] for x in r["reasons"])
        typer.echo(f"{r['since'][:10]}  {r['locale']}/{r['key']:32} {r['owner'] or '-':20} {why}")
