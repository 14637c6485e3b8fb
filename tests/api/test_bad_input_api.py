"""Input the store cannot hold (issue #12): text that is not Unicode, integers past a column's range.

Each gets 422 problem+json instead of a 500 from the database or the engine, on SQLite and
PostgreSQL alike, and the OpenAPI document shows the bounds so clients (and schemathesis)
know them before they send.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.conftest import Live

LONE = "\\ud800x"  # the JSON escape of a lone surrogate, as raw text in a body
HUGE = 35557350811087337947136  # found by schemathesis: past every SQL integer type
NOT_UTF8 = "%ED%A0%80"  # a surrogate encoded as UTF-8 bytes: not valid UTF-8


def _contact(live: Live) -> int:
    r = live.client("operator").post("/api/v1/contacts", json={"name": "Bad Input"})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _synonym_set(live: Live) -> int:
    terms = [f"a{uuid.uuid4().hex[:6]}", f"b{uuid.uuid4().hex[:6]}"]
    r = live.client("editor").post("/api/v1/synonyms", json={"locale": "en", "terms": terms})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


# (role, method, path template, raw JSON body with a lone surrogate); {contact} and {set} are filled in.
SURROGATE_WRITES = [
    ("operator", "POST", "/api/v1/contacts", f'{{"name": "{LONE}"}}'),
    ("operator", "POST", "/api/v1/contacts", f'{{"consent": {{"{LONE}": true}}}}'),
    ("operator", "PATCH", "/api/v1/contacts/{contact}", f'{{"name": "{LONE}"}}'),
    ("operator", "POST", "/api/v1/contacts/{contact}/identities", f'{{"channel": "web", "address": "{LONE}"}}'),
    (
        "operator",
        "POST",
        "/api/v1/interactions",
        f'{{"contact": {{contact}}, "channel": "chat", "question": "{LONE}", "outcome": "handoff"}}',
    ),
    ("editor", "PUT", "/api/v1/facts/bad_{uid}", f'{{"type": "text", "value": "{LONE}"}}'),
    ("editor", "PUT", "/api/v1/facts/bad_{uid}", f'{{"type": "text", "value": "x", "locales": {{"en": "{LONE}"}}}}'),
    ("editor", "POST", "/api/v1/synonyms", f'{{"locale": "en", "terms": ["{LONE}", "other"]}}'),
    ("editor", "PUT", "/api/v1/synonyms/{set}", f'{{"terms": ["{LONE}", "other"]}}'),
]


@pytest.fixture
def fill(live: Live) -> dict[str, Any]:
    return {"contact": _contact(live), "set": _synonym_set(live), "uid": uuid.uuid4().hex[:8]}


def _headers(method: str, url: str) -> dict[str, str]:
    """What each write needs to get as far as the store: a create or the current version."""
    headers = {"Content-Type": "application/json"}
    if method == "PUT":
        headers.update({"If-Match": '"v1"'} if "/synonyms/" in url else {"If-None-Match": "*"})
    return headers


def _assert_invalid(r: httpx.Response) -> None:
    assert r.status_code == 422, f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("/invalid-request")


@pytest.mark.parametrize(("role", "method", "path", "body"), SURROGATE_WRITES)
def test_a_lone_surrogate_in_a_json_body_gets_422(
    live: Live, fill: dict[str, Any], role: str, method: str, path: str, body: str
) -> None:
    url = path.format(**fill)
    content = body.replace("{contact}", str(fill["contact"])).encode()
    r = live.client(role).request(method, url, content=content, headers=_headers(method, url))
    _assert_invalid(r)
    assert "Unicode" in r.json()["detail"]


def test_only_the_bad_text_is_refused_and_it_changes_nothing(live: Live) -> None:
    """The problem names the field; a real astral character (a pair of escapes) and the literal
    text `\\ud800` (an escaped backslash) are still good text."""
    name = f"bad_{uuid.uuid4().hex[:8]}"
    with live.client("editor") as c:
        body = f'{{"type": "text", "value": "{LONE}"}}'.encode()
        r = c.put(f"/api/v1/facts/{name}", content=body, headers=_headers("PUT", "/api/v1/facts/"))
        _assert_invalid(r)
        assert r.json()["errors"][0]["loc"] == ["body", "value"]
        assert c.get(f"/api/v1/facts/{name}").status_code == 404
        good = b'{"type": "text", "value": "\\ud83d\\ude00 and \\\\ud800"}'
        created = c.put(f"/api/v1/facts/{name}", content=good, headers=_headers("PUT", "/api/v1/facts/"))
        assert created.status_code == 201, created.text
        assert created.json()["value"] == "\U0001f600 and \\ud800"


@pytest.mark.parametrize(
    "body",
    [b'{"name": "\xed\xa0\x80"}', b'{"name": "caf\xe9"}'],
    ids=["utf8-encoded-surrogate", "latin1-byte"],
)
def test_a_body_that_is_not_utf8_gets_422(live: Live, body: bytes) -> None:
    r = live.client("operator").post("/api/v1/contacts", content=body, headers={"Content-Type": "application/json"})
    _assert_invalid(r)


@pytest.mark.parametrize(
    ("role", "path", "query"),
    [
        ("bot", "/api/v1/search", f"q={NOT_UTF8}&locale=en"),
        ("bot", "/api/v1/answer", f"q={NOT_UTF8}&locale=en&channel=bot"),
        ("editor", "/api/v1/articles", f"category={NOT_UTF8}"),
        ("admin", "/api/v1/audit", f"action={NOT_UTF8}"),
    ],
)
def test_a_query_parameter_that_is_not_utf8_gets_422(live: Live, role: str, path: str, query: str) -> None:
    """Starlette would quietly turn the bytes into U+FFFD; the engine and the store must not see that."""
    r = live.client(role).get(f"{path}?{query}")
    _assert_invalid(r)


# (role, method, path, JSON body or None, query or None): each carries one integer past its bound.
HUGE_INTEGERS: list[tuple[str, str, str, Any, dict[str, Any] | None]] = [
    ("editor", "POST", "/api/v1/articles/ru/check-balance/publish", {"revision": HUGE}, None),
    ("editor", "POST", "/api/v1/articles/ru/check-balance/publish", {"revision": 2**31}, None),
    ("editor", "POST", "/api/v1/articles/ru/check-balance/rollback", {"revision": HUGE}, None),
    ("editor", "POST", "/api/v1/articles/ru/check-balance/rollback", {"revision": 2**31}, None),
    ("editor", "GET", f"/api/v1/articles/ru/check-balance/revisions/{HUGE}", None, None),
    ("editor", "GET", "/api/v1/articles/ru/check-balance/diff", None, {"from": HUGE, "to": 1}),
    ("editor", "GET", "/api/v1/articles/ru/check-balance/diff", None, {"from": 1, "to": HUGE}),
    ("bot", "GET", "/api/v1/articles/ru/check-balance/render/web", None, {"revision": HUGE}),
    ("editor", "GET", "/api/v1/articles", None, {"limit": HUGE}),
    ("editor", "GET", "/api/v1/articles", None, {"cursor": str(HUGE)}),
    ("bot", "GET", "/api/v1/changes", None, {"since": HUGE}),
    ("bot", "GET", "/api/v1/changes", None, {"since": -1}),
    ("bot", "GET", "/api/v1/changes", None, {"wait": HUGE}),
    ("bot", "GET", "/api/v1/search", None, {"q": "balance", "locale": "en", "page": HUGE}),
    ("bot", "GET", "/api/v1/search", None, {"q": "balance", "locale": "en", "per_page": HUGE}),
    ("bot", "GET", "/api/v1/answer", None, {"q": "balance", "locale": "en", "contact": HUGE}),
    ("admin", "GET", "/api/v1/audit", None, {"before": HUGE}),
    ("editor", "GET", "/api/v1/synonyms/" + str(HUGE), None, None),
    ("operator", "GET", f"/api/v1/contacts/{HUGE}", None, None),
    ("operator", "POST", "/api/v1/contacts/1/merge", {"other": HUGE}, None),
    ("operator", "POST", f"/api/v1/contacts/merges/{HUGE}/undo", None, None),
    ("operator", "GET", "/api/v1/cases", None, {"contact": HUGE}),
    ("operator", "GET", f"/api/v1/cases/{HUGE}", None, None),
    ("operator", "GET", f"/api/v1/contacts/{HUGE}/policy", None, {"action": "sales_call"}),
    ("operator", "POST", "/api/v1/interactions", {"contact": HUGE, "channel": "chat", "outcome": "handoff"}, None),
    (
        "operator",
        "POST",
        "/api/v1/interactions",
        {
            "contact": 1,
            "channel": "chat",
            "outcome": "answered",
            "article": {"key": "k", "locale": "en", "revision": HUGE},
        },
        None,
    ),
    (
        "operator",
        "POST",
        "/api/v1/interactions",
        {"contact": 1, "channel": "chat", "outcome": "ok", "csat": HUGE},
        None,
    ),
    ("editor", "PUT", "/api/v1/facts/huge_number", {"type": "number", "value": HUGE}, None),
    ("editor", "PUT", "/api/v1/facts/huge_locale", {"type": "number", "value": 1, "locales": {"en": -HUGE}}, None),
]


def test_integers_past_their_bounds_get_422(live: Live) -> None:
    """Every integer input, body, path or query, is refused beyond what its column holds."""
    failures = []
    for role, method, path, body, query in HUGE_INTEGERS:
        headers = {"If-Match": '"r1"'} if path.endswith("/rollback") else {"If-None-Match": "*"}
        r = live.client(role).request(method, path, json=body, params=query, headers=headers)
        if r.status_code != 422 or not r.headers["content-type"].startswith("application/problem+json"):
            failures.append(f"{method} {path} {body or query}: {r.status_code} {r.text[:200]}")
    assert not failures, "\n".join(failures)


def _integers_without_bounds(node: Any, doc: dict[str, Any], where: str, seen: set[str]) -> Iterator[str]:
    """Walk a JSON Schema (following $ref once each) and name every integer lacking min or max."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _integers_without_bounds(item, doc, f"{where}[{i}]", seen)
        return
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str):
        if ref not in seen:
            seen.add(ref)
            target: Any = doc
            for part in ref.removeprefix("#/").split("/"):
                target = target[part]
            yield from _integers_without_bounds(target, doc, ref, seen)
        return
    if node.get("type") == "integer" and not ("maximum" in node and "minimum" in node):
        yield where
    for key, value in node.items():
        if key not in ("example", "examples", "default"):
            yield from _integers_without_bounds(value, doc, f"{where}.{key}", seen)


def test_every_integer_input_in_the_openapi_document_has_bounds(live: Live) -> None:
    """A new route cannot forget them: parameters and request bodies, following every $ref."""
    doc = httpx.get(f"{live.base}/openapi.json").json()
    missing: list[str] = []
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            for param in operation.get("parameters", []):
                missing += _integers_without_bounds(param["schema"], doc, f"{where} {param['name']}", set())
            body = operation.get("requestBody", {}).get("content", {})
            missing += _integers_without_bounds(body, doc, f"{where} body", set())
    assert not missing, f"integers without minimum and maximum: {missing}"
