"""An announcement in a real browser: the help center's banner, the widget's note on another site,
and the line opening the operator card; gone from all three once it is taken off."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page

import kb
from tests.helpers import article
from tests.pages.conftest import Site, login

NOTICE = "Tonight from 01:00 to 03:00 card payments may fail while we upgrade the network."


@pytest.fixture
def announced(site: Site) -> Iterator[str]:
    """`en/network-upgrade`, an announcement for everyone lasting an hour either side of now; taken off after."""
    now = kb.utcnow().replace(microsecond=0)
    source = article(
        key="network-upgrade",
        title="Network upgrade tonight",
        body="We are upgrading the payment network.",
        kind="announcement",
        summary=f'"{NOTICE}"',
        until=(now + dt.timedelta(hours=1)).isoformat(),
        **{"from": (now - dt.timedelta(hours=1)).isoformat()},
    )
    engine = site.engine()
    with kb.write_session(engine) as session:
        found = kb.find_article(session=session, key="network-upgrade", locale="en")
        saved = kb.save_draft(
            session=session, source=source, base_revision=found.draft_revision if found else None, actor="test"
        )
        kb.publish(session=session, article=saved.article, actor="test")
    deadline = time.monotonic() + 10  # published here, seen by the server at its next index poll
    while 'aside class="announcement"' not in httpx.get(f"{site.base}/help/en/").text and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        yield NOTICE
    finally:
        with kb.write_session(engine) as session:
            a = kb.get_article(session=session, key="network-upgrade", locale="en")
            kb.unpublish(session=session, article=a, actor="test")
        engine.dispose()


def test_the_help_center_and_the_widget_give_the_notice_first(page: Page, site: Site, announced: str) -> None:
    page.goto(f"{site.base}/help/en/")
    banner = page.locator("aside.announcement")
    banner.wait_for()
    assert announced in banner.inner_text()
    assert (banner.locator("a").get_attribute("href") or "").endswith("/help/en/network-upgrade")
    top_of_banner = banner.bounding_box()
    main = page.locator("main").bounding_box()
    assert top_of_banner is not None and main is not None and top_of_banner["y"] < main["y"]  # above the page's own
    page.screenshot(path=str(site.shots / "help-announcement.png"))

    page.goto(f"{site.host_base}/index.html")
    page.locator("[data-istok-widget] >> css=.launcher").click()
    note = page.locator("[data-istok-widget] >> css=.note")
    note.wait_for()
    assert announced in note.inner_text()
    assert note.locator("a").get_attribute("href") == f"{site.base}/help/en/network-upgrade"


def test_the_operator_card_opens_with_the_notice(page: Page, site: Site, announced: str) -> None:
    login(page, site, "operator", next_path="/panel?q=autopay&locale=en")
    page.wait_for_url("**/panel?q=autopay&locale=en")
    page.locator(".p-hit").first.wait_for()
    page.keyboard.press("Enter")
    line = page.locator(".p-card .p-announcement")
    line.wait_for()
    assert announced in line.inner_text()
    assert page.locator(".p-card > *").first.evaluate("e => e.className") == "p-card-title"  # the title, then it


def test_once_taken_off_the_banner_is_gone(page: Page, site: Site) -> None:
    """After the fixture's unpublish: gone as soon as the server has seen the publication (its index poll)."""
    deadline = time.monotonic() + 10
    while 'aside class="announcement"' in httpx.get(f"{site.base}/help/en/").text and time.monotonic() < deadline:
        time.sleep(0.2)
    page.goto(f"{site.base}/help/en/?after-the-notice")  # not the copy the browser may keep for a minute
    page.locator("main").wait_for()
    assert page.locator("aside.announcement").count() == 0
