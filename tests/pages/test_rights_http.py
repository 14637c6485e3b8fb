"""Rights per category and locale over HTTP: the API answers 403 problem+json naming them, and the
admin hides what a limited editor may not do and refuses it when posted anyway."""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import kb
from tests.api.commands import istok as run_istok
from tests.api.conftest import Live, sample_server

PROBLEM = "application/problem+json"
PASSWORD = "billing-uk-password"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Live]:
    env = {"ISTOK_SEMANTIC": "0", "ISTOK_RATE_LIMIT": "100000", "ISTOK_SECRET_KEY": "test-secret-key-rights"}
    for server in sample_server(tmp_path_factory.mktemp("rights"), sqlite_template, **env):
        engine = server.engine()
        rights = kb.make_rights(categories=["billing"], locales=["uk"])
        with kb.write_session(engine) as session:
            server.keys["billing-uk"] = kb.create_key(
                session=session, name="billing-uk-bot", role="editor", actor="test", rights=rights
            )[1]
            kb.create_user(session=session, username="oksana", password=PASSWORD, role="editor", actor="test")
            kb.set_rights(session=session, username="oksana", categories=["billing"], locales=["uk"], actor="test")
        engine.dispose()
        yield server


def _source(live: Live, locale: str, key: str) -> tuple[str, str]:
    with live.client("admin") as c:
        got = c.get(f"/api/v1/articles/{locale}/{key}")
    assert got.status_code == 200
    return got.json()["source"], got.headers["ETag"]


def test_a_limited_key_changes_billing_in_uk(live: Live) -> None:
    source, tag = _source(live, "uk", "top-up")
    with live.client("billing-uk") as c:
        saved = c.put(
            "/api/v1/articles/uk/top-up", json={"source": source + "\nЩе рядок.\n"}, headers={"If-Match": tag}
        )
        assert saved.status_code == 200, saved.text
        published = c.post("/api/v1/articles/uk/top-up/publish")
        assert published.status_code == 200 and published.json()["changed"] is True


@pytest.mark.parametrize(
    ("locale", "key", "named"), [("en", "top-up", "locale"), ("uk", "roaming-activate", "category")]
)
def test_outside_its_rights_a_key_gets_403_naming_the_category_and_locale(
    live: Live, locale: str, key: str, named: str
) -> None:
    source, tag = _source(live, locale, key)
    category = "billing" if key == "top-up" else "roaming"
    with live.client("billing-uk") as c:
        refused = [
            c.put(f"/api/v1/articles/{locale}/{key}", json={"source": source + "\nMore.\n"}, headers={"If-Match": tag}),
            c.post(f"/api/v1/articles/{locale}/{key}/unpublish"),
            c.post(f"/api/v1/articles/{locale}/{key}/publish", json={"revision": 1}),
        ]
    for reply in refused:
        assert reply.status_code == 403, reply.text
        assert reply.headers["content-type"].startswith(PROBLEM)
        body = reply.json()
        assert body["type"].endswith("/outside-rights")
        assert (body["category"], body["locale"]) == (category, locale)
        assert f"{named} '{category if named == 'category' else locale}'" in body["detail"]
    assert _source(live, locale, key) == (source, tag)  # nothing changed
    with live.client("admin") as c:
        assert c.get(f"/api/v1/articles/{locale}/{key}").json()["published_revision"] is not None


@contextlib.contextmanager
def _signed_in(live: Live) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.base, timeout=30) as http:
        token = re.search(r'name="csrf" value="([^"]+)"', http.get("/login").text)
        assert token is not None
        done = http.post("/login", data={"username": "oksana", "password": PASSWORD, "csrf": token.group(1)})
        assert done.status_code == 303, done.text
        yield http


def test_the_admin_hides_what_a_limited_editor_may_not_do(live: Live) -> None:
    with _signed_in(live) as http:
        theirs = http.get("/admin/articles/uk/check-balance").text
        other = http.get("/admin/articles/en/check-balance").text
        account = http.get("/account").text
    assert "Save draft" in theirs and "Publish revision" in theirs and 'id="outside-rights"' not in theirs
    assert 'id="outside-rights"' in other and "billing in uk" in other
    assert "Save draft" not in other and "Publish revision" not in other and "Unpublish…" not in other
    assert "Roll back to" not in other
    assert "Articles in billing in uk only." in account


