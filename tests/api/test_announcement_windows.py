"""An announcement's own page is found and answered with only inside its time box.

Before its `from` and after its `until` the page is still published (nobody has to unpublish it
on the minute), yet the help center's search and suggestions, its home, topic pages and sitemap,
the search API (as bots and as operators, whose panel searches the same way) and the answers API
leave it out: the notice is not news yet, or no longer. Its help page after `until` is 410 Gone,
saying that it has ended. An SMS answer opens with the notice of now, inside the SMS renderer's
budget. SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

import httpx

import kb
from istok_client import Client
from renderers import measure
from tests.api.conftest import Live
from tests.helpers import article

TOPIC = "outages"


def _at(seconds: float) -> dt.datetime:
    return (kb.utcnow() + dt.timedelta(seconds=seconds)).replace(microsecond=0)


def _announce(live: Live, *, starts: dt.datetime, ends: dt.datetime, summary: str | None = None) -> tuple[str, str]:
    """Publish an announcement with a word of its own in its title; its key and that word."""
    word = "квазар" + uuid.uuid4().hex[:6]
    key = f"window-{word[-6:]}"
    source = article(
        key=key,
        locale="ru",
        title=f"Авария {word} на сети",
        body=f"Сеть {word} восстанавливают, подробности у операторов.",
        kind="announcement",
        category=TOPIC,
        summary=json.dumps(summary or f"Авария {word}: связь может пропадать.", ensure_ascii=False),
        **{"from": starts.isoformat(), "until": ends.isoformat()},
    )
    with Client(live.base, api_key=live.keys["editor"]) as client:
        client.create_article("ru", key, source)
        client.publish_article("ru", key)
    return key, word


def _search_keys(live: Live, word: str, role: str) -> list[str]:
    with live.client(role) as http:
        found = http.get("/api/v1/search", params={"q": f"авария {word}", "locale": "ru"})
    assert found.status_code == 200, found.text
    return [h["key"] for h in found.json()["hits"]]


def _answered_with(live: Live, word: str) -> str | None:
    with live.client("bot") as http:
        reply = http.get("/api/v1/answer", params={"q": f"авария {word} на сети", "locale": "ru", "channel": "web"})
    assert reply.status_code == 200, reply.text
    return (reply.json().get("provenance") or {}).get("key")


def _help_found(live: Live, word: str, key: str) -> bool:
    page = httpx.get(f"{live.base}/help/ru/search", params={"q": f"авария {word}"}, timeout=30)
    suggest = httpx.get(f"{live.base}/help/ru/suggest", params={"q": f"авария {word}"}, timeout=30)
    assert page.status_code == 200 and suggest.status_code == 200
    in_suggest = any(h["url"] == f"/help/ru/{key}" for h in suggest.json()["hits"])
    in_page = f"/help/ru/{key}" in page.text.replace("/help/ru/search", "")
    assert in_suggest == in_page, "the results page and the suggestions disagree"
    return in_page


def _listed(live: Live, key: str) -> dict[str, bool]:
    """Whether the help home, its topic's page and the sitemap link to the announcement's page."""
    href = f"/help/ru/{key}"
    home = httpx.get(f"{live.base}/help/ru/", timeout=30)
    topic = httpx.get(f"{live.base}/help/ru/topics/{TOPIC}", timeout=30)
    sitemap = httpx.get(f"{live.base}/sitemap.xml", timeout=30)
    assert home.status_code == sitemap.status_code == 200 and topic.status_code in (200, 404)
    return {
        "help home": f'href="{href}"' in home.text,
        "topic page": f'href="{href}"' in topic.text,
        "sitemap": f"{href}</loc>" in sitemap.text,
    }


def _everywhere(live: Live, key: str, word: str) -> dict[str, bool]:
    return {
        "bot search": key in _search_keys(live, word, "bot"),
        "operator search": key in _search_keys(live, word, "operator"),
        "answer": _answered_with(live, word) == key,
        "help search": _help_found(live, word, key),
    } | _listed(live, key)


def _withdraw(live: Live, key: str) -> None:
    """Unpublish a current announcement, so that the module's other tests meet no notice of it."""
    with Client(live.base, api_key=live.keys["editor"]) as client:
        client.unpublish_article("ru", key)


def test_inside_its_time_box_the_announcement_is_found_and_answered(live: Live) -> None:
    key, word = _announce(live, starts=_at(-3600), ends=_at(3600))
    try:
        found = _everywhere(live, key, word)
        assert found == dict.fromkeys(found, True)
    finally:
        _withdraw(live, key)


def test_after_its_until_it_is_neither_found_nor_answered_though_published(live: Live) -> None:
    key, word = _announce(live, starts=_at(-7200), ends=_at(-3600))
    with Client(live.base, api_key=live.keys["editor"]) as client:
        assert client.get_article("ru", key)["published_revision"] is not None
    assert not any(_everywhere(live, key, word).values())


def test_before_its_from_it_is_neither_found_nor_answered(live: Live) -> None:
    key, word = _announce(live, starts=_at(3600), ends=_at(7200))
    assert not any(_everywhere(live, key, word).values())


def test_it_stops_being_found_the_moment_it_ends_with_nobody_publishing(live: Live) -> None:
    ends = _at(12)
    key, word = _announce(live, starts=_at(-60), ends=ends)
    before = _everywhere(live, key, word)
    assert _answered_with(live, word) == key  # asked again: the kept answer
    assert kb.utcnow() < ends, "the server took too long to check the announcement before its end"
    assert all(before.values()), before
    with live.client("editor") as http:
        seq = http.get("/api/v1/changes", params={"since": 0}).json()
    while kb.utcnow() <= ends:
        time.sleep(0.2)
    assert not any(_everywhere(live, key, word).values())  # the kept answers and searches let it go
    with live.client("editor") as http:
        assert http.get("/api/v1/changes", params={"since": 0}).json() == seq  # nothing was published meanwhile


def test_its_page_after_until_is_gone_and_says_it_has_ended(live: Live) -> None:
    key, _word = _announce(live, starts=_at(-7200), ends=_at(-3600))
    page = httpx.get(f"{live.base}/help/ru/{key}", timeout=30)
    assert page.status_code == 410
    assert "noindex" in page.headers.get("x-robots-tag", "")
    assert 'href="/help/ru/"' in page.text  # a way on, to the help home
    current, _ = _announce(live, starts=_at(-60), ends=_at(3600))
    try:
        assert httpx.get(f"{live.base}/help/ru/{current}", timeout=30).status_code == 200
    finally:
        _withdraw(live, current)


def test_an_sms_answer_opens_with_the_notice_within_its_segments(live: Live) -> None:
    notice = "Сегодня до 18:00 работы на сети в Риге."
    key, _word = _announce(live, starts=_at(-60), ends=_at(3600), summary=notice)
    try:
        with live.client("bot") as http:
            reply = http.get("/api/v1/answer", params={"q": "как проверить баланс", "locale": "ru", "channel": "sms"})
        assert reply.status_code == 200, reply.text
        data = reply.json()
        assert [a["key"] for a in data["announcements"]] == [key] and data["status"] == "answered"
        body = data["rendered"]["body"]
        assert body.startswith(notice + "\n")  # the first thing the phone shows
        cap = data["rendered"]["meta"]["max_segments"]
        assert measure(body).segments <= cap and data["rendered"]["meta"]["segments"] == measure(body).segments
        assert "*100#" in body or "/help/ru/" in body  # and then the answer, or the way to it
    finally:
        _withdraw(live, key)
