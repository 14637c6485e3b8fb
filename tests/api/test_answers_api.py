"""Answers, search, rendering and gaps over real HTTP: provenance, roles, freshness, bad input."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from lxml import etree

import kb
from api import runtime
from api.cli import app
from tests.api.conftest import Live, sample_server
from tests.helpers import CliRunner, article


def test_answer_carries_the_live_revision_as_provenance(live: Live) -> None:
    with live.client("bot") as c:
        resp = c.get(
            "/api/v1/answer", params={"q": "как проверить баланс на телефоне", "locale": "ru", "channel": "bot"}
        )
    body = resp.json()
    assert resp.status_code == 200 and body["status"] == "answered"
    prov = body["provenance"]
    assert prov["key"] == "check-balance" and prov["locale"] == "ru"
    with live.client("editor") as c:
        art = c.get("/api/v1/articles/ru/check-balance").json()
        rev = c.get(f"/api/v1/articles/ru/check-balance/revisions/{art['published_revision']}").json()
    assert prov["revision"] == art["published_revision"] and prov["content_hash"] == rev["content_hash"]
    assert body["rendered"]["channel"] == "bot" and "*100#" in body["rendered"]["body"]


def test_a_question_in_another_language_is_answered_from_it_and_says_so(live: Live) -> None:
    with live.client("bot") as c:
        body = c.get("/api/v1/answer", params={"q": "как проверить баланс", "locale": "en", "channel": "bot"}).json()
    assert (body["asked_locale"], body["locale"], body["provenance"]["locale"]) == ("en", "ru", "ru")
    assert body["status"] == "answered" and "*100#" in body["rendered"]["body"]


def test_ivr_answer_is_ssml_and_nonsense_is_handed_off(live: Live) -> None:
    with live.client("bot") as c:
        ivr = c.get("/api/v1/answer", params={"q": "як поповнити рахунок", "locale": "uk", "channel": "ivr"}).json()
        off = c.get(
            "/api/v1/answer", params={"q": "рецепт борща с пампушками", "locale": "ru", "channel": "ivr"}
        ).json()
    assert ivr["status"] == "answered" and ivr["provenance"]["key"] == "top-up"
    root = etree.fromstring(ivr["rendered"]["body"].encode())
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "uk-UA"
    assert off["status"] == "handoff" and off["rendered"] is None and off["confidence"] < off["threshold"]


UNKNOWN_CHANNEL = "no channel 'nosuch' (known channels: web, bot, sms, ivr, operator, email)"


@pytest.mark.parametrize(
    ("role", "path", "params"),
    [
        ("bot", "/api/v1/answer", {"q": "как проверить баланс", "locale": "ru", "channel": "nosuch"}),
        ("operator", "/api/v1/answer", {"q": "как проверить баланс", "locale": "ru", "channel": "nosuch"}),
        ("bot", "/api/v1/articles/ru/check-balance/render/nosuch", {}),
        ("editor", "/api/v1/articles/ru/check-balance/render/nosuch", {"revision": "1"}),
    ],
)
def test_an_unknown_channel_is_the_same_422_problem_on_every_route(
    live: Live, role: str, path: str, params: dict[str, str]
) -> None:
    with live.client(role) as c:
        resp = c.get(path, params=params)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    assert problem["type"].endswith("/unknown-channel") and problem["status"] == 422
    assert problem["detail"] == UNKNOWN_CHANNEL
    assert problem["channels"] == list(kb.CHANNEL_NAMES)


@pytest.mark.parametrize(
    "args",
    [
        ["render", "ru", "check-balance", "nosuch"],
        ["answer", "как проверить баланс", "--locale", "ru", "--channel", "nosuch"],
    ],
)
def test_the_clis_print_the_same_unknown_channel_message_and_exit_1(
    live: Live, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISTOK_DATABASE_URL", live.db_url)
    monkeypatch.setenv("ISTOK_DATA_DIR", str(live.data_dir / "cli"))
    runtime.engine.cache_clear()
    try:
        result = CliRunner().invoke(app, args)
    finally:
        runtime.engine.cache_clear()
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    with live.client("bot") as c:  # the very words the API gives for it, on both routes
        said = {
            c.get("/api/v1/answer", params={"q": "баланс", "channel": "nosuch"}).json()["detail"],
            c.get("/api/v1/articles/ru/check-balance/render/nosuch").json()["detail"],
        }
    assert said == {UNKNOWN_CHANNEL} and result.stderr == f"error: {UNKNOWN_CHANNEL}\n"


@pytest.mark.parametrize(
    "params",
    [
        {"q": ""},
        {"q": "x" * 501},
        {"q": "баланс", "locale": "xx"},
        {"q": "баланс", "channel": "fax"},
        {"q": "баланс", "channel": "bot", "format": "pdf"},
        {"q": "!!! ??? 😀😀"},
        {"q": "'; DROP TABLE articles; --"},
        {"q": "<script>alert(1)</script>"},
    ],
)
def test_bad_questions_get_a_clear_error_or_a_handoff(live: Live, params: dict[str, str]) -> None:
    with live.client("bot") as c:
        resp = c.get("/api/v1/answer", params=params)
    assert resp.status_code in (200, 422), resp.text
    if resp.status_code == 422:
        assert resp.headers["content-type"].startswith("application/problem+json") and resp.json()["detail"]
    else:
        assert "<script>" not in json.dumps(resp.json()["rendered"] or {})


def test_operator_channel_and_internal_notes_are_for_operators_only(live: Live) -> None:
    q = {"q": "баланс не обновляется", "locale": "ru"}
    with live.client("bot") as c:
        assert c.get("/api/v1/answer", params={**q, "channel": "operator"}).status_code == 403
        public = c.get("/api/v1/search", params={**q, "q": "биллинге синхронизации"}).json()
    with live.client("operator") as c:
        card = c.get("/api/v1/answer", params={**q, "channel": "operator"}).json()
        inner = c.get("/api/v1/search", params={**q, "q": "биллинге синхронизации"}).json()
    assert "задержка синхронизации" not in json.dumps(public, ensure_ascii=False)
    assert card["status"] == "answered" and "Только для сотрудников" in card["rendered"]["body"]
    assert any(h["internal_snippet"] and "<mark>" in h["internal_snippet"] for h in inner["hits"])


def test_search_has_marked_snippets_and_facets(live: Live) -> None:
    with live.client("bot") as c:
        found = c.get("/api/v1/search", params={"q": "роуминг", "locale": "ru"}).json()
    assert found["total"] >= 2 and found["facets"].get("roaming", 0) >= 2
    assert all("<mark>" in h["snippet"] for h in found["hits"][:2])


def test_render_route_headers_and_roles(live: Live) -> None:
    url = "/api/v1/articles/ru/check-balance/render"
    with live.client("bot") as c:
        ivr = c.get(f"{url}/ivr")
        plain = c.get(f"{url}/ivr", params={"format": "plain"})
        assert c.get(f"{url}/operator").status_code == 403
        assert c.get(f"{url}/web", params={"revision": 1}).status_code == 403
        assert c.get(f"{url}/fax").status_code == 422  # unknown-channel, as on /answer
    assert ivr.status_code == 200 and ivr.headers["content-type"].startswith("application/ssml+xml")
    assert ivr.headers["X-Istok-Revision"] == "1" and len(ivr.headers["X-Istok-Content-Hash"]) == 64
    assert json.loads(ivr.headers["X-Istok-Meta"])["duration_s"] > 0
    assert "<speak" not in plain.text
    with live.client("operator") as c:
        assert "Только для сотрудников" in c.get(f"{url}/operator").text


def test_a_publish_is_answered_at_once(live: Live) -> None:
    key = f"t-{uuid.uuid4().hex[:8]}"
    source = article(
        key=key,
        locale="en",
        title="How do I order a pink unicorn SIM card holder?",
        body="Pink unicorn SIM card holders are sold in every Sfera shop.",
    )
    with live.client("editor", **{"If-None-Match": "*"}) as c:
        c.put(f"/api/v1/articles/en/{key}", json={"source": source})
    with live.client("bot") as c:
        before = c.get("/api/v1/answer", params={"q": "pink unicorn sim holder", "locale": "en"}).json()
    with live.client("editor") as c:
        c.post(f"/api/v1/articles/en/{key}/publish")
    with live.client("bot") as c:
        after = c.get("/api/v1/answer", params={"q": "pink unicorn sim holder", "locale": "en"}).json()
    assert (before["provenance"] or {}).get("key") != key
    assert after["status"] == "answered" and after["provenance"]["key"] == key


def test_gaps_list_weak_questions_for_editors(live: Live) -> None:
    question = f"how to feed a capybara {uuid.uuid4().hex[:6]}"
    with live.client("bot") as c:
        c.get("/api/v1/answer", params={"q": question, "locale": "en", "channel": "sms"})
    with live.client("editor") as c:
        gaps = c.get("/api/v1/gaps", params={"locale": "en", "channel": "sms"}).json()
    with live.client("bot") as c:
        assert c.get("/api/v1/gaps").status_code == 403
    assert any(g["question"] == question and g["count"] >= 1 for g in gaps)


def test_a_kept_weak_answer_counts_as_a_gap_each_time_it_is_asked(live: Live) -> None:
    """The second and third asking are served from the kept replies, without the engine: still counted."""
    question = f"how to groom a capybara {uuid.uuid4().hex[:6]}"
    with live.client("bot") as c:
        params = {"q": question, "locale": "en", "channel": "ivr"}
        bodies = [c.get("/api/v1/answer", params=params).content for _ in "abc"]
    assert bodies[0] == bodies[1] == bodies[2]
    with live.client("editor") as c:
        gaps = c.get("/api/v1/gaps", params={"locale": "en", "channel": "ivr"}).json()
    assert [g["count"] for g in gaps if g["question"] == question] == [3]


def test_metrics_count_answers_and_index_lag(live: Live) -> None:
    with live.client("bot") as c:
        c.get("/api/v1/answer", params={"q": "баланс", "locale": "ru", "channel": "web"})
    text = httpx.get(f"{live.base}/metrics").text
    assert 'istok_answers_total{channel="web"' in text
    assert "istok_index_lag_sequences 0.0" in text
    assert any(
        line.startswith("istok_http_request_duration_seconds_bucket") and 'route="/api/v1/answer"' in line
        for line in text.splitlines()
    )


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[tuple[str, str]]:
    for live in sample_server(tmp_path_factory.mktemp("strict"), sqlite_template, ISTOK_RATE_LIMIT="2"):
        yield live.base, live.keys["bot"]


def test_rate_limit_answers_429_with_retry_after(strict_server: tuple[str, str]) -> None:
    base, key = strict_server
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as c:
        statuses = [c.get("/api/v1/search", params={"q": "баланс", "locale": "ru"}) for _ in range(8)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited and int(limited[0].headers["Retry-After"]) >= 1
    assert limited[0].json()["type"].endswith("/rate-limited")
