"""`istok`, the command line: serve, migrate, import/export, publish, inspect."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer

from api.cli.actor import cli_actor

if TYPE_CHECKING:
    import kb


#: Seconds a serving worker may take to answer uvicorn's supervisor before it is replaced.
WORKER_HEALTHCHECK_SECONDS = 30

app = typer.Typer(
    help="Istok: one source of truth for customer support.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
articles_app = typer.Typer(help="Articles and their history.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for machines (chatbots, IVR, tools).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(articles_app, name="articles")
app.add_typer(keys_app, name="keys")

P = ParamSpec("P")
R = TypeVar("R")


def _clean_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Istok's own errors end the command with their message and exit code 1, no traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        import kb  # when the command runs: `istok --help` imports none of the service

        try:
            return fn(*args, **kwargs)
        except kb.ContentError as exc:
            for p in exc.problems:
                typer.echo(f"error: {p}", err=True)
            typer.echo(f"{len(exc.problems)} problem(s); nothing was changed", err=True)
            raise typer.Exit(1) from None
        except kb.IstokError as exc:
            typer.echo(f"error: {exc.detail}", err=True)
            raise typer.Exit(1) from None

    return wrapper


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command()
@_clean_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (ISTOK_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (ISTOK_PORT).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request (private query strings dropped).")] = True,
) -> None:
    """Serve the API and the pages with uvicorn."""
    import uvicorn

    import kb
    from api import runtime
    from api.http.accesslog import log_config

    settings = kb.load_settings()
    runtime.engine()  # fail here, with the fix named, rather than in a worker
    host = host or settings.host
    port = settings.port if port is None else port  # --port 0: the system picks one (uvicorn logs it)
    os.environ["ISTOK_HOST"] = host  # the app (and every worker) allows the address it was told to serve
    typer.echo(f"Istok is serving on http://{host}:{port}/  (health: http://{host}:{port}/healthz)")
    # A worker that misses the supervisor's health check is killed (-9) and replaced. uvicorn waits 5 s;
    # a worker opening its index and encoder on a loaded host can miss that, so it is given longer.
    uvicorn.run(
        "api.app:app",
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        log_config=log_config(),
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


@db_app.command("upgrade")
@_clean_errors
def db_upgrade() -> None:
    """Create or migrate the database schema to the newest version."""
    import kb
    from api import runtime

    engine = runtime.raw_engine()
    kb.upgrade(engine)
    typer.echo(f"database at migration {kb.db.current_revision(engine)}")


@app.command("import")
@_clean_errors
def import_(
    paths: Annotated[list[Path], typer.Argument(help="Content files or folders.")],
    publish: Annotated[bool, typer.Option(help="Publish imported articles whose status is 'published'.")] = False,
    if_empty: Annotated[bool, typer.Option(help="Import only when the store holds no article.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Import content all-or-nothing; every problem is printed with file and line."""
    import kb
    from api import runtime

    engine = runtime.engine()
    if if_empty:
        with kb.read_session(engine) as session:
            if kb.list_articles(session=session, limit=1):
                typer.echo("the store already holds articles; nothing imported")
                return
    report = kb.import_paths(paths, engine=engine, publish=publish, actor=cli_actor())
    if json_out:
        _print_json(report.as_dict())
        return
    typer.echo(
        f"{report.articles} articles: {report.created} new, {report.updated} changed, "
        f"{report.unchanged} unchanged; {report.published} published; {report.facts_changed} facts changed; "
        f"{report.images_added} images added"
    )


@app.command()
@_clean_errors
def export(target: Annotated[Path, typer.Argument(help="Folder to write the content into.")]) -> None:
    """Write every article, the images they show (assets/), facts and synonym sets back as a content folder."""
    import kb
    from api import runtime

    count = kb.export_folder(target, engine=runtime.engine())
    images = sum(1 for _ in (target / "assets").glob("*")) if (target / "assets").is_dir() else 0
    typer.echo(f"exported {count} articles and {images} images to {target}")


