"""The staff interface in the person's language, in Chromium: an operator who chose Ukrainian sees
the admin list, the editor and the panel in Ukrainian whatever their browser says; the switch to
English is kept on the account; a browser asking for Russian gets Russian when nobody chose.
The Ukrainian screenshots are the README's."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

import contacts
import kb
from tests.conftest import ROOT
from tests.pages.conftest import Site, client

PASSWORD = "i18n-password-1"
CHOSE_UK = "olena"  # an admin: the admin pages and the panel both open to her
NO_CHOICE = "ruslan"
CALLER_PHONE = "+380447654321"


@pytest.fixture(scope="module")
def people(site: Site) -> None:
    """Two admins (one chose uk, one chose nothing) and a Ukrainian caller with an open case."""
    engine = site.engine()
    with kb.write_session(engine) as session:
        for name in (CHOSE_UK, NO_CHOICE):
            if kb.find_user(session=session, username=name) is None:
                kb.create_user(session=session, username=name, password=PASSWORD, role="admin", actor="test")
        kb.set_user_locale(session=session, username=CHOSE_UK, locale="uk", actor="test")
        kb.set_user_locale(session=session, username=NO_CHOICE, locale=None, actor="test")
        if contacts.find_by_identity(session=session, address=contacts.normalise("phone", CALLER_PHONE)) is None:
            caller = contacts.create_contact(
                session=session,
                name="Оксана Коваль",
                locale="uk",
                identities=[contacts.normalise("phone", CALLER_PHONE)],
            )
            live = kb.get_article(session=session, key="top-up", locale="uk").published_revision or 0
            contacts.record_interaction(
                session=session,
                contact=caller,
                channel="chat",
                outcome="handoff",
                question="не можу поповнити рахунок карткою",
                article=contacts.ArticleRef("top-up", "uk", live),
            )
    engine.dispose()


def _context(browser: Browser, site: Site, locale: str) -> BrowserContext:
    """A fresh browser whose Accept-Language is `locale`'s."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.base)
    return context


@pytest.fixture
def english_browser(browser: Browser, site: Site, people: None) -> Iterator[Page]:
    context = _context(browser, site, "en-US")
    yield context.new_page()
    context.close()


@pytest.fixture
def russian_browser(browser: Browser, site: Site, people: None) -> Iterator[Page]:
    context = _context(browser, site, "ru-RU")
    yield context.new_page()
    context.close()


def _sign_in(page: Page, site: Site, username: str, next_path: str = "/admin") -> None:
    page.goto(f"{site.base}/login?next={quote(next_path)}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"**{next_path}")


def _stored_locale(site: Site, username: str) -> str | None:
    engine = site.engine()
    with kb.read_session(engine) as session:
        user = kb.find_user(session=session, username=username)
        assert user is not None
        locale = user.locale
    engine.dispose()
    return locale


def test_an_operator_who_chose_ukrainian_works_in_ukrainian_and_can_switch(english_browser: Page, site: Site) -> None:
    page = english_browser
    _sign_in(page, site, CHOSE_UK)  # the browser asks for English: her choice wins
    assert page.locator("html").get_attribute("lang") == "uk"
    expect(page.locator("h1")).to_contain_text("Статті")
    nav = page.get_by_role("navigation", name="Розділи адмінки")
    for label in ("Факти", "Синоніми", "Переклади", "Розклад", "Панель", "Центр допомоги"):
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Нова стаття")).to_be_visible()
    expect(page.get_by_role("button", name="Вийти")).to_be_visible()
    assert page.locator(".badge.pub").first.inner_text() == "опублікована"
    assert page.locator("tbody td").filter(has_text=re.compile(r"^чернетка \d+ · опублікована \d+$")).count() > 10
    assert "Articles" not in page.locator("main").inner_text()
    page.screenshot(path=str(site.shots / "admin-list-uk.png"))

    page.goto(f"{site.base}/admin/articles/uk/top-up")
    expect(page.get_by_role("button", name="Зберегти чернетку")).to_be_visible()
    expect(page.get_by_role("navigation", name="Розділи адмінки")).to_contain_text("Статті")
    expect(page.locator(".pv[data-channel=sms]")).to_contain_text("Поповнення")  # the preview came
    page.screenshot(path=str(site.shots / "admin-editor-uk.png"))

    page.set_viewport_size({"width": 360, "height": 900})
    page.goto(f"{site.base}/panel?phone={quote(CALLER_PHONE)}")
    search = page.locator("#pq")
    assert search.get_attribute("placeholder") == "Пошук відповідей  ( / )"
    slot = page.locator("#contact-context")
    expect(slot.get_by_role("heading", name="Відкриті звернення")).to_be_visible()
    expect(slot).to_contain_text("звернення №")
    expect(slot.get_by_role("heading", name="Уже відповідали")).to_be_visible()
    expect(page.locator(".p-keys")).to_contain_text("пошук · ↑↓ вибір")
    slot.locator(".p-served [data-card='uk/top-up']").click()  # what she was already answered, as a card
    expect(page.locator(".p-card h3").filter(has_text="Відповіді")).to_be_visible()
    expect(page.locator("[data-copy=chat]")).to_have_text("Копіювати")
    page.evaluate("window.scrollTo(0, 0)")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(site.shots / "panel-uk.png"))
    search.fill("поповнити рахунок")
    page.locator(".p-hit").first.wait_for()
    expect(page.locator(".p-status")).to_have_text(re.compile(r"^\d+ відповід(ь|і|ей)$"))
    page.keyboard.press("Enter")
    expect(page.locator(".p-status")).to_have_text("Відкрито: Як поповнити рахунок")

    # English, from the panel's own switch: kept on her account, so the admin follows too.
    page.get_by_role("button", name="English").click()
    page.wait_for_url(f"**/panel?phone={quote(CALLER_PHONE)}")
    assert page.locator("#pq").get_attribute("placeholder") == "Search answers  ( / )"
    expect(page.locator("#contact-context")).to_contain_text("Open cases")
    assert _stored_locale(site, CHOSE_UK) == "en"
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{site.base}/admin")
    expect(page.locator("h1")).to_contain_text("Articles")
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Українська").click()  # and back, from the admin's header
    expect(page.locator("h1")).to_contain_text("Статті")
    assert _stored_locale(site, CHOSE_UK) == "uk"


