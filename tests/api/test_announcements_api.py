"""Announcements over HTTP: every channel gives the notice of now first — the help center's banner
(its ETag moving when a notice starts or ends), the widget, the bot answer's first sentence, the
IVR's first prompt and the operator card — only inside its time box and to its audience (a
region from the client's phone numbers, a segment). SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Iterator

import httpx
import pytest

import kb
from istok_client import Client
from tests.api.conftest import Live
from tests.helpers import article

PASSWORD = "operator-password-1"
NOTICE = "Ремонт сети в Риге: мобильный интернет может пропадать."


def _at(hours: float) -> str:
    return (kb.utcnow() + dt.timedelta(hours=hours)).replace(microsecond=0).isoformat()


def _announce(live: Live, key: str, *, summary: str, starts: float = -1, ends: float = 2, **front: object) -> None:
    source = article(
        key=key,
        locale="ru",
        title=f"Работы {key}",
        body="Подробности работ.",
        kind="announcement",
        summary=json.dumps(summary, ensure_ascii=False),  # a JSON string is a quoted YAML one
        **{"from": _at(starts), "until": _at(ends)},
        **front,
    )
    with Client(live.base, api_key=live.keys["editor"]) as client:
        client.create_article("ru", key, source)
        client.publish_article("ru", key)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def notices(request: pytest.FixtureRequest) -> Iterator[Live]:
    """The worker's server with four notices: now for all, now for LV, now for business, and two outside
    their box; withdrawn after the module, so that other files' answers on that server meet none."""
    live: Live = request.getfixturevalue(f"live_{request.param}")
    keys = ["all-now", "lv-now", "biz-now", "later", "over"]
    _announce(live, "all-now", summary=NOTICE)
    _announce(live, "lv-now", summary="Только для Латвии: авария.", regions=["LV"])
    _announce(live, "biz-now", summary="Для бизнеса: работы в ночь.", segments=["business"])
    _announce(live, "later", summary="Это будет завтра.", starts=20, ends=30)
    _announce(live, "over", summary="Это уже было.", starts=-30, ends=-20)
    engine = live.engine()
    with kb.write_session(engine) as session:
        if kb.find_user(session=session, username="olga") is None:
            kb.create_user(session=session, username="olga", password=PASSWORD, role="operator", actor="test")
    engine.dispose()
    yield live
    with Client(live.base, api_key=live.keys["editor"]) as client:
        for key in keys:
            client.unpublish_article("ru", key)


def _answer(live: Live, **params: str) -> dict[str, object]:
    query = {"q": "как проверить баланс", "locale": "ru", "channel": "bot"} | params
    with live.client("bot") as http:
        reply = http.get("/api/v1/answer", params=query)
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def _keys(reply: dict[str, object]) -> list[str]:
    return [str(a["key"]) for a in reply["announcements"]]  # type: ignore[attr-defined]


def test_a_bot_answer_opens_with_the_notice_and_lists_it(notices: Live) -> None:
    reply = _answer(notices, format="telegram")
    assert reply["status"] == "answered" and _keys(reply) == ["all-now"]  # not LV, business, later or over
    body = reply["rendered"]["body"]  # type: ignore[index]
    assert body.startswith(f"<b>{NOTICE}</b>\n")  # the first sentence of the answer
    assert "*100#" in body  # and then the answer itself
    [given] = reply["announcements"]  # type: ignore[misc]
    assert given["url"].endswith("/help/ru/all-now") and given["text"] == NOTICE
    plain = _answer(notices, format="plain")["rendered"]["body"]  # type: ignore[index]
    assert plain.startswith(NOTICE + "\n\n")


def test_the_client_known_by_a_latvian_number_also_gets_the_latvian_notice(notices: Live) -> None:
    latvian = _answer(notices, identity="whatsapp:+37129111333", via="whatsapp")
    assert sorted(_keys(latvian)) == ["all-now", "lv-now"]
    ukrainian = _answer(notices, identity="whatsapp:+380671112233", via="whatsapp")
    assert _keys(ukrainian) == ["all-now"]


