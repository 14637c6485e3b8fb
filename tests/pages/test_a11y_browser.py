"""Accessibility in the browser: axe-core (from npm, `make install`) finds nothing serious or critical.

The help pages and the operator panel are checked in English and Russian, on a desktop and a
375 px phone; axe is injected into each page (the context bypasses our CSP for that only).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.conftest import missing_tool
from tests.pages.conftest import AXE, PASSWORDS, Site

HELP_PAGES = (
    "/help/en/",
    "/help/ru/avtoplatezh",
    "/help/en/topics/billing",
    "/help/uk/search?q=роумінг",
    "/help/en/no-such-page",
)


@pytest.fixture
def axe_page(browser: Browser, site: Site):
    if not AXE.exists():
        missing_tool(f"axe-core is not installed at {AXE} (make install runs npm install axe-core)")
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def _violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("width", [1280, 375])
def test_help_pages_have_no_serious_violations(axe_page: Page, site: Site, width: int) -> None:
    axe_page.set_viewport_size({"width": width, "height": 900})
    for path in HELP_PAGES:
        axe_page.goto(site.base + path)
        assert _violations(axe_page) == [], path


def test_panel_has_no_serious_violations(axe_page: Page, site: Site) -> None:
    axe_page.set_viewport_size({"width": 360, "height": 800})
    axe_page.goto(f"{site.base}/login?next=/panel%3Fq%3Droaming%26locale%3Den")
    assert _violations(axe_page) == [], "login"
    axe_page.fill("#username", "operator1")
    axe_page.fill("#password", PASSWORDS["operator"])
    axe_page.click("form.stack button[type=submit]")
    axe_page.locator(".p-hit").first.wait_for()
    axe_page.keyboard.press("Enter")
    axe_page.locator(".p-card-title").wait_for()
    assert _violations(axe_page) == [], "panel with a card"
