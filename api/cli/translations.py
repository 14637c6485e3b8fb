"""`istok translations`: which locales of which keys are missing or behind their source."""

from __future__ import annotations

import json
from typing import Annotated

import typer


def report(
    locale: Annotated[str | None, typer.Option(help="Only this locale.")] = None,
    state: Annotated[
        list[str] | None,
        typer.Option(help="missing, outdated, unlinked, current or source (repeat; default: the first three)."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Missing, outdated and unlinked translations, per key and locale, with how far behind each is."""
    import kb
    from api import runtime

    for name in state or ():
        if name not in {s.value for s in kb.TranslationState}:
            raise kb.InvalidChange(
                f"unknown state {name!r}: use one of {', '.join(s.value for s in kb.TranslationState)}"
            )
    with kb.read_session(runtime.engine()) as session:
        found = kb.translation_report(session=session, locale=locale, states=state or ())
    if json_out:
        rows = [
            {
                "key": t.key,
                "locale": t.locale,
                "state": t.state.value,
                "source_locale": t.source_locale,
                "source_revision": t.source_revision,
                "based_on": t.based_on,
                "behind": t.behind,
            }
            for t in found
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not found:
        typer.echo("every translation follows its source")
        return
    for t in found:
        detail = f"{t.behind} source revision(s) behind {t.source_locale}" if t.behind else f"source {t.source_locale}"
        typer.echo(f"{t.locale}\t{t.key}\t{t.state.value}\t{detail}")