def test_a_business_client_gets_the_business_notice(notices: Live) -> None:
    with notices.client("operator") as http:
        made = http.post("/api/v1/contacts", json={"name": "Firma", "segments": ["business"]})
        assert made.status_code == 201, made.text
    reply = _answer(notices, contact=str(made.json()["id"]))
    assert sorted(_keys(reply)) == ["all-now", "biz-now"]


def test_the_ivr_says_the_notice_before_the_menu(notices: Live) -> None:
    with notices.client("bot") as http:
        menu = http.get("/api/v1/ivr/menu", params={"caller": "+37129123999", "locale": "ru"}).json()
        elsewhere = http.get("/api/v1/ivr/menu", params={"caller": "+380501234567", "locale": "ru"}).json()
    paragraphs = re.findall(r"<p>(.*?)</p>", menu["ssml"], re.S)
    spoken = [re.sub(r"<[^>]+>", "", p) for p in paragraphs]
    first_two = " ".join(spoken[:2])
    assert "Только для Латвии" in first_two and "Ремонт сети в Риге" in first_two  # before the greeting and options
    assert "1" not in first_two and menu["options"]  # the menu itself follows them
    assert all("Это" not in p for p in spoken)  # neither the future nor the past notice
    assert "Латвии" not in elsewhere["ssml"] and "Ремонт сети в Риге" in elsewhere["ssml"]


def test_the_help_center_shows_a_banner_and_its_etag_moves_when_a_notice_ends(notices: Live) -> None:
    home = httpx.get(f"{notices.base}/help/ru/", timeout=30)
    assert home.status_code == 200
    banners = re.findall(r'<aside class="announcement" role="status" data-key="([^"]+)"', home.text)
    assert banners == ["all-now"]
    assert NOTICE in home.text and "/help/ru/all-now" in home.text
    etag = home.headers["etag"]
    with Client(notices.base, api_key=notices.keys["editor"]) as client:
        client.unpublish_article("ru", "all-now")
    deadline = time.monotonic() + 10  # every process sees a publication within its index poll
    while "all-now" in httpx.get(f"{notices.base}/help/ru/", timeout=30).text and time.monotonic() < deadline:
        time.sleep(0.1)
    again = httpx.get(f"{notices.base}/help/ru/", headers={"If-None-Match": etag}, timeout=30)
    assert again.status_code == 200 and "all-now" not in again.text  # not a stale 304 with the old banner
    with Client(notices.base, api_key=notices.keys["editor"]) as client:
        client.publish_article("ru", "all-now")


def test_the_widget_gets_the_notices_meant_for_everyone(notices: Live) -> None:
    got = httpx.get(f"{notices.base}/widget/announcements", params={"locale": "ru"}, timeout=30)
    assert got.status_code == 200
    assert [n["key"] for n in got.json()["announcements"]] == ["all-now"]
    assert got.json()["announcements"][0]["text"] == NOTICE


def test_the_operator_card_opens_with_the_notices_for_the_client_on_the_line(notices: Live) -> None:
    http = httpx.Client(base_url=notices.base, timeout=30)
    token = re.search(r'name="csrf" value="([^"]+)"', http.get("/login").text)
    assert token is not None
    form = {"username": "olga", "password": PASSWORD, "csrf": token.group(1), "next": "/panel"}
    assert http.post("/login", data=form).status_code == 303
    with notices.client("operator") as api:
        contact = api.post(
            "/api/v1/contacts", json={"name": "Jānis", "identities": [{"channel": "phone", "address": "+37129555111"}]}
        )
        assert contact.status_code == 201, contact.text
    anyone = http.get("/panel/card/ru/check-balance").json()
    known = http.get("/panel/card/ru/check-balance", params={"contact": contact.json()["id"]}).json()
    http.close()
    assert [n["key"] for n in anyone["announcements"]] == ["all-now"]
    assert sorted(n["key"] for n in known["announcements"]) == ["all-now", "lv-now"]
