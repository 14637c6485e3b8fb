"""Translations over real HTTP: a save names the source revision it follows; the list shows who is behind."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

import kb
from tests.api.conftest import ROOT, Live, make_keys, migrated_database, start_server
from tests.helpers import article


def test_a_translation_goes_outdated_and_is_brought_up_to_date_over_the_api(live: Live) -> None:
    key = f"tr-{uuid.uuid4().hex[:8]}"
    with live.client("editor") as c:
        ru = c.put(
            f"/api/v1/articles/ru/{key}",
            json={"source": article(key=key, locale="ru", title="Баланс")},
            headers={"If-None-Match": "*"},
        )
        assert ru.status_code == 201
        assert c.post(f"/api/v1/articles/ru/{key}/publish").status_code == 200
        uk = c.put(
            f"/api/v1/articles/uk/{key}",
            json={"source": article(key=key, locale="uk", title="Баланс")},
            headers={"If-None-Match": "*"},
        )
        assert uk.status_code == 201
        states = {t["locale"]: t for t in c.get(f"/api/v1/translations/{key}").json()}
        assert (states["ru"]["state"], states["uk"]["state"], states["en"]["state"]) == ("source", "current", "missing")
        assert states["uk"]["based_on"] == 1

        moved = c.put(
            f"/api/v1/articles/ru/{key}",
            json={"source": article(key=key, locale="ru", title="Баланс", body="Новый текст.")},
            headers={"If-Match": ru.headers["ETag"]},
        )
        assert moved.status_code == 200 and c.post(f"/api/v1/articles/ru/{key}/publish").status_code == 200
        behind = [t for t in c.get("/api/v1/translations", params={"locale": "uk"}).json() if t["key"] == key]
        assert [(t["state"], t["based_on"], t["behind"], t["source_revision"]) for t in behind] == [
            ("outdated", 1, 1, 2)
        ]

        wrong = c.put(
            f"/api/v1/articles/uk/{key}",
            json={"source": article(key=key, locale="uk", title="Баланс", body="Новий текст."), "translated_from": 9},
            headers={"If-Match": uk.headers["ETag"]},
        )
        assert wrong.status_code == 422 and "revisions 1 to 2, not 9" in wrong.json()["detail"]
        fixed = c.put(
            f"/api/v1/articles/uk/{key}",
            json={"source": article(key=key, locale="uk", title="Баланс", body="Новий текст."), "translated_from": 2},
            headers={"If-Match": uk.headers["ETag"]},
        )
        assert fixed.status_code == 200
        assert [t for t in c.get("/api/v1/translations", params={"locale": "uk"}).json() if t["key"] == key] == []
        only = c.get("/api/v1/translations", params={"state": "current", "locale": "uk"}).json()
        assert any(t["key"] == key and t["based_on"] == 2 for t in only)
        assert c.get("/api/v1/translations", params={"state": "sideways"}).status_code == 422
        assert c.get("/api/v1/translations/no-such-key-here").status_code == 404
    with live.client("bot") as c:
        assert c.get("/api/v1/translations").status_code == 403


def test_a_required_locale_is_what_the_channels_serve_when_nothing_says_which(
    tmp_path: Path, sqlite_template: Path
) -> None:
    with migrated_database("sqlite", tmp_path, sqlite_template, prefix="istok_required") as db_url:
        engine = kb.make_engine(db_url)
        kb.import_paths([ROOT / "content"], engine=engine, publish=True)
        engine.dispose()
        proc, base = start_server(db_url, tmp_path, ISTOK_REQUIRED_LOCALE="uk", ISTOK_SEMANTIC="0")
        try:
            live = Live(base=base, db_url=db_url, data_dir=tmp_path, keys=make_keys(db_url))
            with live.client("bot") as c:
                answer = c.get("/api/v1/answer", params={"q": "баланс", "channel": "bot"}).json()
                assert answer["locale"] == "uk"
                assert c.get("/api/v1/ivr/menu").json()["locale"] == "uk"
            root = httpx.get(f"{base}/help/", headers={"Accept-Language": "de"}, follow_redirects=False)
            assert root.headers["location"] == "/help/uk/"
        finally:
            proc.terminate()
            proc.wait(timeout=15)
