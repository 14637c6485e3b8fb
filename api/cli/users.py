"""`istok users …`: the accounts people sign in to the admin and the panel with.

Plain functions; `api.cli` registers them under `istok users` with its error handling.
A password is prompted for (twice, hidden) unless given with `--password`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

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
        rows = [
            {
                "username": u.username,
                "name": u.display_name,
                "role": u.role,
                "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
                "disabled": u.disabled_at is not None,
            }
            for u in kb.list_users(session=session)
        ]
    if json_out:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        state = "disabled" if r["disabled"] else f"last sign-in {r['last_login_at'] or 'never'}"
        typer.echo(f"{r['username']:24} {r['role']:9} {state}")


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
    "demo": demo,
}
