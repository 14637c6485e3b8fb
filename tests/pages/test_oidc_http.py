"""Sign-in through a real OpenID provider (node-oidc-provider), driven over HTTP as a browser would.

The authorization code flow with PKCE: the provider's development login and consent forms are
posted like a person would, and every check on the way back is tried by breaking what it guards
(a forged or replayed state, another nonce, a wrong PKCE verifier, a token for another client, a
changed signature).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlparse

import httpx
import pytest
from sqlmodel import select

import kb
from api.pages.oidc_client import OidcFailed, OidcSettings, Pending, Provider, new_pending
from tests.fakes.oidc import CLIENT_ID, CLIENT_SECRET
from tests.pages.oidc_fixtures import World, istok_with_provider


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[World]:
    with istok_with_provider(tmp_path_factory.mktemp("oidc"), sqlite_template) as running:
        yield running


def _form(page: httpx.Response) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the provider's (only) form on this page."""
    action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
    assert action is not None, page.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    return urljoin(str(page.url), action.group(1).replace("&amp;", "&")), fields


def _to_callback(http: httpx.Client, start: str, login: str) -> str:
    """Follow the redirects from `start` through the provider's login and consent to Istok's callback
    address, which is returned unvisited."""
    url = start
    for _ in range(20):
        reply = http.get(url)
        while reply.is_redirect:
            url = urljoin(str(reply.url), reply.headers["location"])
            if "/login/oidc/callback" in url:
                return url
            reply = http.get(url)
        action, fields = _form(reply)
        if 'name="login"' in reply.text:
            fields |= {"login": login, "password": "whatever"}
        reply = http.post(action, data=fields)
        assert reply.is_redirect, reply.text
        url = urljoin(str(reply.url), reply.headers["location"])
        if "/login/oidc/callback" in url:
            return url
    raise AssertionError("the provider never sent the browser back")


def _client() -> httpx.Client:
    return httpx.Client(timeout=30, follow_redirects=False)


def test_the_login_page_offers_the_provider(world: World) -> None:
    page = httpx.get(f"{world.base}/login?next=/admin")
    assert 'href="/login/oidc?next=/admin"' in page.text
    assert "Sign in with Sfera SSO" in page.text


def test_an_editor_at_the_provider_signs_in_and_becomes_an_editor_here(world: World) -> None:
    with _client() as http:
        out = http.get(f"{world.base}/login/oidc?next=/admin")
        assert out.status_code == 303
        asked = parse_qs(urlparse(out.headers["location"]).query)
        assert out.headers["location"].startswith(world.issuer)
        assert asked["code_challenge_method"] == ["S256"] and len(asked["code_challenge"][0]) == 43
        assert asked["state"][0] and asked["nonce"][0] and asked["redirect_uri"] == [world.callback]
        back = http.get(_to_callback(http, out.headers["location"], "anna"))
        assert back.status_code == 303 and back.headers["location"] == "/admin", back.text
        admin = http.get(f"{world.base}/admin")
        assert admin.status_code == 200 and "anna" in admin.text
    engine = kb.make_engine(world.db_url)
    with kb.read_session(engine) as session:
        user = kb.find_user(session=session, username="anna")
        assert user is not None and user.role == "editor" and not kb.has_password(user)
        identity = session.exec(select(kb.UserIdentity).where(kb.UserIdentity.user_id == user.id)).one()
        assert (identity.issuer, identity.subject) == (world.issuer, "anna")
        login = session.exec(select(kb.AuditEntry).where(kb.AuditEntry.action == "user.login")).all()
        assert any(e.actor == "anna" and e.detail.get("method") == "oidc" for e in login)
    engine.dispose()


def test_the_provider_decides_the_role_and_a_name_taken_here_is_not_joined(world: World) -> None:
    """olga is an admin at the provider, and a password account "olga" exists here, not linked to her."""
    with _client() as http:
        back = http.get(_to_callback(http, f"{world.base}/login/oidc", "olga"))
        assert back.status_code == 403
        assert "taken by an account not linked to you" in back.text
        assert "istok_session" not in http.cookies


