"""Facts, synonyms and the changes feed over real HTTP, on both databases."""

from __future__ import annotations

import threading
import time
import uuid

import httpx

from tests.api.conftest import Live
from tests.helpers import article


def test_fact_lifecycle_with_etags_and_republication(live: Live) -> None:
    name = f"f_{uuid.uuid4().hex[:8]}"
    key = f"t-{uuid.uuid4().hex[:8]}"
    with live.client("editor") as c:
        missing = c.put(f"/api/v1/facts/{name}", json={"type": "money", "value": "5 EUR"})
        created = c.put(
            f"/api/v1/facts/{name}", json={"type": "money", "value": "5 EUR"}, headers={"If-None-Match": "*"}
        )
        assert missing.status_code == 428 and created.status_code == 201 and created.headers["ETag"] == '"v1"'
        bad = c.put(f"/api/v1/facts/{name}", json={"type": "money", "value": "five"}, headers={"If-Match": '"v1"'})
        assert bad.status_code == 422 and "not money" in bad.json()["detail"]
        source = article(key=key, body=f"It costs {{{{ {name} }}}}.")
        c.put(f"/api/v1/articles/en/{key}", json={"source": source}, headers={"If-None-Match": "*"})
        c.post(f"/api/v1/articles/en/{key}/publish")
        since = c.get("/api/v1/changes", params={"since": 0, "limit": 1}).json()["last_seq"]
        changed = c.put(f"/api/v1/facts/{name}", json={"type": "money", "value": "6 EUR"}, headers={"If-Match": '"v1"'})
        stale = c.put(f"/api/v1/facts/{name}", json={"type": "money", "value": "7 EUR"}, headers={"If-Match": '"v1"'})
        assert changed.status_code == 200 and changed.json()["version"] == 2 and stale.status_code == 412
        feed = c.get("/api/v1/changes", params={"since": since}).json()["items"]
        assert [(e["kind"], e["key"], e["fact_key"]) for e in feed] == [("fact", key, name)]
        versions = c.get(f"/api/v1/facts/{name}/versions").json()
        assert [v["value"] for v in versions] == ["5 EUR", "6 EUR"]
        in_use = c.delete(f"/api/v1/facts/{name}", headers={"If-Match": '"v2"'})
        assert in_use.status_code == 409 and key in in_use.json()["detail"]
    with live.client("bot") as c:
        sms = c.get(f"/api/v1/articles/en/{key}/render/sms")
    assert "€6.00" in sms.text and "€5.00" not in sms.text


def test_unused_fact_can_be_deleted(live: Live) -> None:
    name = f"f_{uuid.uuid4().hex[:8]}"
    with live.client("editor") as c:
        c.put(f"/api/v1/facts/{name}", json={"type": "text", "value": "x"}, headers={"If-None-Match": "*"})
        assert c.delete(f"/api/v1/facts/{name}", headers={"If-Match": '"v9"'}).status_code == 412
        assert c.delete(f"/api/v1/facts/{name}", headers={"If-Match": '"v1"'}).status_code == 204
        assert c.get(f"/api/v1/facts/{name}").status_code == 404


def test_synonym_set_lifecycle(live: Live) -> None:
    with live.client("editor") as c:
        created = c.post("/api/v1/synonyms", json={"locale": "uk", "terms": ["Сімка", "сім-карта", "сімка"]})
        assert created.status_code == 201 and created.json()["terms"] == ["сімка", "сім-карта"]
        set_id = created.json()["id"]
        url = f"/api/v1/synonyms/{set_id}"
        assert c.put(url, json={"terms": ["a", "b"]}).status_code == 428
        updated = c.put(url, json={"terms": ["сімка", "сім-карта", "SIM"]}, headers={"If-Match": '"v1"'})
        assert updated.status_code == 200 and updated.headers["ETag"] == '"v2"'
        assert c.put(url, json={"terms": ["x", "y"]}, headers={"If-Match": '"v1"'}).status_code == 412
        one_term = c.post("/api/v1/synonyms", json={"locale": "uk", "terms": ["одне", "одне"]})
        assert one_term.status_code == 422
        assert any(s["id"] == set_id for s in c.get("/api/v1/synonyms", params={"locale": "uk"}).json())
        assert c.delete(url, headers={"If-Match": '"v2"'}).status_code == 204
        assert c.get(url).status_code == 404


def test_changes_long_poll_wakes_on_publish(live: Live) -> None:
    key = f"t-{uuid.uuid4().hex[:8]}"
    with live.client("editor") as c:
        c.put(f"/api/v1/articles/en/{key}", json={"source": article(key=key)}, headers={"If-None-Match": "*"})
        since = c.get("/api/v1/changes", params={"since": 0, "limit": 1}).json()["last_seq"]

    def publish_soon() -> None:
        time.sleep(0.7)
        with live.client("editor") as c:
            c.post(f"/api/v1/articles/en/{key}/publish")

    threading.Thread(target=publish_soon).start()
    started = time.monotonic()
    with live.client("bot") as c:
        page = c.get("/api/v1/changes", params={"since": since, "wait": 10}).json()
    waited = time.monotonic() - started
    assert [(e["kind"], e["key"]) for e in page["items"]] == [("publish", key)]
    assert 0.5 < waited < 5
    assert page["next"] == page["items"][-1]["seq"]


def test_docs_and_openapi_are_served(live: Live) -> None:
    assert httpx.get(f"{live.base}/docs").status_code == 200
    spec = httpx.get(f"{live.base}/openapi.json").json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    put = spec["paths"]["/api/v1/articles/{locale}/{key}"]["put"]
    assert {"412", "428", "422", "401", "403"} <= set(put["responses"])