@app.command()
@_clean_errors
def publish(
    locale: Annotated[str | None, typer.Argument(help="The article's locale.")] = None,
    key: Annotated[str | None, typer.Argument(help="The article's key.")] = None,
    revision: Annotated[int | None, typer.Option(help="Revision to publish (default: the latest draft).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Publish every article's latest draft.")] = False,
    emergency: Annotated[
        bool, typer.Option("--emergency", help="Publish without the approvals its workflow asks for (audited).")
    ] = False,
) -> None:
    """Publish an article's revision (or, with --all, every latest draft) on every channel."""
    import kb
    from api import runtime

    if all_:
        with kb.write_session(runtime.engine()) as session:
            count = kb.publish_all(session=session, actor=cli_actor(), locale=locale)
        typer.echo(f"published {count} articles")
        return
    if locale is None or key is None:
        raise kb.InvalidChange("name LOCALE and KEY, or pass --all")
    with kb.write_session(runtime.engine()) as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        entry = kb.publish(session=session, article=article, revision=revision, actor=cli_actor(), emergency=emergency)
    if entry is None:
        typer.echo(f"{locale}/{key} revision {article.published_revision} was already published")
    else:
        typer.echo(f"published {locale}/{key} revision {entry.revision} (seq {entry.seq})")


@app.command()
@_clean_errors
def unpublish(locale: str, key: str) -> None:
    """Take an article off every public channel."""
    import kb
    from api import runtime

    with kb.write_session(runtime.engine()) as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        entry = kb.unpublish(session=session, article=article, actor=cli_actor())
    typer.echo(f"unpublished {locale}/{key}" if entry else f"{locale}/{key} was not published")


@app.command()
@_clean_errors
def rollback(
    locale: str,
    key: str,
    to: Annotated[int, typer.Option("--to", help="The revision whose content to publish again.")],
    emergency: Annotated[
        bool, typer.Option("--emergency", help="Roll back to text never approved, without review (audited).")
    ] = False,
) -> None:
    """Publish an old revision's content again, as a new revision."""
    import kb
    from api import runtime

    with kb.write_session(runtime.engine()) as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        entry = kb.rollback(
            session=session,
            article=article,
            to_revision=to,
            base_revision=article.draft_revision,
            actor=cli_actor(),
            emergency=emergency,
        )
    typer.echo(f"{locale}/{key}: revision {entry.revision} (content of {to}) is live (seq {entry.seq})")


def _article_row(article: kb.Article) -> dict[str, Any]:
    import kb

    return {
        "key": article.key,
        "locale": article.locale,
        "title": article.title,
        "slug": article.slug,
        "category": article.category,
        "status": kb.status_of(article).value,
        "draft_revision": article.draft_revision,
        "published_revision": article.published_revision,
    }


