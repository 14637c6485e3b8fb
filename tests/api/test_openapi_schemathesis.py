"""The OpenAPI document says what the server does, and Schemathesis with every check holds it to that.

One bounded, deterministic run per key, over every operation: an admin's (over PostgreSQL) and a
bot's (over SQLite). The run has every phase (examples; coverage: negative data, missing headers,
undeclared methods; fuzzing; stateful sequences: use after free, created resources found again) and
every check Schemathesis has. Where a check is widened for one operation, for a reason JSON Schema
cannot express, `schemathesis.toml` beside this file says so and why, entry by entry.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import contacts
import kb
import renderers
from api.app import create_app
from tests.api.conftest import make_keys, migrated_database, start_server
from tests.conftest import ROOT

CONFIG = Path(__file__).with_name("schemathesis.toml")
CLI = Path(sys.executable).with_name("schemathesis")
#: Per operation and phase: bounded so the two runs together stay under a minute on two cores.
MAX_EXAMPLES = 6

#: Operations that change something that must exist: `If-Match` is required (428 without).
NEEDS_IF_MATCH = [
    ("post", "/api/v1/articles/{locale}/{key}/rollback"),
    ("delete", "/api/v1/facts/{key}"),
    ("put", "/api/v1/synonyms/{set_id}"),
    ("delete", "/api/v1/synonyms/{set_id}"),
]
#: Operations that create or change: `If-Match` to change, `If-None-Match: *` to create.
CREATES_OR_CHANGES = [("put", "/api/v1/articles/{locale}/{key}"), ("put", "/api/v1/facts/{key}")]


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return create_app().openapi()


def _parameter(operation: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in operation["parameters"] if p["name"] == name)


@pytest.mark.parametrize(("method", "path"), NEEDS_IF_MATCH)
def test_if_match_is_a_required_header_where_a_change_needs_it(spec: dict[str, Any], method: str, path: str) -> None:
    operation = spec["paths"][path][method]
    header = _parameter(operation, "If-Match")
    assert header["in"] == "header" and header["required"] is True
    assert {"412", "428"} <= set(operation["responses"])


@pytest.mark.parametrize(("method", "path"), CREATES_OR_CHANGES)
def test_create_or_change_declares_both_conditional_headers_and_both_successes(
    spec: dict[str, Any], method: str, path: str
) -> None:
    operation = spec["paths"][path][method]
    assert _parameter(operation, "If-Match")["required"] is False
    assert _parameter(operation, "If-None-Match")["in"] == "header"
    assert {"200", "201", "412", "413", "428"} <= set(operation["responses"])


def test_channels_formats_outcomes_and_identity_channels_are_enums_of_the_tables(spec: dict[str, Any]) -> None:
    paths, schemas = spec["paths"], spec["components"]["schemas"]
    channels = list(kb.CHANNEL_NAMES)
    formats = sorted({f for names in renderers.FORMATS.values() for f in names})
    answer = paths["/api/v1/answer"]["get"]
    render = paths["/api/v1/articles/{locale}/{key}/render/{channel}"]["get"]
    assert _parameter(answer, "channel")["schema"]["enum"] == channels
    assert _parameter(render, "channel")["schema"]["enum"] == channels
    assert _parameter(answer, "format")["schema"]["enum"] == formats
    assert _parameter(render, "format")["schema"]["enum"] == formats
    menu = paths["/api/v1/ivr/menu"]["get"]
    assert _parameter(menu, "format")["schema"]["enum"] == list(renderers.FORMATS["ivr"])
    assert schemas["InteractionIn"]["properties"]["outcome"]["enum"] == [o.value for o in contacts.Outcome]
    identity_channels = [c.value for c in contacts.IdentityChannel]
    assert schemas["IdentityIn"]["properties"]["channel"]["enum"] == identity_channels
    lookup = paths["/api/v1/contacts/lookup"]["get"]
    assert _parameter(lookup, "channel")["schema"]["enum"] == identity_channels


def test_operations_with_a_body_document_413_and_only_rate_limited_ones_429(spec: dict[str, Any]) -> None:
    limited = {
        ("get", "/api/v1/answer"),
        ("get", "/api/v1/search"),
        ("post", "/api/v1/route"),
        ("post", "/api/v1/contacts/verify"),  # five wrong PINs lock the contact's PIN for a while
    }
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            if "requestBody" in operation:
                assert "413" in codes, (method, path)
            assert ("429" in codes) == ((method, path) in limited), (method, path)


@contextmanager
def _server(database: str, tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A server over `database` with the sample content published; yields its URL and a key per role."""
    with migrated_database(database, tmp_path, sqlite_template, prefix="istok_schemathesis") as db_url:
        engine = kb.make_engine(db_url)
        kb.import_paths([ROOT / "content"], engine=engine, publish=True)
        engine.dispose()
        proc, base = start_server(db_url, tmp_path, ISTOK_RATE_LIMIT="100000")
        try:
            yield base, make_keys(db_url)
        finally:
            proc.terminate()
            proc.wait(timeout=15)


@pytest.mark.parametrize(("role", "database"), [("admin", "postgres"), ("bot", "sqlite")])
def test_every_operation_passes_every_check(role: str, database: str, tmp_path: Path, sqlite_template: Path) -> None:
    """Every operation is tested; deterministically (the same cases every run), so a failure reproduces."""
    with _server(database, tmp_path, sqlite_template) as (base, keys):
        run = subprocess.run(
            [
                str(CLI),
                "--config-file",
                str(CONFIG),
                "run",
                f"{base}/openapi.json",
                "--checks",
                "all",
                "--max-examples",
                str(MAX_EXAMPLES),
                "--header",
                f"Authorization: Bearer {keys[role]}",
                "--no-color",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-30_000:]
    operations = sum(len(methods) for methods in create_app().openapi()["paths"].values())
    assert f"Tested: {operations}\n" in report, report[-5_000:]
