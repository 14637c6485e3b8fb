"""Articles over real HTTP: ETags, 412/428, publishing, history, limits, on both databases."""

from __future__ import annotations

import datetime as dt
import time
import uuid

from tests.api.conftest import Live
from tests.helpers import article

PROBLEM = "application/problem+json"


def _key() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


def _create(live: Live, key: str, body: str = "First text.") -> str:
    with live.client("editor", **{"If-None-Match": "*"}) as c:
        resp = c.put(f"/api/v1/articles/en/{key}", json={"source": article(key=key, body=body), "message": "new"})
    assert resp.status_code == 201, resp.text
    return resp.headers["ETag"]


def test_create_read_and_change_with_etags(live: Live) -> None:
    key = _key()
    tag = _create(live, key)
    assert tag == '"r1"'
    with live.client("editor") as c:
        got = c.get(f"/api/v1/articles/en/{key}")
        assert got.status_code == 200 and got.headers["ETag"] == tag
        body = got.json()
        assert (body["key"], body["locale"], body["draft_revision"], body["published_revision"]) == (key, "en", 1, None)
        assert "First text." in body["source"] and body["status"] == "draft"
        changed = c.put(
            f"/api/v1/articles/en/{key}",
            json={"source": article(key=key, body="Second text."), "message": "clearer"},
            headers={"If-Match": tag},
        )
        assert changed.status_code == 200 and changed.headers["ETag"] == '"r2"'
        assert changed.json()["draft_revision"] == 2


def test_missing_if_match_is_428_and_stale_is_412_and_nothing_changes(live: Live) -> None:
    key = _key()
    _create(live, key)
    url = f"/api/v1/articles/en/{key}"
    with live.client("editor") as c:
        c.put(url, json={"source": article(key=key, body="Two.")}, headers={"If-Match": '"r1"'})
        missing = c.put(url, json={"source": article(key=key, body="Three.")})
        stale = c.put(url, json={"source": article(key=key, body="Three.")}, headers={"If-Match": '"r1"'})
        recreate = c.put(url, json={"source": article(key=key, body="Three.")}, headers={"If-None-Match": "*"})
        after = c.get(url).json()
    assert missing.status_code == 428 and missing.headers["content-type"].startswith(PROBLEM)
    assert stale.status_code == 412 and stale.json()["type"].endswith("/revision-conflict")
    assert recreate.status_code == 412
    assert after["draft_revision"] == 2 and "Two." in after["source"]


def test_bad_sources_are_422_with_located_problems(live: Live) -> None:
    key = _key()
    with live.client("editor", **{"If-None-Match": "*"}) as c:
        broken = c.put(f"/api/v1/articles/en/{key}", json={"source": article(key=key, body="::: ivr\nopen")})
        mismatch = c.put(f"/api/v1/articles/en/{key}", json={"source": article(key="other-key")})
        unknown_fact = c.put(f"/api/v1/articles/en/{key}", json={"source": article(key=key, body="{{ nope }}")})
        no_body = c.put(f"/api/v1/articles/en/{key}", content=b"not json", headers={"content-type": "application/json"})
    assert broken.status_code == 422 and broken.json()["problems"][0]["line"] == 6
    assert mismatch.status_code == 422 and "URL says" in mismatch.json()["detail"]
    assert unknown_fact.status_code == 422 and "unknown fact" in unknown_fact.json()["detail"]
    assert no_body.status_code == 422 and no_body.headers["content-type"].startswith(PROBLEM)
    with live.client("editor") as c:
        assert c.get(f"/api/v1/articles/en/{key}").status_code == 404


def test_publish_unpublish_rollback_history_diff_and_time_travel(live: Live) -> None:
    key = _key()
    _create(live, key, "Good answer.")
    url = f"/api/v1/articles/en/{key}"
    with live.client("editor") as c:
        first = c.post(f"{url}/publish")
        assert first.status_code == 200 and first.json()["changed"] and first.json()["published_revision"] == 1
        assert c.post(f"{url}/publish").json()["changed"] is False
        after_first = dt.datetime.now(dt.UTC)
        time.sleep(0.05)
        c.put(url, json={"source": article(key=key, body="Bad answer.")}, headers={"If-Match": '"r1"'})
        assert c.post(f"{url}/publish", json={"revision": 2}).json()["published_revision"] == 2
        rolled = c.post(f"{url}/rollback", json={"revision": 1}, headers={"If-Match": '"r2"'})
        assert rolled.status_code == 200 and rolled.json()["published_revision"] == 3
        stale_rollback = c.post(f"{url}/rollback", json={"revision": 1}, headers={"If-Match": '"r2"'})
        assert stale_rollback.status_code == 412
        revisions = c.get(f"{url}/revisions").json()
        assert [(r["number"], r["published"]) for r in revisions] == [(1, False), (2, False), (3, True)]
        assert "Good answer." in c.get(f"{url}/revisions/3").json()["source"]
        diff = c.get(f"{url}/diff", params={"from": 1, "to": 2}).json()["diff"]
        assert "-Good answer." in diff and "+Bad answer." in diff
        then = c.get(url, params={"as_of": after_first.isoformat()}).json()
        assert then["source_revision"] == 1 and "Good answer." in then["source"]
        assert c.post(f"{url}/unpublish").json()["changed"] is True
        assert c.get(url).json()["published_revision"] is None
        assert c.get(f"{url}/revisions/99").status_code == 404
        assert c.get(url, params={"as_of": "2001-01-01T00:00:00Z"}).status_code == 404


def test_list_pages_with_a_cursor(live: Live) -> None:
    seen: list[tuple[str, str]] = []
    cursor: str | None = None
    with live.client("operator") as c:
        while True:
            params: dict[str, str | int] = {"locale": "uk", "limit": 7}
            if cursor:
                params["cursor"] = cursor
            page = c.get("/api/v1/articles", params=params).json()
            seen += [(a["key"], a["locale"]) for a in page["items"]]
            cursor = page["next"]
            if cursor is None:
                break
        assert c.get("/api/v1/articles", params={"limit": 101}).status_code == 422
    assert len(seen) == len(set(seen)) >= 18 and {loc for _, loc in seen} == {"uk"}


def test_request_limits(live: Live) -> None:
    key = _key()
    huge = article(key=key, body="x" * (1024 * 1024 + 1))
    with live.client("editor", **{"If-None-Match": "*"}) as c:
        too_big = c.put(f"/api/v1/articles/en/{key}", json={"source": huge})
        bad_locale = c.get("/api/v1/articles/EN!/x")
        wrong_method = c.delete(f"/api/v1/articles/en/{key}")
    assert too_big.status_code == 413 and too_big.headers["content-type"].startswith(PROBLEM)
    assert bad_locale.status_code == 422
    assert wrong_method.status_code == 405 and wrong_method.headers["content-type"].startswith(PROBLEM)


def test_every_write_is_audited(live: Live) -> None:
    key = _key()
    _create(live, key)
    with live.client("editor") as c:
        c.post(f"/api/v1/articles/en/{key}/publish")
    with live.client("admin") as c:
        items = c.get("/api/v1/audit", params={"limit": 100}).json()["items"]
    mine = [
        (i["action"], i["base_revision"], i["new_revision"], i["actor"]) for i in items if i["target"] == f"en/{key}"
    ]
    assert ("article.save", None, 1, "test-editor") in mine
    assert ("article.publish", None, 1, "test-editor") in mine
