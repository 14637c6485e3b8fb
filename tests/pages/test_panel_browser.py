"""The operator's side panel: sign-in, deep link, keyboard search and exact copies of replies."""

from __future__ import annotations

import json

import httpx
from playwright.sync_api import Page

import kb
import renderers
from tests.pages.conftest import Site, login


def _chat_reply(site: Site) -> str:
    """What the chat channel itself says for en/autopay: the panel must copy exactly this."""
    engine = site.engine()
    with kb.read_session(engine) as session:
        article = kb.get_article(session=session, key="autopay", locale="en")
        unit = kb.load_unit(kb.get_revision(session=session, article=article, number=article.published_revision or 0))
        facts = kb.fact_values(session=session)
        slugs = {a.key: a.slug for a in kb.list_articles(session=session, locale="en")}
    engine.dispose()
    options = renderers.RenderOptions(format="json", base_url=site.base, articles=slugs)
    card = json.loads(renderers.render("operator", unit=unit, facts=facts, options=options).body)
    return str(card["replies"]["chat"])


def test_panel_deep_link_keyboard_and_copy(page: Page, site: Site) -> None:
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"{site.base}/panel?q=autopay&locale=en")
    assert "/login" in page.url  # operators sign in first, then land on the deep link
    page.fill("#username", "operator1")
    page.fill("#password", "operator-password-1")
    page.click("form.stack button[type=submit]")
    page.wait_for_url("**/panel?q=autopay&locale=en")
    first = page.locator(".p-hit").first
    first.wait_for()
    assert first.get_attribute("aria-selected") == "true"
    page.keyboard.press("Enter")
    page.locator(".p-card-title").wait_for()
    assert page.locator(".p-card .istok-internal").count() >= 1  # internal notes, visibly marked
    page.keyboard.press("c")
    page.locator(".p-status").filter(has_text="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == _chat_reply(site)
    page.locator("[data-copy=sms]").click()
    sms = page.locator(".p-reply").nth(1).locator("pre").inner_text()
    assert page.evaluate("navigator.clipboard.readText()") == sms
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(site.shots / "panel.png"), full_page=True)
    # "/" goes back to the search box from anywhere.
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "pq"
    assert page.locator("#contact-context[data-slot=contact-context]").count() == 1


def test_panel_needs_an_operator(page: Page, site: Site) -> None:
    assert httpx.get(f"{site.base}/panel/search", params={"q": "sim"}).status_code == 401
    login(page, site, "editor", next_path="/panel")
    assert page.locator("h1").inner_text() == "Not for your role"
    response = httpx.get(f"{site.base}/panel")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
