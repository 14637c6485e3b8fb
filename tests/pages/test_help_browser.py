"""The help center in a real browser: search as you type, reading, voting, switching language."""

from __future__ import annotations

from playwright.sync_api import Browser, Page
from sqlmodel import select

import kb
from tests.pages.conftest import Site


def test_home_search_article_and_helpful_vote(page: Page, site: Site) -> None:
    page.goto(f"{site.base}/help/en/")
    assert page.locator("h1").inner_text() == "How can we help?"
    page.screenshot(path=str(site.shots / "help-home.png"), full_page=True)
    page.locator("#q").press_sequentially("autopay card", delay=20)
    option = page.locator("#q-list [role=option]").first
    option.wait_for()
    assert page.locator("#q").get_attribute("aria-expanded") == "true"
    assert page.locator("#q-list mark").count() > 0  # highlighted snippets
    page.screenshot(path=str(site.shots / "help-search.png"))
    page.keyboard.press("ArrowDown")
    assert option.get_attribute("aria-selected") == "true"
    page.keyboard.press("Enter")
    page.wait_for_url("**/help/en/set-up-autopay")
    assert "autopay" in page.locator("h1").inner_text().lower()
    assert page.locator("nav.crumbs a").count() == 2  # Help › Billing and payments
    page.screenshot(path=str(site.shots / "help-article.png"), full_page=True)
    revision = int(page.locator(".vote input[name=revision]").get_attribute("value") or 0)
    engine = site.engine()
    with kb.read_session(engine) as session:  # other tests of this site may have voted on it already
        before = {v.id for v in session.exec(select(kb.HelpfulVote).where(kb.HelpfulVote.key == "autopay")).all()}
    page.locator(".vote-yes").click()
    page.locator(".vote-status").filter(has_text="Thank you").wait_for()
    with kb.read_session(engine) as session:
        votes = session.exec(select(kb.HelpfulVote).where(kb.HelpfulVote.key == "autopay")).all()
        assert [(v.locale, v.revision, v.helpful) for v in votes if v.id not in before] == [("en", revision, True)]
    engine.dispose()


def test_language_switch_goes_to_the_same_article(page: Page, site: Site) -> None:
    page.goto(f"{site.base}/help/en/set-up-autopay")
    page.locator("nav.lang a[hreflang=ru]").click()
    page.wait_for_url("**/help/ru/avtoplatezh")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator(".vote h2").inner_text() == "Статья помогла?"
    alternates = page.locator("link[rel=alternate][hreflang]")
    assert {alternates.nth(i).get_attribute("hreflang") for i in range(alternates.count())} == {
        "ru",
        "uk",
        "en",
        "x-default",
    }


def test_search_without_javascript_and_localised_404(browser: Browser, site: Site) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site.base}/help/uk/")
    page.fill("#q", "роумінг")
    page.locator("form.search button").click()
    page.wait_for_url("**/help/uk/search?q=*")
    assert page.locator(".results li").count() > 0
    response = page.goto(f"{site.base}/help/uk/no-such-article")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "Сторінку не знайдено"
    context.close()


def test_phone_layout_has_no_horizontal_scroll(browser: Browser, site: Site) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    page = context.new_page()
    for path in ("/help/ru/", "/help/ru/avtoplatezh", "/help/ru/topics/billing"):
        page.goto(site.base + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a 375 px phone"
    page.goto(site.base + "/help/ru/avtoplatezh")
    page.screenshot(path=str(site.shots / "help-article-phone.png"), full_page=False)
    context.close()
