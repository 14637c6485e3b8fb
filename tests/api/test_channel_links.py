"""Links a channel gives out are absolute: a bot, a messenger or an email cannot follow `/help/…`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import Live, sample_server

PUBLIC = "https://help.sfera.example"


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Live]:
    """A server that knows its public address (ISTOK_PUBLIC_URL), with the sample content."""
    yield from sample_server(
        tmp_path_factory.mktemp("public"), sqlite_template, ISTOK_RATE_LIMIT="100000", ISTOK_PUBLIC_URL=PUBLIC + "/"
    )


def _bot_answer(live: Live) -> dict[str, object]:
    with live.client("bot") as c:
        r = c.get("/api/v1/answer", params={"q": "как проверить баланс", "locale": "ru", "channel": "bot"})
    assert r.status_code == 200, r.text
    rendered = r.json()["rendered"]
    assert isinstance(rendered, dict)
    return rendered


def test_without_a_public_url_links_start_with_the_address_asked(live: Live) -> None:
    rendered = _bot_answer(live)
    assert f"{live.base}/help/ru/" in str(rendered["body"])
    assert " /help/" not in str(rendered["body"])
    assert str(rendered["meta"]["url"]).startswith(f"{live.base}/help/ru/")  # type: ignore[index]


def test_with_a_public_url_every_channel_links_there(public: Live) -> None:
    rendered = _bot_answer(public)
    assert f"{PUBLIC}/help/ru/" in str(rendered["body"]) and public.base not in str(rendered["body"])
    assert str(rendered["meta"]["url"]).startswith(f"{PUBLIC}/help/ru/")  # type: ignore[index]
    with public.client("bot") as c:
        for channel in ("bot", "sms", "email", "web"):
            r = c.get(f"/api/v1/articles/ru/check-balance/render/{channel}")
            assert r.status_code == 200, (channel, r.text)
            assert "/help/" not in r.text.replace(f"{PUBLIC}/help/", ""), (channel, r.text[:300])
