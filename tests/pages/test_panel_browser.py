"""The operator's side panel: sign-in, deep link, keyboard search and exact copies of replies."""

from __future__ import annotations

import json
from urllib.parse import quote

import httpx
import sqlalchemy as sa
from playwright.sync_api import Page

import contacts
import kb
import renderers
from tests.pages.conftest import Site, http_login, login


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


def _caller_with_open_case(site: Site) -> tuple[int, str]:
    """A client who asked about a failed top-up in the chat and was handed to a person."""
    engine = site.engine()
    with kb.write_session(engine) as session:
        caller = contacts.create_contact(
            session=session,
            name="Anna <b>Ozola</b>",  # markup in a name is text, never markup
            locale="en",
            identities=[contacts.normalise("phone", "+371 29 123 456")],
        )
        live = kb.get_article(session=session, key="top-up", locale="en").published_revision or 0
        contacts.record_interaction(
            session=session,
            contact=caller,
            channel="chat",
            outcome="handoff",
            question="my top-up failed",
            article=contacts.ArticleRef("top-up", "en", live),
        )
        cid = caller.id or 0
    engine.dispose()
    return cid, "+37129123456"


def test_panel_shows_who_is_calling(page: Page, site: Site) -> None:
    cid, phone = _caller_with_open_case(site)
    login(page, site, "operator", next_path=f"/panel?phone={quote(phone)}&locale=en")
    page.wait_for_url("**/panel?phone=*")
    slot = page.locator("#contact-context")
    assert slot.is_visible()
    assert slot.locator(".p-contact-name").inner_text().startswith("Anna <b>Ozola</b>")
    assert f"#{cid}" in slot.inner_text()
    case = slot.locator(".p-case")
    assert case.count() == 1
    assert "my top-up failed" in case.inner_text()
    served = slot.locator(".p-served [data-card='en/top-up']")
    assert served.count() == 1
    served.click()  # an article already served opens its operator card
    page.locator(".p-card-title").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.set_viewport_size({"width": 360, "height": 900})
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(site.shots / "panel-contact.png"))
    # The same client by id; an unknown number says so instead of failing.
    page.goto(f"{site.base}/panel?contact={cid}")
    assert "my top-up failed" in page.locator("#contact-context .p-case").inner_text()
    page.goto(f"{site.base}/panel?phone=%2B37129000000")
    assert "new caller" in page.locator("#contact-context").inner_text()
    page.goto(f"{site.base}/panel?phone=12")
    assert "phone" in page.locator("#contact-context .p-contact-none").inner_text().lower()
    # A desk app's broken link still gives the panel, with the reason where the client would be.
    page.goto(f"{site.base}/panel?contact=abc&q=autopay&locale=en")
    assert "whole number" in page.locator("#contact-context .p-contact-none").inner_text()
    page.locator(".p-hit").first.wait_for()
    engine = site.engine()
    with engine.connect() as conn:
        looks = conn.execute(
            sa.text("SELECT count(*) FROM audit_log WHERE action = 'contact.context' AND target = :t"),
            {"t": f"contact {cid}"},
        ).scalar_one()
    engine.dispose()
    assert looks >= 2  # every look at the profile is audited


def test_the_panels_content_follows_the_client_unless_the_desk_names_a_locale(site: Site) -> None:
    """A Ukrainian caller's topics and search come in Ukrainian; `?locale=` from the desk still wins."""
    engine = site.engine()
    with kb.write_session(engine) as session:
        caller = contacts.create_contact(
            session=session, name="Оксана", locale="uk", identities=[contacts.normalise("phone", "+380 44 123 4567")]
        )
        live = kb.get_article(session=session, key="check-balance", locale="uk").published_revision or 0
        contacts.record_interaction(
            session=session,
            contact=caller,
            channel="chat",
            outcome="handoff",
            question="де мій баланс",
            article=contacts.ArticleRef("check-balance", "uk", live),
        )
        cid = caller.id or 0
    engine.dispose()
    http = http_login(site, "operator")
    own = http.get(f"/panel?contact={cid}").text
    assert 'data-locale="uk"' in own and "Оплата й рахунки" in own and "Оплата и счета" not in own
    named = http.get(f"/panel?contact={cid}&locale=ru").text
    assert 'data-locale="ru"' in named and "Оплата и счета" in named
