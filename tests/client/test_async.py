"""The asyncio client runs the same operations against the real Istok, and retries the same way."""

from __future__ import annotations

import pytest

from istok_client import AsyncClient, NotFound, PreconditionFailed, RetryPolicy, Unauthorized
from tests.api.conftest import Live
from tests.client.conftest import Scripted


async def test_an_answer_and_a_search_are_awaited(istok: Live) -> None:
    async with AsyncClient(istok.base, api_key=istok.keys["bot"]) as bot:
        reply = await bot.answer("як поповнити рахунок", locale="uk", channel="bot", format="telegram")
        found = await bot.search("роуминг", locale="ru")
    assert reply["status"] == "answered" and reply["provenance"] is not None
    assert reply["provenance"]["key"] == "top-up" and reply["rendered"] is not None
    assert reply["rendered"]["format"] == "telegram"
    assert found["hits"] and all(hit["locale"] == "ru" for hit in found["hits"])


async def test_an_article_is_saved_with_if_match_and_a_stale_save_refused(istok: Live) -> None:
    async with AsyncClient(istok.base, api_key=istok.keys["editor"]) as editor:
        article = await editor.get_article("uk", "top-up")
        saved = await editor.save_article("uk", "top-up", article["source"] + "\nЩе рядок.\n", base=article)
        with pytest.raises(PreconditionFailed) as stale:
            await editor.save_article("uk", "top-up", article["source"], base=article)
        with pytest.raises(NotFound):
            await editor.get_article("uk", "no-such-article")
    assert saved["draft_revision"] == article["draft_revision"] + 1
    assert stale.value.status == 412 and str(saved["draft_revision"]) in stale.value.detail


async def test_a_bad_key_is_unauthorized(istok: Live) -> None:
    async with AsyncClient(istok.base, api_key="wrong") as stranger:
        with pytest.raises(Unauthorized):
            await stranger.ivr_menu(locale="ru")


async def test_a_429_is_retried_as_asked(scripted: Scripted) -> None:
    scripted.answer((429, {"Retry-After": "0"}, {"title": "Too many", "status": 429}), (200, {}, {"status": "ok"}))
    async with AsyncClient(scripted.base, retry=RetryPolicy(attempts=2)) as client:
        assert (await client.health())["status"] == "ok"
    assert len(scripted.seen) == 2
