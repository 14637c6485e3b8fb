"""The HTTP surface every client meets: HEAD, Allow on 405, conditional writes, body limits."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.api.conftest import Live
from tests.helpers import article

PROBLEM = "application/problem+json"
#: Headers that differ between two answers to the same request for reasons other than the method.
VOLATILE = {"date", "set-cookie", "x-request-id"}
VOLATILE_PREFIXES = ("x-ratelimit", "ratelimit")


def _headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in VOLATILE and not k.startswith(VOLATILE_PREFIXES)}


def _help_article_path(live: Live) -> str:
    sitemap = httpx.get(f"{live.base}/sitemap.xml").text
    paths = [p for p in re.findall(r"<loc>https?://[^/<]+(/help/en/[^<]+)</loc>", sitemap) if p.count("/") == 3]
    assert paths, sitemap[:500]
    return paths[0]


@pytest.mark.parametrize("role", [None, "editor"])
def test_head_answers_as_get_would_without_a_body(live: Live, role: str | None) -> None:
    key = f"h-{uuid.uuid4().hex[:8]}"
    with live.client("editor") as c:
        c.put(f"/api/v1/articles/en/{key}", json={"source": article(key=key)}, headers={"If-None-Match": "*"})
    paths = [
        "/help/en/",
        _help_article_path(live),
        "/sitemap.xml",
        "/robots.txt",
        "/widget.js",
        "/admin",
        "/panel",
        "/healthz",
        "/static/help.css",
        "/api/v1/facts",
        f"/api/v1/articles/en/{key}",
    ]
    with live.client(role) as c:
        for path in paths:
            got = c.get(path)
            head = c.head(path)
            assert head.status_code == got.status_code, (path, head.status_code, head.text)
            assert _headers(head) == _headers(got), path
            assert head.content == b"", path
            if got.status_code == 200 and "transfer-encoding" not in got.headers:
                assert int(head.headers["content-length"]) == len(got.content), path


def test_head_with_if_none_match_gets_the_same_304_as_get(live: Live) -> None:
    with live.client() as c:
        for path in ("/help/en/", _help_article_path(live), "/sitemap.xml"):
            first = c.get(path)
            tag = first.headers["ETag"]
            assert {"etag", "cache-control", "last-modified"} <= set(first.headers.keys()), path
            got = c.get(path, headers={"If-None-Match": tag})
            head = c.head(path, headers={"If-None-Match": tag})
            assert got.status_code == head.status_code == 304, path
            assert head.headers["ETag"] == tag and head.content == b""
            assert _headers(head) == _headers(got), path


@pytest.fixture
def raw(live: Live) -> Iterator[httpx.Client]:
    with live.client("editor") as c:
        yield c


@pytest.mark.parametrize("method", ["TRACE", "CONNECT"])
def test_unsupported_methods_get_405_with_every_allowed_method(live: Live, raw: httpx.Client, method: str) -> None:
    key = f"m-{uuid.uuid4().hex[:8]}"
    raw.put(f"/api/v1/articles/en/{key}", json={"source": article(key=key)}, headers={"If-None-Match": "*"})
    expected = {
        "/help/en/": {"GET", "HEAD"},
        "/sitemap.xml": {"GET", "HEAD"},
        "/static/help.css": {"GET", "HEAD"},
        f"/api/v1/articles/en/{key}": {"GET", "HEAD", "PUT"},
        f"/api/v1/articles/en/{key}/publish": {"POST"},
        "/admin/facts": {"GET", "HEAD", "POST"},
    }
    for path, methods in expected.items():
        response = raw.request(method, path)
        assert response.status_code == 405, (path, response.status_code, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
        assert {m.strip() for m in response.headers["Allow"].split(",")} == methods, path


def test_head_on_a_path_without_get_is_405_naming_its_methods(raw: httpx.Client) -> None:
    response = raw.head("/api/v1/articles/en/check-balance/publish")
    assert response.status_code == 405 and response.headers["Allow"] == "POST"


def _create_article(c: httpx.Client) -> tuple[str, str]:
    key = f"c-{uuid.uuid4().hex[:8]}"
    url = f"/api/v1/articles/en/{key}"
    created = c.put(url, json={"source": article(key=key)}, headers={"If-None-Match": "*"})
    assert created.status_code == 201
    saved = c.put(url, json={"source": article(key=key, body="Second.")}, headers={"If-Match": '"r1"'})
    assert saved.status_code == 200 and saved.headers["ETag"] == '"r2"'
    return key, url


@pytest.mark.parametrize("bad", ["lol", "r2", '"v2"', 'W/"x"', '""'])
def test_malformed_if_match_on_an_article_names_the_current_revision(raw: httpx.Client, bad: str) -> None:
    key, url = _create_article(raw)
    refused = raw.put(url, json={"source": article(key=key, body="Third.")}, headers={"If-Match": bad})
    assert refused.status_code == 412 and refused.headers["content-type"].startswith(PROBLEM)
    detail = refused.json()["detail"]
    assert "None" not in detail and "revision 2" in detail and '"r2"' in detail, detail
    assert raw.get(url).json()["draft_revision"] == 2


def test_if_match_star_saves_over_the_current_draft_and_fails_on_a_missing_article(raw: httpx.Client) -> None:
    key, url = _create_article(raw)
    saved = raw.put(url, json={"source": article(key=key, body="Third.")}, headers={"If-Match": "*"})
    assert saved.status_code == 200 and saved.headers["ETag"] == '"r3"' and saved.json()["draft_revision"] == 3
    missing = f"n-{uuid.uuid4().hex[:8]}"
    refused = raw.put(
        f"/api/v1/articles/en/{missing}", json={"source": article(key=missing)}, headers={"If-Match": "*"}
    )
    assert refused.status_code == 412 and "does not exist" in refused.json()["detail"]
    assert raw.get(f"/api/v1/articles/en/{missing}").status_code == 404


def test_if_none_match_star_on_an_existing_article_says_it_exists(raw: httpx.Client) -> None:
    key, url = _create_article(raw)
    refused = raw.put(url, json={"source": article(key=key, body="Again.")}, headers={"If-None-Match": "*"})
    assert refused.status_code == 412
    detail = refused.json()["detail"]
    assert "exists" in detail and "revision 2" in detail and "None" not in detail, detail


def test_facts_follow_the_same_conditional_rules(raw: httpx.Client) -> None:
    name = f"f_{uuid.uuid4().hex[:8]}"
    url = f"/api/v1/facts/{name}"
    body = {"type": "money", "value": "5 EUR"}
    assert raw.put(url, json=body, headers={"If-Match": "*"}).status_code == 412
    assert raw.put(url, json=body, headers={"If-None-Match": "*"}).status_code == 201
    exists = raw.put(url, json=body, headers={"If-None-Match": "*"})
    assert exists.status_code == 412 and "exists" in exists.json()["detail"] and '"v1"' in exists.json()["detail"]
    for bad in ("lol", "v1"):
        for response in (
            raw.put(url, json=body, headers={"If-Match": bad}),
            raw.delete(url, headers={"If-Match": bad}),
        ):
            assert response.status_code == 412, (bad, response.text)
            assert "revision 1" in response.json()["detail"] and "None" not in response.json()["detail"]
    star = raw.put(url, json={"type": "money", "value": "6 EUR"}, headers={"If-Match": "*"})
    assert star.status_code == 200 and star.headers["ETag"] == '"v2"'
    assert raw.delete(url, headers={"If-Match": "*"}).status_code == 204
    assert raw.get(url).status_code == 404


def test_synonyms_follow_the_same_conditional_rules(raw: httpx.Client) -> None:
    word = uuid.uuid4().hex[:6]
    created = raw.post("/api/v1/synonyms", json={"locale": "en", "terms": [f"a{word}", f"b{word}"]})
    url = f"/api/v1/synonyms/{created.json()['id']}"
    terms = {"terms": [f"a{word}", f"c{word}"]}
    for bad in ("lol", "v1"):
        for response in (
            raw.put(url, json=terms, headers={"If-Match": bad}),
            raw.delete(url, headers={"If-Match": bad}),
        ):
            assert response.status_code == 412, (bad, response.text)
            assert "revision 1" in response.json()["detail"] and "None" not in response.json()["detail"]
    exists = raw.put(url, json=terms, headers={"If-None-Match": "*"})
    assert exists.status_code == 412 and "exists" in exists.json()["detail"]
    star = raw.put(url, json=terms, headers={"If-Match": "*"})
    assert star.status_code == 200 and star.headers["ETag"] == '"v2"'
    assert raw.delete(url, headers={"If-Match": "*"}).status_code == 204


def test_a_chunked_body_over_the_limit_gets_413_whatever_the_method(raw: httpx.Client) -> None:
    key = f"b-{uuid.uuid4().hex[:8]}"
    payload = ('{"source": "' + "x" * (1536 * 1024) + '"}').encode()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(payload), 64 * 1024):
            yield payload[start : start + 64 * 1024]

    for method, path in (("PUT", f"/api/v1/articles/en/{key}"), ("POST", "/api/v1/synonyms"), ("GET", "/api/v1/facts")):
        response = raw.request(
            method, path, content=chunks(), headers={"Content-Type": "application/json", "If-None-Match": "*"}
        )
        assert "content-length" not in response.request.headers
        assert response.request.headers["transfer-encoding"] == "chunked"
        assert response.status_code == 413, (method, path, response.status_code)
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["type"].endswith("/body-too-large")
    assert raw.get(f"/api/v1/articles/en/{key}").status_code == 404
    small = httpx.Request("PUT", "/", json={"source": article(key=key)}).content
    under = raw.put(
        f"/api/v1/articles/en/{key}",
        content=iter([small[:10], small[10:]]),
        headers={"Content-Type": "application/json", "If-None-Match": "*"},
    )
    assert under.request.headers["transfer-encoding"] == "chunked"
    assert under.status_code == 201, under.text