@articles_app.command("list")
@_clean_errors
def articles_list(
    locale: Annotated[str | None, typer.Option(help="Only this locale.")] = None,
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """List articles with their draft and published revisions."""
    import kb
    from api import runtime

    with kb.read_session(runtime.engine()) as session:
        rows = [_article_row(a) for a in kb.list_articles(session=session, locale=locale, category=category)]
    if json_out:
        _print_json(rows)
        return
    for r in rows:
        live = r["published_revision"] if r["published_revision"] is not None else "-"
        typer.echo(f"{r['locale']:3} {r['key']:32} draft {r['draft_revision']:<3} live {live:<3} {r['title']}")


@articles_app.command("history")
@_clean_errors
def articles_history(locale: str, key: str, json_out: JsonFlag = False) -> None:
    """Every revision of an article, oldest first."""
    import kb
    from api import runtime

    with kb.read_session(runtime.engine()) as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        revs = kb.history(session=session, article=article)
    rows: list[dict[str, Any]] = [
        {
            "number": r.number,
            "content_hash": r.content_hash,
            "author": r.author,
            "message": r.message,
            "created_at": r.created_at.isoformat(),
            "published": r.number == article.published_revision,
        }
        for r in revs
    ]
    if json_out:
        _print_json(rows)
        return
    for r in rows:
        mark = "*" if r["published"] else " "
        typer.echo(
            f"{mark} r{r['number']:<4} {r['created_at']} {r['author']:12} {r['content_hash'][:12]} {r['message']}"
        )


@articles_app.command("diff")
@_clean_errors
def articles_diff(locale: str, key: str, from_revision: int, to_revision: int) -> None:
    """A unified diff between two revisions."""
    import kb
    from api import runtime

    with kb.read_session(runtime.engine()) as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        typer.echo(kb.diff(session=session, article=article, from_revision=from_revision, to_revision=to_revision))


@articles_app.command("show")
@_clean_errors
def articles_show(
    locale: str,
    key: str,
    as_of: Annotated[
        str | None, typer.Option(help="What was live at this ISO instant (e.g. 2026-03-03T12:00Z).")
    ] = None,
    revision: Annotated[int | None, typer.Option(help="This revision instead of the live one.")] = None,
) -> None:
    """Print the source of the live revision, a given revision, or what was live at an instant."""
    import kb
    from api import runtime

    with kb.read_session(runtime.engine()) as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        if as_of is not None:
            rev = kb.published_at(session=session, article=article, at=_instant(as_of))
            if rev is None:
                raise kb.NotFound(f"{locale}/{key} was not published at {as_of}")
        else:
            number = revision or article.published_revision or article.draft_revision
            rev = kb.get_revision(session=session, article=article, number=number)
    typer.echo(f"# revision {rev.number} {rev.content_hash}", err=True)
    sys.stdout.write(rev.source)


def _instant(text: str) -> dt.datetime:
    import kb

    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise kb.InvalidChange(f"{text!r} is not an ISO instant like 2026-03-03T12:00:00Z") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@keys_app.command("create")
@_clean_errors
def keys_create(
    role: Annotated[str, typer.Option(help="admin, editor, operator or bot.")],
    name: Annotated[str, typer.Option(help="Who uses the key, e.g. 'telegram-bot'.")],
    json_out: JsonFlag = False,
    category: Annotated[list[str] | None, typer.Option(help="A category it may change (repeat; none: any).")] = None,
    locale: Annotated[list[str] | None, typer.Option(help="A locale it may change (repeat; none: any).")] = None,
) -> None:
    """Create an API key; its secret is printed once and never stored."""
    import kb
    from api import runtime

    rights = kb.make_rights(categories=category or [], locales=locale or [])
    with kb.write_session(runtime.engine()) as session:
        key, secret = kb.create_key(session=session, name=name, role=role, actor=cli_actor(), rights=rights)
    if json_out:
        _print_json({"id": key.id, "name": key.name, "role": key.role, "key": secret})
        return
    typer.echo(f"key {key.id} ({key.role}, {key.name}): {secret}")
    typer.echo("keep it now: only its hash is stored", err=True)


@keys_app.command("demo")
@_clean_errors
def keys_demo() -> None:
    """Create a key per role for trying Istok out, once, and print them (kept in ISTOK_DATA_DIR)."""
    import kb
    from api import runtime

    path = kb.load_settings().data_dir / "demo-keys.json"
    keys: dict[str, str] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    actor = cli_actor()
    with kb.write_session(runtime.engine()) as session:
        for role in ("admin", "editor", "operator", "bot"):
            if role not in keys:
                _key, keys[role] = kb.create_key(session=session, name=f"demo-{role}", role=role, actor=actor)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(keys, indent=2), encoding="utf-8")
    path.chmod(0o600)
    typer.echo(f"demo API keys (also in {path}; revoke with `istok keys revoke ID` before going live):")
    for role, secret in keys.items():
        typer.echo(f"  {role:9} {secret}")


@keys_app.command("list")
@_clean_errors
def keys_list(json_out: JsonFlag = False) -> None:
    """API keys with their role, last use and revocation (never the secrets)."""
    import kb
    from api import runtime

    with kb.read_session(runtime.engine()) as session:
        rows = [
            {
                "id": k.id,
                "name": k.name,
                "role": k.role,
                "prefix": k.prefix,
                "created_at": k.created_at.isoformat(),
                "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None,
                "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
            }
            for k in kb.list_keys(session=session)
        ]
    if json_out:
        _print_json(rows)
        return
    for r in rows:
        state = "revoked" if r["revoked_at"] else f"last used {r['last_used_at'] or 'never'}"
        typer.echo(f"{r['id']:>4} {r['role']:9} {r['prefix']}…  {r['name']}  ({state})")


@keys_app.command("revoke")
@_clean_errors
def keys_revoke(key_id: int) -> None:
    """Revoke a key at once; requests with it get 401."""
    import kb
    from api import runtime

    with kb.write_session(runtime.engine()) as session:
        key = kb.revoke_key(session=session, key_id=key_id, actor=cli_actor())
    typer.echo(f"revoked key {key.id} ({key.name})")