def test_someone_the_mapping_gives_no_role_is_refused(world: World) -> None:
    with _client() as http:
        back = http.get(_to_callback(http, f"{world.base}/login/oidc", "ivan"))
        assert back.status_code == 403 and "has no Istok role" in back.text
        assert http.get(f"{world.base}/admin").status_code == 303  # to /login: not signed in
    engine = kb.make_engine(world.db_url)
    with kb.read_session(engine) as session:
        assert kb.find_user(session=session, username="ivan") is None
    engine.dispose()


def test_a_forged_state_and_a_replayed_callback_are_refused(world: World) -> None:
    with _client() as http:
        callback = _to_callback(http, f"{world.base}/login/oidc", "anna")
        forged = re.sub(r"state=[^&]+", "state=forged", callback)
        refused = http.get(forged)
        assert refused.status_code == 400 and "did not start here" in refused.text
    with _client() as http:
        callback = _to_callback(http, f"{world.base}/login/oidc", "anna")
        assert http.get(callback).status_code == 303
        http.cookies.delete("istok_session")
        again = http.get(callback)  # the state cookie went with the first use
        assert again.status_code == 400 and "istok_session" not in http.cookies


def _code_for(world: World, pending: Pending, login: str) -> str:
    idp = Provider(world.settings())
    with _client() as http:
        callback = _to_callback(http, idp.authorization_url(pending, world.callback), login)
    return parse_qs(urlparse(callback).query)["code"][0]


def test_the_id_token_is_checked_for_nonce_pkce_audience_and_signature(world: World) -> None:
    pending = new_pending("/admin")
    idp = Provider(world.settings())
    claims = idp.exchange(_code_for(world, pending, "anna"), pending, world.callback)
    assert claims["sub"] == "anna" and claims["groups"] == ["support-editors"]

    other_nonce = Pending(state=pending.state, nonce="not-the-one-sent", verifier=pending.verifier, next="/")
    with pytest.raises(OidcFailed, match="nonce"):
        idp.exchange(_code_for(world, pending, "anna"), other_nonce, world.callback)

    wrong_verifier = Pending(state=pending.state, nonce=pending.nonce, verifier="x" * 64, next="/")
    with pytest.raises(OidcFailed, match="refused the code"):
        idp.exchange(_code_for(world, pending, "anna"), wrong_verifier, world.callback)

    reply = httpx.post(
        idp.metadata()["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": _code_for(world, pending, "anna"),
            "redirect_uri": world.callback,
            "code_verifier": pending.verifier,
        },
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    token = reply.json()["id_token"]
    assert idp.verify_id_token(token, nonce=pending.nonce)["sub"] == "anna"
    with pytest.raises(OidcFailed, match="another client"):
        Provider(world.settings(client_id="someone-else")).verify_id_token(token, nonce=pending.nonce)
    head, body, signature = token.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    with pytest.raises(OidcFailed, match="refused"):
        idp.verify_id_token(f"{head}.{body}.{flipped}", nonce=pending.nonce)
    unsigned = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).decode().rstrip("=")
    with pytest.raises(OidcFailed, match="refused"):
        idp.verify_id_token(f"{unsigned}.{body}.", nonce=pending.nonce)


def test_roles_map_from_claims_highest_first() -> None:
    settings = OidcSettings(
        issuer="https://idp.example",
        client_id="c",
        client_secret="",
        display_name="",
        scopes="openid",
        role_claim="groups",
        roles={"support-admins": "admin", "support-editors": "editor", "desk": "operator"},
    )
    assert settings.role_for({"groups": ["support-editors", "support-admins"]}) == "admin"
    assert settings.role_for({"groups": ["desk"]}) == "operator"
    assert settings.role_for({"groups": ["sales"]}) is None
    assert settings.role_for({}) is None
    assert settings.role_for({"groups": "desk"}) == "operator"  # a single value, not a list
