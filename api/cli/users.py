"""`istok users …`: the accounts people sign in to the admin and the panel with.

Plain functions; `api.cli` registers them under `istok users` with its error handling.
A password is prompted for (twice, hidden) unless given with `--password`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli.actor import cli_actor

if TYPE_CHECKING:
    pass


PasswordOpt = Annotated[
    str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="At least 10 characters.")
]


def create(
    username: Annotated[str, typer.Argument(help="Sign-in name, e.g. anna or anna@example.com.")],
    role: Annotated[str, typer.Option(help="editor (admin pages), operator (panel) or admin (both).")],
    password: PasswordOpt,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
) -> None:
    """Create a person's account; only an argon2 hash of the password is kept."""
    import kb
    from api import runtime

    with kb.write_session(runtime.engine()) as session:
        user = kb.create_user(
            session=session, username=username, password=password, role=role, display_name=name, actor=cli_actor()
        )
    typer.echo(f"user {user.username} ({user.role}) created; sign in at /login")


def list_(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Accounts with role, last sign-in and whether disabled (never the password hashes)."""
    import kb
    from api import runtime

    with kb.read_session(runtime.engine()) as session:
        rows: list[dict[str, Any]] = [
            {
                "username": u.username,
                "name": u.display_name,
                "role": u.role,
                "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
                "disabled": u.disabled_at is not None,
                "categories": u.rights_categories,
                "locales": u.rights_locales,
                "second_factor": kb.has_second_factor(u),
            }
            for u in kb.list_users(session=session)
        ]
    if json_out:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        state = "disabled" if r["disabled"] else f"last sign-in {r['last_login_at'] or 'never'}"
        limits = (
            f" · only {', '.join(r['categories'] or ['any category'])} in {', '.join(r['locales'] or ['any locale'])}"
        )
        extra = (limits if r["categories"] or r["locales"] else "") + (" · two-step" if r["second_factor"] else "")
        typer.echo(f"{r['username']:24} {r['role']:9} {state}{extra}")


def password(username: Annotated[str, typer.Argument()], password: PasswordOpt) -> None:
    """Set a new password for an account; every session it has open ends at once."""
    import kb
    from api import runtime

    with kb.write_session(runtime.engine()) as session:
        kb.set_password(session=session, username=username, password=password, actor=cli_actor())
    typer.echo(f"password of {username} changed")


def disable(username: Annotated[str, typer.Argument()]) -> None:
    """Stop an account signing in; its open sessions end at once, on every server."""
    import kb
    from api import runtime

    with kb.write_session(runtime.engine()) as session:
        kb.disable_user(session=session, username=username, actor=cli_actor())
    typer.echo(f"user {username} disabled")


def rights(
    username: Annotated[str, typer.Argument()],
    category: Annotated[
        list[str] | None, typer.Option(help="A category the person may change (repeat for several; none: any).")
    ] = None,
    locale: Annotated[list[str] | None, typer.Option(help="A locale they may change (repeat; none: any).")] = None,
) -> None:
    """Limit where a person may save, publish, unpublish and roll back: categories and/or locales."""
    import kb
    from api import runtime

    with kb.write_session(runtime.engine()) as session:
        user = kb.set_rights(
            session=session, username=username, categories=category or [], locales=locale or [], actor=cli_actor()
        )
        where = kb.rights_of(user).describe()
    typer.echo(f"{username} may change: {where}")


def second_factor(
    username: Annotated[str, typer.Argument()],
    off: Annotated[bool, typer.Option("--off", help="Turn the person's second factor off (a lost phone).")] = False,
) -> None:
    """Say whether a person signs in with a second factor; `--off` removes it and its recovery codes."""
    import kb
    from api import runtime

    with kb.write_session(runtime.engine()) as session:
        if off:
            kb.remove_second_factor(session=session, username=username, actor=cli_actor())
            typer.echo(f"two-step sign-in of {username} is off; they may set it up again at /account")
            return
        user = kb.find_user(session=session, username=username)
        if user is None:
            raise kb.NotFound(f"no user {username!r}")
        state = "on" if kb.has_second_factor(user) else "off"
    typer.echo(f"two-step sign-in of {username} is {state}")


def link(
    username: Annotated[str, typer.Argument()],
    subject: Annotated[str, typer.Argument(help="The person's `sub` at the OpenID provider.")],
    issuer: Annotated[str, typer.Option(help="The provider (default: ISTOK_OIDC_ISSUER).")] = "",
) -> None:
    """Let a person's account at the company's OpenID provider sign in as this Istok account."""
    import os

    import kb
    from api import runtime

    provider = (issuer or os.environ.get("ISTOK_OIDC_ISSUER", "")).rstrip("/")
    if not provider:
        raise kb.InvalidChange("name the provider with --issuer or ISTOK_OIDC_ISSUER")
    with kb.write_session(runtime.engine()) as session:
        kb.link_identity(session=session, username=username, issuer=provider, subject=subject, actor=cli_actor())
    typer.echo(f"{subject} at {provider} now signs in as {username}")


def language(
    username: Annotated[str, typer.Argument()],
    locale: Annotated[str, typer.Argument(help="ru, uk or en; 'browser' to follow the browser's language again.")],
) -> None:
    """Set the language of a person's staff interface (admin, panel, sign-in pages)."""
    import kb
    from api import runtime

    chosen = None if locale == "browser" else locale
    with kb.write_session(runtime.engine()) as session:
        kb.set_user_locale(session=session, username=username, locale=chosen, actor=cli_actor())
    typer.echo(f"staff interface of {username}: {chosen or 'the browser language'}")


def demo() -> None:
    """Create an admin, an editor and an operator for trying Istok out, once, and print their passwords."""
    import kb
    from api import runtime

    path = kb.load_settings().data_dir / "demo-users.json"
    users: dict[str, str] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    actor = cli_actor()
    with kb.write_session(runtime.engine()) as session:
        for role in ("admin", "editor", "operator"):
            name = f"demo-{role}"
            if name not in users and kb.find_user(session=session, username=name) is None:
                users[name] = secrets.token_urlsafe(12)
                kb.create_user(session=session, username=name, password=users[name], role=role, actor=actor)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(users, indent=2), encoding="utf-8")
    path.chmod(0o600)
    typer.echo(f"demo sign-ins for /admin and /panel (also in {path}; disable them before going live):")
    for name, secret in users.items():
        typer.echo(f"  {name:15} {secret}")


COMMANDS: dict[str, Callable[..., None]] = {
    "create": create,
    "list": list_,
    "password": password,
    "disable": disable,
    "rights": rights,
    "second-factor": second_factor,
    "link": link,
    "language": language,
    "demo": demo,
}
