"""The editors' desk, rough edges: asked before unpublish and rollback, a disabled publish button that
looks disabled, a broken save that keeps the article and the message, the panel link only for those
who may open it and a way back from a 403, and diffs that wrap long lines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

import kb
from tests.conftest import missing_tool
from tests.pages.conftest import AXE, Site, csrf_of, http_login, login

KEY = "rough-edges-desk"
EDITOR = f"/admin/articles/en/{KEY}"
LONG = "Long line " + " ".join(f"word{n}" for n in range(120)) + " END-OF-THE-LONG-LINE"


def _source(body: str) -> str:
    return (
        f"---\nkey: {KEY}\nlocale: en\ntitle: Rough edges of the desk\nslug: {KEY}\ncategory: mobile-internet\n"
        "summary: An article the rough-edges tests publish, unpublish and roll back.\nowner: network-team\n"
        f"review_by: 2027-03-01\nstatus: published\n---\n{body}\n"
    )


@pytest.fixture(scope="module")
def article(site: Site) -> Iterator[str]:
    """Revision 1, then revision 2 with a long line, published: the tests' own article."""
    engine = site.engine()
    base = None
    for body in ("The first version of the answer.", f"The second version of the answer.\n\n{LONG}"):
        with kb.write_session(engine) as session:
            saved = kb.save_draft(session=session, source=_source(body), base_revision=base, actor="test")
            kb.publish(session=session, article=saved.article, actor="test")
            base = saved.revision.number
    engine.dispose()
    yield KEY


def _state(site: Site) -> tuple[int | None, int]:
    engine = site.engine()
    with kb.read_session(engine) as session:
        a = kb.get_article(session=session, key=KEY, locale="en")
        state = (a.published_revision, a.draft_revision)
    engine.dispose()
    return state


def test_unpublish_and_rollback_ask_first_and_one_click_changes_nothing(page: Page, site: Site, article: str) -> None:
    login(page, site, "editor", next_path=EDITOR)
    page.wait_for_url(f"**{EDITOR}")
    before = _state(site)
    page.get_by_role("button", name="Unpublish").click()
    page.wait_for_url(f"**{EDITOR}/confirm/unpublish*")
    assert _state(site) == before  # the click only asked
    ask = page.locator("section.confirm")
    assert "Unpublish “Rough edges of the desk”?" in ask.locator("h1").inner_text()
    assert f"/help/en/{KEY}" in ask.inner_text() and "goes away" in ask.inner_text()
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_url(f"**{EDITOR}")
    assert _state(site) == before
    page.get_by_role("button", name="Roll back to 1").click()
    page.wait_for_url(f"**{EDITOR}/confirm/rollback?revision=1*")
    assert _state(site) == before
    assert "back to revision 1?" in page.locator("section.confirm h1").inner_text()
    page.screenshot(path=str(site.shots / "admin-confirm-rollback.png"))
    page.get_by_role("button", name="Yes, roll back to revision 1").click()
    page.locator(".flash").filter(has_text="Rolled back").wait_for()
    rolled = _state(site)
    assert rolled[0] == rolled[1] == before[1] + 1
    page.get_by_role("button", name="Unpublish").click()
    page.get_by_role("button", name="Yes, unpublish").click()
    page.locator(".flash").filter(has_text="Unpublished").wait_for()
    assert _state(site)[0] is None


def test_a_post_without_the_confirmation_is_sent_to_ask_first(site: Site, article: str) -> None:
    http = http_login(site, "editor")
    before = _state(site)
    token = csrf_of(http, EDITOR)
    for action, data in (("unpublish", {}), ("rollback", {"revision": "1", "base": str(before[1])})):
        asked = http.post(f"{EDITOR}/{action}", data={"csrf": token, **data})
        assert asked.status_code == 303
        assert asked.headers["location"].startswith(f"{EDITOR}/confirm/{action}")
        assert _state(site) == before
        page = http.get(asked.headers["location"])
        assert page.status_code == 200 and 'name="confirmed" value="yes"' in page.text


