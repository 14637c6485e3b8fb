"""The README is the manual: every CLI command, HTTP route and setting must appear in it."""

from __future__ import annotations

import re

import typer.main
from fastapi.routing import APIRoute

from api.app import app as http_app
from api.cli import app as cli_app
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _cli_commands(group: typer.Typer, prefix: str = "istok") -> list[str]:
    click_group = typer.main.get_command(group)
    names: list[str] = []

    def visit(cmd: object, path: str) -> None:
        sub = getattr(cmd, "commands", None)
        if sub:
            for name, child in sub.items():
                visit(child, f"{path} {name}")
        else:
            names.append(path)

    visit(click_group, prefix)
    return names


def test_every_cli_command_is_documented() -> None:
    missing = [c for c in _cli_commands(cli_app) if f"`{c}" not in README]
    assert not missing, f"README.md does not document: {missing}"


def test_every_http_route_is_documented() -> None:
    routes = [r for r in http_app.routes if isinstance(r, APIRoute) and r.include_in_schema]
    missing = [f"{sorted(r.methods)} {r.path}" for r in routes if not any(f"{m} {r.path}" in README for m in r.methods)]
    assert not missing, f"README.md does not document: {missing}"


def test_every_setting_is_documented() -> None:
    settings = set(re.findall(r'"(ISTOK_[A-Z_]+)"', (ROOT / "kb" / "config.py").read_text(encoding="utf-8")))
    assert settings, "no settings found in kb/config.py"
    assert not [s for s in settings if f"`{s}`" not in README]
