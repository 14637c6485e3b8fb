"""The widget on somebody else's website: a different origin, hostile CSS, one script tag."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page

from tests.pages.conftest import Site


def test_widget_on_another_origin_answers_a_question(page: Page, site: Site) -> None:
    page.goto(f"{site.host_base}/index.html")
    launcher = page.locator("[data-istok-widget] >> css=.launcher")
    launcher.wait_for()
    # The host page hides every <button> and paints everything magenta; the shadow root is untouched.
    assert launcher.is_visible()
    assert launcher.evaluate("b => getComputedStyle(b).fontSize") == "15px"
    assert page.locator("h1").evaluate("h => getComputedStyle(h).fontSize") == "31px"  # nor do we restyle the host
    # The page's `div{border:…!important}` and `*{color:…!important}` do not reach our host element either.
    host = page.locator("[data-istok-widget]")
    assert host.evaluate("h => getComputedStyle(h).borderTopWidth") == "0px"
    assert host.evaluate("h => getComputedStyle(h).color") != "rgb(255, 0, 255)"
    launcher.click()
    field = page.locator("[data-istok-widget] >> css=input[name=q]")
    field.fill("How do I set up autopay from my card?")
    field.press("Enter")
    card = page.locator("[data-istok-widget] >> css=.card[data-status=answered]")
    card.wait_for()
    assert "autopay" in card.locator("h3").inner_text().lower()
    more = card.locator("a.more")
    assert more.get_attribute("href") == f"{site.base}/help/en/set-up-autopay"
    page.screenshot(path=str(site.shots / "widget.png"))


def test_widget_hands_off_to_the_contact_link(page: Page, site: Site) -> None:
    page.goto(f"{site.host_base}/index.html")
    page.locator("[data-istok-widget] >> css=.launcher").click()
    field = page.locator("[data-istok-widget] >> css=input[name=q]")
    field.fill("qwertyuiop zxcvbnm")
    field.press("Enter")
    card = page.locator("[data-istok-widget] >> css=.card[data-status=handoff]")
    card.wait_for()
    assert card.locator("a.contact").get_attribute("href") == "https://example.com/contact"


def test_widget_cors_admits_only_configured_origins(site: Site) -> None:
    url = f"{site.base}/widget/answer"
    ok = httpx.get(url, params={"q": "roaming", "locale": "en"}, headers={"Origin": site.host_base})
    assert ok.headers["access-control-allow-origin"] == site.host_base
    bad = httpx.get(url, params={"q": "roaming", "locale": "en"}, headers={"Origin": "https://evil.example"})
    assert bad.status_code == 403
    assert "access-control-allow-origin" not in bad.headers
    script = httpx.get(f"{site.base}/widget.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert len(script.content) < 30 * 1024


def test_widget_shows_the_compact_answer_without_the_articles_table(page: Page, site: Site) -> None:
    """A 380 px panel gets the summary and steps and a link, not the full article and its table."""
    full = httpx.get(f"{site.base}/help/en/roaming-prices")
    assert full.status_code == 200 and "<table" in full.text  # the article itself has a table
    page.goto(f"{site.host_base}/index.html")
    page.locator("[data-istok-widget] >> css=.launcher").click()
    field = page.locator("[data-istok-widget] >> css=input[name=q]")
    field.fill("How much does roaming cost in Europe?")
    field.press("Enter")
    card = page.locator("[data-istok-widget] >> css=.card[data-status=answered]")
    card.wait_for()
    assert "roaming" in card.locator("h3").inner_text().lower()
    assert card.locator("table").count() == 0
    assert card.locator("h2").count() == 0  # no sections of the article either
    assert "€2.99" in card.locator(".answer").inner_text()  # the short answer itself is there
    more = card.locator("a.more")
    assert more.count() == 1
    assert more.get_attribute("href") == f"{site.base}/help/en/roaming-prices"
    assert more.is_visible()
    page.screenshot(path=str(site.shots / "widget-compact.png"))


def test_widget_answer_is_the_bots_compact_form_as_html(site: Site) -> None:
    answer = httpx.get(f"{site.base}/widget/answer", params={"q": "How do I top up my account?", "locale": "en"})
    data = answer.json()
    assert data["status"] == "answered" and data["key"] == "top-up"
    assert "<table" not in data["html"] and "<h2" not in data["html"]
    assert f'<a class="more" href="{site.base}/help/en/top-up-your-account">' in data["html"]
    assert data["summary"].startswith("The quickest way is by card")