def test_a_disabled_publish_button_looks_disabled(page: Page, site: Site, article: str) -> None:
    login(page, site, "editor", next_path=EDITOR)
    page.wait_for_url(f"**{EDITOR}")
    if _state(site)[0] != _state(site)[1]:  # make the draft the live revision, so Publish has nothing to do
        page.locator("form[action$='/publish'] button").click()
        page.locator(".flash").filter(has_text="Published revision").wait_for()
    publish = page.locator("form[action$='/publish'] button")
    assert publish.is_disabled() and publish.get_attribute("aria-disabled") == "true"
    save = page.locator("#editor-form button[type=submit]")  # the same .primary style, enabled
    style = "e => { const s = getComputedStyle(e); return [s.opacity, s.cursor, s.filter]; }"
    off, on = publish.evaluate(style), save.evaluate(style)
    assert float(off[0]) < 0.6 and float(on[0]) == 1.0
    assert off[1] == "not-allowed" and on[1] == "pointer"
    assert off[2] != on[2]


def test_a_broken_save_keeps_the_article_and_the_message(page: Page, site: Site, article: str) -> None:
    login(page, site, "editor", next_path=EDITOR)
    page.wait_for_url(f"**{EDITOR}")
    page.locator("#source").fill("---\nkey: [unclosed\ntitle: : :\n---\nBody\n")
    page.locator("#message").fill("Fixed the price table")
    page.locator("#editor-form button[type=submit]").click()
    page.locator(".conflict[role=alert]").filter(has_text="The source has problems").wait_for()
    assert page.locator("h1").inner_text().startswith("Rough edges of the desk")
    assert "New article" not in page.locator("h1").inner_text()
    assert page.title().startswith("Rough edges of the desk")
    assert page.locator("#message").input_value() == "Fixed the price table"
    assert page.locator("#source").input_value().startswith("---\nkey: [unclosed")
    assert page.locator("table.history tbody tr").count() >= 2  # still this article's editor


def test_the_panel_link_only_for_roles_that_may_open_it(page: Page, site: Site) -> None:
    login(page, site, "editor")
    page.wait_for_url("**/admin")
    nav = page.locator("nav[aria-label='Admin sections']")
    assert nav.get_by_role("link", name="Articles").count() == 1
    assert nav.get_by_role("link", name="Panel").count() == 0
    page.context.clear_cookies()
    login(page, site, "admin")
    page.wait_for_url("**/admin")
    assert page.locator("nav[aria-label='Admin sections']").get_by_role("link", name="Panel").count() == 1


def test_a_403_page_has_a_way_back(page: Page, site: Site) -> None:
    login(page, site, "editor")
    page.wait_for_url("**/admin")
    refused = page.goto(f"{site.base}/panel")
    assert refused is not None and refused.status == 403
    assert "Not for your role" in page.locator("h1").inner_text()
    page.get_by_role("link", name="Back to the admin").click()
    page.wait_for_url("**/admin")
    page.goto(f"{site.base}/panel")
    page.get_by_role("link", name="Sign in as someone else").click()
    page.wait_for_url("**/login?next=/panel")
    page.fill("#username", "operator1")
    page.fill("#password", "operator-password-1")
    page.click("form.stack button[type=submit]")
    page.wait_for_url("**/panel")
    assert page.locator(".panel").count() == 1


def test_the_revision_diff_wraps_long_lines(page: Page, site: Site, article: str) -> None:
    login(page, site, "editor", next_path=f"{EDITOR}/diff?from=1&to=2")
    page.wait_for_url("**/diff?from=1&to=2")
    diff = page.locator("pre.diff")
    line = diff.locator("span.add").filter(has_text="END-OF-THE-LONG-LINE")
    assert line.count() == 1
    assert diff.evaluate("e => e.scrollWidth <= e.clientWidth"), "the diff scrolls sideways: a long line is cut"
    assert diff.evaluate("e => getComputedStyle(e).whiteSpace") in ("pre-wrap", "break-spaces")
    box, pre = line.bounding_box(), diff.bounding_box()
    assert box is not None and pre is not None and box["height"] > 40  # wrapped onto several lines
    assert box["x"] + box["width"] <= pre["x"] + pre["width"] + 1


def test_the_confirmation_and_403_pages_have_no_serious_violations(browser: Browser, site: Site, article: str) -> None:
    if not AXE.exists():
        missing_tool(f"axe-core is not installed at {AXE} (make install runs npm install axe-core)")
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    login(pg, site, "editor", next_path=f"{EDITOR}/confirm/unpublish")
    pg.wait_for_url("**/confirm/unpublish")
    for path in (f"{EDITOR}/confirm/unpublish", f"{EDITOR}/confirm/rollback?revision=1", "/panel"):
        pg.goto(site.base + path)
        pg.add_script_tag(path=str(AXE))
        result = pg.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        serious = [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == [], path
    context.close()
