"""`istok backup FILE` and `istok restore FILE`: one file holding the whole database, and back.

Plain functions; `api.cli` registers them with its error handling. The restore is the
composition kb cannot make on its own: `kb.restore_backup` restores and migrates, then
erases again, through `contacts.reapply_erasures`, everyone the erasure journal names.
Stop `istok serve` before restoring; the search index notices the new database and rebuilds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.actor import cli_actor

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
FileArg = Annotated[Path, typer.Argument(help="The backup file (a tar archive with a manifest).")]


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _rows(counts: dict[str, int]) -> str:
    return ", ".join(f"{table} {n}" for table, n in sorted(counts.items()) if n and table != "alembic_version")


def backup(file: FileArg, json_out: JsonOpt = False) -> None:
    """Write a consistent snapshot of the database (SQLite's backup API, or pg_dump) to FILE."""
    import kb
    from api import runtime

    manifest = kb.create_backup(file, engine=runtime.engine(), actor=cli_actor())
    if json_out:
        _print_json({"file": str(file), **manifest.as_dict()})
        return
    total = sum(n for t, n in manifest.counts.items() if t != "alembic_version")
    typer.echo(f"wrote {file}: {manifest.dialect} at migration {manifest.alembic_revision}, {total} row(s)")
    typer.echo(f"  {_rows(manifest.counts)}")
    typer.echo(f"keep the erasure journal {kb.erasure_journal_path()} with your backups' storage policy")


def restore(
    file: FileArg,
    force: Annotated[bool, typer.Option("--force", help="Replace a database that holds data.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Restore FILE into an empty database, migrate it, and erase again whoever was erased since."""
    import contacts
    import kb
    from api import runtime

    report = kb.restore_backup(
        file,
        engine=runtime.raw_engine(),
        reapply=lambda session, erasures, since: contacts.reapply_erasures(
            session=session, erasures=erasures, since=since
        ),
        actor=cli_actor(),
        force=force,
    )
    if json_out:
        _print_json({"file": str(file), "journal": str(kb.erasure_journal_path()), **report.as_dict()})
        return
    m = report.manifest
    typer.echo(f"restored {file} (taken {m.created_at.isoformat()} by Istok {m.istok_version})")
    typer.echo(f"  {_rows(m.counts)}")
    if report.migrated_from != report.migrated_to:
        typer.echo(f"migrated from {report.migrated_from} to {report.migrated_to}")
    erased = ", ".join(str(i) for i in report.reerased) or "none"
    typer.echo(f"erasure journal {kb.erasure_journal_path()}: {report.journal_entries} entries; erased again: {erased}")


COMMANDS: dict[str, Callable[..., None]] = {"backup": backup, "restore": restore}
