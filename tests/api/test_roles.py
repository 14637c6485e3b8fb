"""The role × endpoint matrix: every operation with no key, a revoked key and each role."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.api.conftest import Live
from tests.helpers import article

ALL = {"admin", "editor", "operator", "bot"}


@dataclass(frozen=True)
class Op:
    name: str
    allowed: frozenset[str]
    call: Callable[[httpx.Client], httpx.Response]


def _unique() -> str:
    return f"m-{uuid.uuid4().hex[:10]}"


def _put_new(c: httpx.Client) -> httpx.Response:
    key = _unique()
    return c.put(f"/api/v1/articles/en/{key}", json={"source": article(key=key)}, headers={"If-None-Match": "*"})


def _fact_put(c: httpx.Client) -> httpx.Response:
    return c.put(
        f"/api/v1/facts/f_{uuid.uuid4().hex[:8]}", json={"type": "text", "value": "x"}, headers={"If-None-Match": "*"}
    )


def _syn_post(c: httpx.Client) -> httpx.Response:
    return c.post("/api/v1/synonyms", json={"locale": "en", "terms": [_unique(), _unique()]})


ARTICLE = "/api/v1/articles/en/check-balance"
OPS = [
    Op("list articles", frozenset({"admin", "editor", "operator"}), lambda c: c.get("/api/v1/articles")),
    Op("get article", frozenset({"admin", "editor", "operator"}), lambda c: c.get(ARTICLE)),
    Op("put article", frozenset({"admin", "editor"}), _put_new),
    Op("publish", frozenset({"admin", "editor"}), lambda c: c.post(f"{ARTICLE}/publish")),
    Op("unpublish", frozenset({"admin", "editor"}), lambda c: c.post("/api/v1/articles/en/nonexistent-x/unpublish")),
    Op(
        "rollback",
        frozenset({"admin", "editor"}),
        lambda c: c.post(f"{ARTICLE}/rollback", json={"revision": 1}, headers={"If-Match": '"r1"'}),
    ),
    Op("revisions", frozenset({"admin", "editor", "operator"}), lambda c: c.get(f"{ARTICLE}/revisions")),
    Op("revision", frozenset({"admin", "editor", "operator"}), lambda c: c.get(f"{ARTICLE}/revisions/1")),
    Op("diff", frozenset({"admin", "editor", "operator"}), lambda c: c.get(f"{ARTICLE}/diff?from=1&to=1")),
    Op("list facts", frozenset(ALL), lambda c: c.get("/api/v1/facts")),
    Op("get fact", frozenset(ALL), lambda c: c.get("/api/v1/facts/support_phone")),
    Op("fact versions", frozenset(ALL), lambda c: c.get("/api/v1/facts/support_phone/versions")),
    Op("put fact", frozenset({"admin", "editor"}), _fact_put),
    Op(
        "delete fact",
        frozenset({"admin", "editor"}),
        lambda c: c.delete("/api/v1/facts/support_phone", headers={"If-Match": '"v1"'}),
    ),
    Op("list synonyms", frozenset({"admin", "editor", "operator"}), lambda c: c.get("/api/v1/synonyms")),
    Op("get synonyms", frozenset({"admin", "editor", "operator"}), lambda c: c.get("/api/v1/synonyms/1")),
    Op("create synonyms", frozenset({"admin", "editor"}), _syn_post),
    Op(
        "update synonyms",
        frozenset({"admin", "editor"}),
        lambda c: c.put("/api/v1/synonyms/999999", json={"terms": ["a", "b"]}, headers={"If-Match": '"v1"'}),
    ),
    Op(
        "delete synonyms",
        frozenset({"admin", "editor"}),
        lambda c: c.delete("/api/v1/synonyms/999999", headers={"If-Match": '"v1"'}),
    ),
    Op("changes", frozenset({"admin", "editor", "bot"}), lambda c: c.get("/api/v1/changes")),
    Op("audit", frozenset({"admin"}), lambda c: c.get("/api/v1/audit")),
    Op("answer", frozenset({"admin", "operator", "bot"}), lambda c: c.get("/api/v1/answer?q=balance&locale=en")),
    Op("search", frozenset({"admin", "operator", "bot"}), lambda c: c.get("/api/v1/search?q=balance&locale=en")),
    Op("gaps", frozenset({"admin", "editor"}), lambda c: c.get("/api/v1/gaps")),
    Op("render public", frozenset(ALL), lambda c: c.get(f"{ARTICLE}/render/sms")),
    Op("render operator", frozenset({"admin", "editor", "operator"}), lambda c: c.get(f"{ARTICLE}/render/operator")),
    Op("render draft", frozenset({"admin", "editor", "operator"}), lambda c: c.get(f"{ARTICLE}/render/web?revision=1")),
]


@pytest.mark.parametrize("op", OPS, ids=[o.name for o in OPS])
def test_exactly_the_allowed_roles_get_through(live: Live, op: Op) -> None:
    outcome: dict[str, Any] = {}
    for who in (None, "revoked", "admin", "editor", "operator", "bot"):
        with live.client(who) as c:
            outcome[str(who)] = op.call(c).status_code
    assert outcome["None"] == 401 and outcome["revoked"] == 401, outcome
    for role in ("admin", "editor", "operator", "bot"):
        status = outcome[role]
        if role in op.allowed:
            assert status not in (401, 403) and status < 500, (role, outcome)
        else:
            assert status == 403, (role, outcome)