@app.command()
@_clean_errors
def tree(
    locale: str,
    key: str,
    revision: Annotated[int | None, typer.Option(help="Revision (default: latest draft).")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Print the parsed tree of a revision: what every renderer walks."""
    import kb
    from api import runtime

    with kb.read_session(runtime.engine()) as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        rev = kb.get_revision(session=session, article=article, number=revision or article.draft_revision)
    unit = kb.load_unit(rev)
    if json_out:
        _print_json(kb.tree.to_data(unit))
    else:
        typer.echo(kb.tree.dump(unit))


# ---- channel rendering (issue #4) and the answer engine (issue #5) ----
from api.cli import engine, render  # noqa: E402

app.command("render")(_clean_errors(render.render))
app.command("preview")(_clean_errors(render.preview))
for _name, _command in engine.COMMANDS.items():
    app.command(_name)(_clean_errors(_command))

# ---- content gaps, listed, dismissed and merged (issues #5 and #16) ----
from api.cli import gaps  # noqa: E402

gaps_app = typer.Typer(help="Content gaps: questions answered without confidence.")
app.add_typer(gaps_app, name="gaps")
gaps_app.callback(invoke_without_command=True)(_clean_errors(gaps.list_))
for _gap_command_name, _gap_command in gaps.COMMANDS.items():
    gaps_app.command(_gap_command_name)(_clean_errors(_gap_command))


# ---- people who sign in to the admin and the operator panel (issue #7) ----
from api.cli import users  # noqa: E402

users_app = typer.Typer(help="People who sign in to the admin and the operator panel.", no_args_is_help=True)
app.add_typer(users_app, name="users")
for _user_command_name, _user_command in users.COMMANDS.items():
    users_app.command(_user_command_name)(_clean_errors(_user_command))

# ---- backups (issue #17) ----
from api.cli import backup  # noqa: E402

for _backup_command_name, _backup_command in backup.COMMANDS.items():
    app.command(_backup_command_name)(_clean_errors(_backup_command))

# ---- contact context (issue #8) ----
contacts_app = typer.Typer(help="Contact context: clients across channels.", no_args_is_help=True)
app.add_typer(contacts_app, name="contacts")


@contacts_app.command("retention")
@_clean_errors
def contacts_retention(
    days: Annotated[int | None, typer.Option(help="Age in days (default ISTOK_CONTACTS_RETENTION_DAYS, 730).")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Anonymise interactions older than the retention age: no contact, no text; statistics stay."""
    import contacts
    import kb
    from api import runtime

    if days is not None and days < 1:
        raise kb.InvalidChange("--days must be at least 1")
    age = dt.timedelta(days=days) if days is not None else contacts.retention()
    with kb.write_session(runtime.engine()) as session:
        count = contacts.anonymise_older_than(session=session, age=age)
        who = cli_actor()
        kb.audit_record(
            session, actor=who.name, role=who.role, action="contact.retention", target="interactions", anonymised=count
        )
    if json_out:
        _print_json({"anonymised": count, "days": age.days})
    else:
        typer.echo(f"anonymised {count} interaction(s) older than {age.days} days")


# ---- scheduled publishing and unpublishing (issue #16) ----
from api.cli import schedules  # noqa: E402

schedule_app = typer.Typer(help="Publish or unpublish at a time, run once by `istok serve`.", no_args_is_help=True)
app.add_typer(schedule_app, name="schedule")
for _schedule_command_name, _schedule_command in schedules.COMMANDS.items():
    schedule_app.command(_schedule_command_name)(_clean_errors(_schedule_command))

# ---- translations that know they are stale (issue #16) ----
from api.cli import translations  # noqa: E402

app.command("translations")(_clean_errors(translations.report))
# ---- content health (issue #18) ----
from api.cli import content_health  # noqa: E402

app.command("health")(_clean_errors(content_health.report))

# ---- article verification and the owners' queue (issue #16) ----
from api.cli import verification  # noqa: E402

app.command("verify")(_clean_errors(verification.verify))
app.command("due")(_clean_errors(verification.due))

# ---- review and approval per workflow (issue #16) ----
from api.cli import reviews  # noqa: E402

review_app = typer.Typer(help="Submit drafts for review, approve them or ask for changes.", no_args_is_help=True)
app.add_typer(review_app, name="review")
for _review_command_name, _review_command in reviews.COMMANDS.items():
    review_app.command(_review_command_name)(_clean_errors(_review_command))

# ---- insights for support leads (issue #18) ----
from api.cli import report  # noqa: E402

app.command("report")(_clean_errors(report.report))


if __name__ == "__main__":
    app()
