"""The faces over plain HTTP: caching validators, SEO, sessions, CSRF, rate limits and votes."""

from __future__ import annotations

import html
import json
import re
import shutil
import time
import xml.etree.ElementTree as ET

import httpx
import pytest

import kb
from tests.conftest import missing_tool
from tests.pages.conftest import PASSWORDS, Site, client, csrf_of, http_login


def test_article_pages_revalidate_with_304(site: Site) -> None:
    with client(site) as http:
        first = http.get("/help/en/set-up-autopay")
        assert first.status_code == 200
        assert "public" in first.headers["cache-control"] and "s-maxage" in first.headers["cache-control"]
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        again = http.get("/help/en/set-up-autopay", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert http.get("/help/en/set-up-autopay", headers={"If-Modified-Since": modified}).status_code == 304
        assert http.get("/help/en/set-up-autopay", headers={"If-None-Match": '"other"'}).status_code == 200
        assert (
            "immutable"
            in http.get(re.findall(r'href="(/static/help\.css\?v=\w+)"', first.text)[0]).headers["cache-control"]
        )


def test_seo_canonical_hreflang_jsonld_opengraph(site: Site) -> None:
    html = httpx.get(f"{site.base}/help/ru/avtoplatezh").text
    assert f'<link rel="canonical" href="{site.base}/help/ru/avtoplatezh">' in html
    assert f'hreflang="en" href="{site.base}/help/en/set-up-autopay"' in html
    assert '<meta property="og:title"' in html and '<meta name="description"' in html
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    types = {json.loads(b)["@type"] for b in blocks}
    assert types == {"FAQPage", "BreadcrumbList"}


def test_sitemap_lists_live_pages_with_alternates(site: Site) -> None:
    response = httpx.get(f"{site.base}/sitemap.xml")
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    urls = {u.findtext("s:loc", namespaces=ns): u for u in root.findall("s:url", ns)}
    autopay = urls[f"{site.base}/help/uk/{_slug(site, 'uk', 'autopay')}"]
    assert {link.get("hreflang") for link in autopay.findall("x:link", ns)} == {"ru", "uk", "en"}
    assert f"{site.base}/help/en/" in urls


def _slug(site: Site, locale: str, key: str) -> str:
    engine = site.engine()
    with kb.read_session(engine) as session:
        slug = kb.get_article(session=session, key=key, locale=locale).slug
    engine.dispose()
    return slug


def test_help_root_follows_the_readers_language(site: Site) -> None:
    response = httpx.get(f"{site.base}/help/", headers={"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.5"})
    assert response.status_code == 302 and response.headers["location"] == "/help/uk/"
    assert httpx.get(f"{site.base}/help/xx/").status_code == 404


def test_session_cookie_is_httponly_lax_and_secure_over_https(site: Site) -> None:
    http = http_login(site, "editor")
    cookie = next(h for h in http.cookies.jar if h.name == "istok_session")
    assert cookie.has_nonstandard_attr("HttpOnly")
    with client(site) as other:
        form = other.get("/login").text
        token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        done = other.post(
            "/login",
            data={"username": "editor1", "password": PASSWORDS["editor"], "csrf": token},
            headers={"X-Forwarded-Proto": "https"},
        )
    set_cookie = done.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie and "secure" in set_cookie


def test_forms_without_the_csrf_token_change_nothing(site: Site) -> None:
    http = http_login(site, "editor")
    before = _draft(site, "en", "top-up")
    refused = http.post("/admin/articles/en/top-up/unpublish", data={"csrf": "forged"})
    assert refused.status_code == 403
    assert http.post("/admin/preview", json={"source": "x"}).status_code == 403
    assert _draft(site, "en", "top-up") == before
    ok = http.post("/admin/preview", json={"source": "x"}, headers={"X-CSRF-Token": csrf_of(http)})
    assert ok.status_code == 200 and ok.json()["ok"] is False  # not a valid source: problems, not an error


def test_the_editor_refuses_a_source_past_the_nesting_limit_and_keeps_the_text(site: Site) -> None:
    http = http_login(site, "editor")
    source = "---\nkey: too-deep\nlocale: en\ntitle: Too deep\n---\n" + "> " * 400 + "x\n"
    refused = http.post("/admin/save", data={"source": source, "base": "0", "csrf": csrf_of(http), "message": "x"})
    assert refused.status_code == 422
    assert "editor:6: nested" in refused.text and "at most 20 levels" in refused.text
    assert "&gt; &gt; &gt; x" in refused.text  # the editor's text is kept in the form
    preview = http.post("/admin/preview", json={"source": source}, headers={"X-CSRF-Token": csrf_of(http)})
    assert preview.status_code == 200 and "at most 20 levels" in str(preview.json())
    with kb.read_session(site.engine()) as session:
        assert kb.find_article(session=session, key="too-deep", locale="en") is None


def _draft(site: Site, locale: str, key: str) -> tuple[int, int | None]:
    engine = site.engine()
    with kb.read_session(engine) as session:
        a = kb.get_article(session=session, key=key, locale=locale)
    engine.dispose()
    return a.draft_revision, a.published_revision


def test_login_is_rate_limited_per_user(site: Site) -> None:
    engine = site.engine()
    with kb.write_session(engine) as session:
        kb.create_user(session=session, username="target1", password="the-right-password", role="editor", actor="test")
    engine.dispose()
    with client(site) as http:
        token = re.search(r'name="csrf" value="([^"]+)"', http.get("/login").text).group(1)  # type: ignore[union-attr]
        for _ in range(3):
            wrong = http.post("/login", data={"username": "target1", "password": "wrong-password", "csrf": token})
            assert wrong.status_code == 401
        right = http.post("/login", data={"username": "target1", "password": "the-right-password", "csrf": token})
        assert right.status_code == 429 and int(right.headers["retry-after"]) > 0
        bad_csrf = http.post("/login", data={"username": "editor1", "password": PASSWORDS["editor"], "csrf": "x"})
        assert bad_csrf.status_code == 400


def test_disabled_account_loses_its_session(site: Site) -> None:
    engine = site.engine()
    with kb.write_session(engine) as session:
        kb.create_user(session=session, username="leaver1", password="leaver-password", role="operator", actor="test")
    http = client(site)
    token = re.search(r'name="csrf" value="([^"]+)"', http.get("/login").text).group(1)  # type: ignore[union-attr]
    http.post("/login", data={"username": "leaver1", "password": "leaver-password", "csrf": token})
    assert http.get("/panel/search", params={"q": "sim"}).status_code == 200
    with kb.write_session(engine) as session:
        kb.disable_user(session=session, username="leaver1", actor="test")
    engine.dispose()
    time.sleep(2.1)  # the account cache's lifetime
    assert http.get("/panel/search", params={"q": "sim"}).status_code == 401


def test_votes_come_from_the_help_pages_only(site: Site) -> None:
    url = f"{site.base}/help/en/set-up-autopay/vote"
    form = {"revision": "1", "helpful": "no"}
    assert httpx.post(url, data=form, headers={"Origin": "https://evil.example"}).status_code == 403
    done = httpx.post(url, data=form, headers={"Origin": site.base, "Accept": "application/json"})
    assert done.status_code == 200 and done.json()["recorded"] is True
    assert httpx.post(url, data={"revision": "1", "helpful": "maybe"}).status_code == 422


def test_listen_speaks_the_ivr_preview(site: Site) -> None:
    if shutil.which("espeak-ng") is None:
        missing_tool("espeak-ng is not installed (apt-get install espeak-ng)")
    http = http_login(site, "editor")
    source = http.get("/admin/articles/en/autopay").text
    text = re.search(r'<textarea id="source"[^>]*>(.*?)</textarea>', source, re.S).group(1)  # type: ignore[union-attr]
    audio = http.post(
        "/admin/listen", json={"source": html.unescape(text)}, headers={"X-CSRF-Token": csrf_of(http)}, timeout=60
    )
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
    assert audio.content[:4] == b"RIFF"


@pytest.mark.parametrize("path", ["/admin", "/admin/facts", "/admin/gaps", "/admin/synonyms", "/panel"])
def test_staff_pages_need_a_session(site: Site, path: str) -> None:
    response = httpx.get(site.base + path)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


def test_panel_csp_allows_the_configured_desk(site: Site) -> None:
    http = http_login(site, "operator")
    csp = http.get("/panel").headers["content-security-policy"]
    assert "frame-ancestors 'self' https://desk.example" in csp
    assert "frame-ancestors 'self'" in httpx.get(f"{site.base}/help/en/").headers["content-security-policy"]


def _problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["status"] == status and str(body["type"]).startswith("https://istok.dev/problems/")
    return body


def test_the_pages_json_errors_are_problem_details_like_the_apis(site: Site) -> None:
    """Panel, preview, widget and votes refuse through the one problem+json handler, not by hand."""
    with client(site) as http:
        assert _problem(http.get("/panel/search", params={"q": "роуминг"}), 401)["detail"] == "sign in first"
        _problem(http.get("/panel/card/en/top-up"), 401)
        _problem(http.post("/admin/preview", json={"source": "x"}), 401)
    operator = http_login(site, "operator")
    _problem(operator.get("/panel/card/en/no-such-article"), 404)
    assert _problem(operator.post("/admin/preview", json={"source": "x"}), 403)["detail"] == "editors only"
    widget = httpx.get(
        f"{site.base}/widget/answer",
        params={"q": "roaming", "locale": "en"},
        headers={"Origin": "https://evil.example"},
    )
    assert "may not embed" in str(_problem(widget, 403)["detail"])
    vote = httpx.post(
        f"{site.base}/help/en/set-up-autopay/vote",
        data={"revision": "1", "helpful": "yes"},
        headers={"Origin": "https://evil.example"},
    )
    _problem(vote, 403)
