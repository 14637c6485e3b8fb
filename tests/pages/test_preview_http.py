"""The editor's preview is what each channel receives: the API's very text, with the public links.

A server that knows its public address (ISTOK_PUBLIC_URL) is reached here at 127.0.0.1; the
preview must link where the bots' links go, never to the host the editor's browser used.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import kb
from tests.api.conftest import Live, sample_server
from tests.conftest import ROOT
from tests.pages.conftest import PASSWORDS, Site, csrf_of, http_login

PUBLIC = "https://help.example.com"
#: One article with a bot block, one whose bot answer is derived (summary and steps).
ARTICLES = [("ru", "top-up", "billing"), ("ru", "check-balance", "billing"), ("en", "roaming-prices", "roaming")]


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Live]:
    for live in sample_server(
        tmp_path_factory.mktemp("preview"),
        sqlite_template,
        ISTOK_RATE_LIMIT="100000",
        ISTOK_PUBLIC_URL=PUBLIC,
        ISTOK_SECRET_KEY="test-secret-key-for-preview",
    ):
        engine = live.engine()
        with kb.write_session(engine) as session:
            kb.create_user(session=session, username="editor1", password=PASSWORDS["editor"], role="editor", actor="t")
        engine.dispose()
        yield live


def _preview(live: Live, source: str) -> dict[str, object]:
    site = Site(base=live.base, db_url=live.db_url, host_base="", shots=live.data_dir)
    http = http_login(site, "editor")
    try:
        r = http.post("/admin/preview", json={"source": source}, headers={"X-CSRF-Token": csrf_of(http)})
    finally:
        http.close()
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["ok"], data
    return data  # type: ignore[no-any-return]


@pytest.mark.parametrize(("locale", "key", "category"), ARTICLES)
def test_preview_shows_exactly_what_the_render_api_gives_each_channel(
    public: Live, locale: str, key: str, category: str
) -> None:
    source = (ROOT / "content" / locale / category / f"{key}.md").read_text(encoding="utf-8")
    data = _preview(public, source)
    channels = data["channels"]
    assert isinstance(channels, dict)
    with public.client("bot") as api:
        bot = api.get(f"/api/v1/articles/{locale}/{key}/render/bot")
        assert bot.status_code == 200, bot.text
        assert channels["bot"]["body"] == bot.text  # the default format, as a bot fetches it
        assert f"{PUBLIC}/help/{locale}/" in bot.text
        for fmt, shown in channels["bot"]["formats"].items():
            assert shown == api.get(f"/api/v1/articles/{locale}/{key}/render/bot", params={"format": fmt}).text, fmt
        assert f'<a href="{PUBLIC}/help/{locale}/' in channels["bot"]["formats"]["telegram"]
        sms = api.get(f"/api/v1/articles/{locale}/{key}/render/sms")
        meta = json.loads(sms.headers["X-Istok-Meta"])
        assert (channels["sms"]["body"], channels["sms"]["segments"], channels["sms"]["encoding"]) == (
            sms.text,
            meta["segments"],
            meta["encoding"],
        )
        for channel in ("ivr", "email", "web"):
            assert channels[channel]["body"] == api.get(f"/api/v1/articles/{locale}/{key}/render/{channel}").text
    shown_all = json.dumps(data, ensure_ascii=False)
    assert public.base not in shown_all and "127.0.0.1" not in shown_all  # no link to the host the editor used
    assert 'href="/' not in shown_all  # nor a bare path a channel cannot follow
    assert channels["ivr"]["body"].startswith("<speak")