def test_a_russian_browser_gets_russian_when_nobody_chose(russian_browser: Page, site: Site) -> None:
    page = russian_browser
    page.goto(f"{site.base}/login")
    expect(page.get_by_role("button", name="Войти", exact=True)).to_be_visible()  # before signing in, too
    _sign_in(page, site, NO_CHOICE)
    assert page.locator("html").get_attribute("lang") == "ru"
    expect(page.locator("h1")).to_contain_text("Статьи")
    expect(page.get_by_role("link", name="Новая статья")).to_be_visible()
    expect(page.get_by_role("button", name="Русский")).to_have_attribute("aria-pressed", "true")
    page.goto(f"{site.base}/admin/schedules")
    expect(page.locator("h1")).to_have_text("Расписание")
    assert _stored_locale(site, NO_CHOICE) is None  # the browser's language is a default, not a choice


def test_the_switch_refuses_a_language_without_a_catalog(english_browser: Page, site: Site) -> None:
    page = english_browser
    _sign_in(page, site, NO_CHOICE)
    token = page.locator(".lang-switch input[name=csrf]").get_attribute("value") or ""
    wrong = page.request.post(f"{site.base}/account/language", form={"csrf": token, "locale": "de", "next": "/admin"})
    assert wrong.status == 400
    forged = page.request.post(f"{site.base}/account/language", form={"csrf": "forged", "locale": "uk"})
    assert forged.status == 400
    assert _stored_locale(site, NO_CHOICE) is None


def _istok(site: Site, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ISTOK_DATABASE_URL": site.db_url}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def _http_sign_in(site: Site, username: str) -> httpx.Client:
    """Signed in over plain HTTP: no Accept-Language at all."""
    http = client(site)
    token = re.search(r'name="csrf" value="([^"]+)"', http.get("/login").text)
    assert token is not None
    done = http.post("/login", data={"username": username, "password": PASSWORD, "csrf": token.group(1)})
    assert done.status_code == 303, done.text
    return http


def test_istok_users_language_sets_the_same_choice(site: Site, people: None) -> None:
    http = _http_sign_in(site, NO_CHOICE)
    assert "<h1>Articles" in http.get("/admin").text  # no language asked for, none chosen: English
    done = _istok(site, "users", "language", NO_CHOICE, "ru")
    assert done.returncode == 0, done.stderr
    assert "<h1>Статьи" in http.get("/admin").text  # the next request already speaks it
    assert _stored_locale(site, NO_CHOICE) == "ru"
    refused = _istok(site, "users", "language", NO_CHOICE, "de")
    assert refused.returncode != 0 and "not 'de'" in refused.stdout + refused.stderr
    assert _istok(site, "users", "language", NO_CHOICE, "browser").returncode == 0
    assert _stored_locale(site, NO_CHOICE) is None
    assert "<h1>Articles" in http.get("/admin").text


STAFF_PAGES_UK = {
    "/admin/facts": "Факти",
    "/admin/synonyms": "Синоніми",
    "/admin/translations": "Переклади",
    "/admin/translations/top-up": "Переклади top-up",
    "/admin/gaps": "Прогалини в базі",
    "/admin/gaps?show=dismissed": "Відхилені прогалини",
    "/admin/webhooks": "Вебхуки",
    "/admin/schedules": "Розклад",
    "/admin/reviews": "Погодження",
    "/admin/due": "Час перевірити",
    "/admin/articles/uk/top-up/diff?from=1&to=1": "Ревізія 1 → 1",
    "/admin/articles/uk/top-up/confirm/unpublish": "Зняти з публікації «Як поповнити рахунок»?",
    "/admin/articles/uk/top-up/confirm/rollback?revision=1": "Відкотити «Як поповнити рахунок» до ревізії 1?",
}


def test_every_staff_page_speaks_the_persons_language(site: Site, people: None) -> None:
    http = _http_sign_in(site, CHOSE_UK)
    assert _istok(site, "users", "language", CHOSE_UK, "uk").returncode == 0
    for path, heading in STAFF_PAGES_UK.items():
        page = http.get(path)
        assert page.status_code == 200, (path, page.text[:300])
        found = re.search(r"<h1[^>]*>(.*?)</h1>", page.text, re.S)
        assert found is not None, path
        assert re.sub(r"<[^>]+>|\s+", " ", found.group(1)).split() == heading.split(), path
        assert '<html lang="uk">' in page.text and ">Вийти</button>" in page.text, path
