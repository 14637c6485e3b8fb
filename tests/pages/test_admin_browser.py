"""The editors' admin in a real browser: edit, preview every channel, publish, and a stale save."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, Page

import kb
from tests.pages.conftest import Site, login


def _bot_key(site: Site) -> str:
    engine = site.engine()
    with kb.write_session(engine) as session:
        secret = kb.create_key(session=session, name="pages-test-bot", role="bot", actor="test")[1]
    engine.dispose()
    return secret


def test_edit_preview_publish_reaches_help_and_answers(page: Page, site: Site) -> None:
    login(page, site, "editor")
    page.wait_for_url("**/admin")
    page.locator("input[name=q]").fill("roaming")
    page.locator("form.filters button").click()
    page.locator("table.grid a[href='/admin/articles/en/roaming-prices']").click()
    page.wait_for_url("**/admin/articles/en/roaming-prices")
    source = page.locator("#source")
    text = source.input_value().replace("status: published", "status: published", 1)
    marker = "Freshly edited paragraph 4711."
    source.fill(text.rstrip("\n") + f"\n\n{marker}\n")
    # Every channel at once, with its own numbers.
    page.locator(".pv[data-channel=web] .body").filter(has_text=marker).wait_for()
    for channel in ("bot", "sms", "ivr", "operator", "email"):
        assert page.locator(f".pv[data-channel={channel}] .body").inner_text().strip(), channel
    assert "segment" in page.locator(".pv[data-channel=sms] .pv-meta").inner_text()
    assert "s" in page.locator(".pv[data-channel=ivr] .pv-meta").inner_text()
    assert page.locator(".pv[data-channel=operator] .istok-internal").count() >= 0
    # The bot pane is the text each messenger receives, picked by format, shown as source.
    bot = page.locator(".pv[data-channel=bot]")
    assert bot.locator(".pv-format option").all_inner_texts() == ["plain", "markdown", "telegram", "whatsapp", "html"]
    assert bot.locator(".body").inner_text().strip().endswith(f"Read more: {site.base}/help/en/roaming-prices")
    bot.locator(".pv-format").select_option("telegram")
    assert f'<a href="{site.base}/help/en/roaming-prices">Read more</a>' in bot.locator(".body").inner_text()
    assert bot.locator(".body a").count() == 0  # source text in a <pre>, not a link drawn by the browser
    page.screenshot(path=str(site.shots / "admin-editor.png"))
    page.locator("#message").fill("browser test")
    page.locator("#editor-form button[type=submit]").click()
    page.locator(".flash").filter(has_text="Saved revision").wait_for()
    page.locator("form[action$='/publish'] button").click()
    page.locator(".flash").filter(has_text="Published revision").wait_for()
    with kb.read_session(engine := site.engine()) as session:
        live = kb.get_article(session=session, key="roaming-prices", locale="en").published_revision
    engine.dispose()
    help_page = httpx.get(f"{site.base}/help/en/roaming-prices")
    assert marker in help_page.text
    answer = httpx.get(
        f"{site.base}/api/v1/answer",
        params={"q": "How much does roaming cost?", "locale": "en", "channel": "web"},
        headers={"Authorization": f"Bearer {_bot_key(site)}"},
    ).json()
    assert answer["provenance"]["key"] == "roaming-prices"
    assert answer["provenance"]["revision"] == live
    assert marker in answer["rendered"]["body"]


def test_stale_save_shows_the_conflict_and_keeps_the_text(browser: Browser, site: Site) -> None:
    pages = []
    for _ in range(2):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        pg = context.new_page()
        login(pg, site, "editor", next_path="/admin/articles/uk/roaming-activate")
        pg.wait_for_url("**/admin/articles/uk/roaming-activate")
        pages.append(pg)
    first, second = pages
    text = first.locator("#source").input_value()
    first.locator("#source").fill(text.rstrip("\n") + "\n\nПерший редактор.\n")
    first.locator("#editor-form button[type=submit]").click()
    first.locator(".flash").filter(has_text="Saved revision").wait_for()
    mine = text.rstrip("\n") + "\n\nДругий редактор, текст не має загубитися.\n"
    second.locator("#source").fill(mine)
    second.locator("#editor-form button[type=submit]").click()
    conflict = second.locator(".conflict[role=alert]")
    conflict.wait_for()
    assert "+Другий редактор" in conflict.locator("pre.diff").first.inner_text()
    assert "-Перший редактор." in conflict.locator("pre.diff").first.inner_text()
    assert second.locator("#source").input_value().replace("\r\n", "\n") == mine
    second.screenshot(path=str(site.shots / "admin-conflict.png"))
    # Saving again, now knowingly based on the other revision, succeeds.
    second.locator("#editor-form button[type=submit]").click()
    second.locator(".flash").filter(has_text="Saved revision").wait_for()
    for pg in pages:
        pg.context.close()