def test_the_admin_refuses_a_post_outside_the_rights_and_changes_nothing(live: Live) -> None:
    source, tag = _source(live, "en", "check-balance")
    with _signed_in(live) as http:
        page = http.get("/admin/articles/en/check-balance").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf is not None
        saved = http.post(
            "/admin/save",
            data={"source": source + "\nMore.\n", "base": tag.strip('"r'), "csrf": csrf.group(1), "message": "x"},
        )
        unpublished = http.post(
            "/admin/articles/en/check-balance/unpublish", data={"csrf": csrf.group(1), "confirmed": "yes"}
        )
    assert saved.status_code == 403
    assert "may not save articles in category 'billing', locale 'en'" in html.unescape(saved.text)
    assert unpublished.status_code == 303 and "kind=error" in unpublished.headers["location"]
    assert _source(live, "en", "check-balance") == (source, tag)
    with live.client("admin") as c:
        assert c.get("/api/v1/articles/en/check-balance").json()["published_revision"] is not None


def _istok(live: Live, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ISTOK_DATABASE_URL": live.db_url, "ISTOK_DATA_DIR": str(live.data_dir)}
    return run_istok(args, env)


def test_istok_users_sets_rights_links_identities_and_turns_the_second_factor_off(live: Live) -> None:
    made = _istok(live, "users", "create", "bohdan", "--role", "editor", "--password", "bohdan-password")
    assert made.returncode == 0, made.stderr
    limited = _istok(live, "users", "rights", "bohdan", "--category", "roaming", "--locale", "uk", "--locale", "en")
    assert limited.returncode == 0 and "roaming in en, uk" in limited.stdout
    listed = json.loads(_istok(live, "users", "list", "--json").stdout)
    bohdan = next(u for u in listed if u["username"] == "bohdan")
    assert (bohdan["categories"], bohdan["locales"], bohdan["second_factor"]) == (["roaming"], ["en", "uk"], False)
    bad = _istok(live, "users", "rights", "bohdan", "--locale", "Ukrainian")
    assert bad.returncode == 1 and "not a locale: Ukrainian" in bad.stderr
    linked = _istok(live, "users", "link", "bohdan", "bohdan-at-idp", "--issuer", "https://id.example.com")
    assert linked.returncode == 0, linked.stderr
    twice = _istok(live, "users", "link", "bohdan", "bohdan-at-idp", "--issuer", "https://id.example.com")
    assert twice.returncode == 1 and "already opens bohdan" in twice.stderr
    engine = live.engine()
    with kb.write_session(engine) as session:
        user = kb.find_user(session=session, username="bohdan")
        assert user is not None
        kb.start_enrolment(session=session, user=user)
        user.totp_confirmed_at = kb.utcnow()  # as a confirmed code would
    engine.dispose()
    assert "is on" in _istok(live, "users", "second-factor", "bohdan").stdout
    off = _istok(live, "users", "second-factor", "bohdan", "--off")
    assert off.returncode == 0 and "is off" in _istok(live, "users", "second-factor", "bohdan").stdout
    freed = _istok(live, "users", "rights", "bohdan")
    assert freed.returncode == 0 and "may change: everything" in freed.stdout


def test_istok_keys_create_limits_a_key(live: Live) -> None:
    done = _istok(live, "keys", "create", "--role", "editor", "--name", "uk-bot", "--locale", "uk", "--json")
    assert done.returncode == 0, done.stderr
    secret = json.loads(done.stdout)["key"]
    source, tag = _source(live, "en", "top-up")
    with httpx.Client(base_url=live.base, headers={"Authorization": f"Bearer {secret}"}, timeout=30) as c:
        refused = c.put("/api/v1/articles/en/top-up", json={"source": source + "\nMore.\n"}, headers={"If-Match": tag})
    assert refused.status_code == 403 and refused.json()["locale"] == "en"
