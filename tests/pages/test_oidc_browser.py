"""Sign-in with the company's provider in Chromium: the button on the login page, the provider's own
login and consent pages (node-oidc-provider), and back in the admin as the person it vouched for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.pages.oidc_fixtures import World, istok_with_provider


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[World]:
    with istok_with_provider(tmp_path_factory.mktemp("oidc-browser"), sqlite_template) as running:
        yield running


def test_an_editor_signs_in_with_the_provider_button(browser: Browser, world: World) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    try:
        pg = context.new_page()
        pg.goto(f"{world.base}/login?next=/admin")
        button = pg.locator("#oidc-sign-in")
        assert button.inner_text() == "Sign in with Sfera SSO"
        button.click()
        pg.wait_for_url(f"{world.issuer}/interaction/**")
        pg.fill("input[name=login]", "anna")
        pg.fill("input[name=password]", "anything")
        pg.click("button[type=submit]")
        pg.wait_for_selector("text=Authorize")  # the provider's consent page
        pg.click("button[type=submit]")
        pg.wait_for_url(f"{world.base}/admin")
        assert "anna" in pg.locator(".who").inner_text()
        cookies = {c["name"]: c for c in context.cookies(world.base)}
        assert cookies["istok_session"]["httpOnly"] and "istok_oidc" not in cookies
    finally:
        context.close()
