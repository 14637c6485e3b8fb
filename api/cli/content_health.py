"""`istok health`: what in the live knowledge base is broken or drifting, each with its action."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer


def report(
    kind: Annotated[
        str | None,
        typer.Option(
            help="Only broken-link, unused-fact, contradicting-number, verification-due, helpfulness-fell, "
            "translation or gap-group."
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Broken links, unused facts, numbers by hand a fact contradicts, verification due, helpfulness fallen,
    translations behind, content gaps grouped; exit 1 if any."""
    import kb
    from api import runtime
    from insights import health

    with kb.read_session(runtime.engine()) as session:
        found = [f for f in health.check(session=session) if kind is None or f.kind == kind]
    if json_out:
        typer.echo(json.dumps([asdict(f) for f in found], ensure_ascii=False, indent=2))
    elif not found:
        typer.echo("nothing to fix")
    for f in [] if json_out else found:
        typer.echo(f"{f.kind}\t{f.where}\t{f.subject}\t{f.action}")
    if found:
        raise typer.Exit(1)
