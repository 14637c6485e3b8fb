"""Rough edges of the panel and the help center ("The editors' desk"): `/`, contact, icons, a 360 px placeholder."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page

import contacts
import kb
from tests.api.conftest import start_server
from tests.pages.conftest import Site, login

#: Emoji and pictographs (the 🔒 among them): a missing-glyph box where the font has none.
EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f]")


def test_slash_focuses_panel_search_without_typing_it(page: Page, site: Site) -> None:
    login(page, site, "operator", "/panel")
    page.wait_for_url("**/panel")
    page.locator("#pq").wait_for()
    assert page.evaluate("document.activeElement && document.activeElement.id") != "pq"  # no autofocus
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement && document.activeElement.id") == "pq"
    assert page.input_value("#pq") == ""
    page.keyboard.press("/")  # again, in the empty field: still nothing typed
    assert page.input_value("#pq") == ""
    page.keyboard.type("autopay")
    assert page.input_value("#pq") == "autopay"


def test_internal_label_lock_is_an_svg_not_an_emoji(page: Page, site: Site) -> None:
    login(page, site, "operator", "/panel?q=autopay&locale=en")
    page.wait_for_url("**/panel?q=autopay&locale=en")
    page.locator(".p-hit").first.click()
    label = page.locator(".p-card .istok-internal-label").first
    label.wait_for()
    before = label.evaluate(
        "n => { const s = getComputedStyle(n, '::before');"
        " return {content: s.content, mask: s.webkitMaskImage || s.maskImage, width: s.width}; }"
    )
    assert not EMOJI.search(before["content"]), before
    assert "svg" in before["mask"], before
    assert float(before["width"].rstrip("px")) > 0
    assert not EMOJI.search(label.inner_text())
    label.screenshot(path=str(site.shots / "panel-internal-label.png"))


def test_every_topic_has_an_svg_icon(page: Page, site: Site) -> None:
    page.goto(f"{site.base}/help/en/")
    topics = page.locator(".topic")
    assert topics.count() >= 3
    for i in range(topics.count()):
        icon = topics.nth(i).locator(".topic-icon svg")
        assert icon.count() == 1, topics.nth(i).inner_text()
        assert icon.locator("path, rect, circle").count() >= 1
        box = icon.bounding_box()
        assert box is not None and box["width"] >= 16
    assert not EMOJI.search(page.locator(".topics").inner_text())
    slugs = page.eval_on_selector_all(".topic-icon", "ns => ns.map(n => n.dataset.topic)")
    shapes = page.eval_on_selector_all(".topic-icon svg", "ns => ns.map(n => n.innerHTML)")
    assert len(set(shapes)) == len(set(slugs))  # a drawing per topic, not one placeholder shape
    page.locator(".topics").screenshot(path=str(site.shots / "help-topics.png"))


@pytest.mark.parametrize("path", ["/help/uk/", "/help/uk/search?q=zzzzqqq", "/help/ru/", "/help/en/"])
def test_search_placeholder_fits_at_360_px(browser: Browser, site: Site, path: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="uk-UA")
    try:
        pg = context.new_page()
        pg.goto(site.base + path)
        box = pg.locator("#q")
        box.fill("")
        fit = box.evaluate(
            "n => { const s = getComputedStyle(n); const c = document.createElement('canvas').getContext('2d');"
            " c.font = s.font; const room = n.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);"
            " return {text: c.measureText(n.placeholder).width, room: room,"
            " scroll: n.scrollWidth, client: n.clientWidth}; }"
        )
        assert fit["text"] <= fit["room"], fit
        assert fit["scroll"] <= fit["client"], fit
    finally:
        context.close()


@pytest.fixture(scope="module")
def no_contact_url(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A second server on a copy of the sample data, with ISTOK_CONTACT_URL unset."""
    data_dir = tmp_path_factory.mktemp("no-contact")
    source = Path(site.db_url.removeprefix("sqlite:///"))
    shutil.copy(source, data_dir / "istok.db")
    db_url = f"sqlite:///{data_dir / 'istok.db'}"
    proc, base = start_server(db_url, data_dir, ISTOK_RATE_LIMIT="100000", ISTOK_CONTACT_URL="")
    try:
        yield Site(base=base, db_url=db_url, host_base=site.host_base, shots=site.shots)
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _href(html: str, label: str) -> str:
    found = re.search(r'<a class="button" href="([^"]+)">' + re.escape(label) + "</a>", html)
    assert found is not None, f"no {label!r} link"
    return found.group(1).replace("&amp;", "&")


def test_contact_links_lead_to_a_working_form_without_contact_url(no_contact_url: Site) -> None:
    with httpx.Client(base_url=no_contact_url.base, timeout=30) as http:
        home = http.get("/help/en/")
        assert home.status_code == 200
        footer = _href(home.text, "Contact us")
        assert footer == "/help/en/contact"
        empty = http.get("/help/en/search", params={"q": " "})  # (the sample always finds something for words)
        assert '<p class="empty">Nothing found' in empty.text
        from_search = _href(empty.text, "Contact us")
        assert from_search.startswith("/help/en/contact")
        assert http.get(from_search).status_code == 200
        form = http.get("/help/en/contact", params={"q": "qqqqxxxzzzz"})
        assert form.status_code == 200
        assert 'action="/help/en/contact"' in form.text and 'name="reply_to"' in form.text
        assert "qqqqxxxzzzz" in form.text  # the question is carried over
        bad = http.post("/help/en/contact", data={"question": "Help me", "reply_to": "not an address"})
        assert bad.status_code == 422 and "email address or a phone number" in bad.text
        sent = http.post(
            "/help/en/contact",
            data={"question": "My router blinks red all day", "reply_to": "Reader@Example.com"},
            follow_redirects=False,
        )
        assert sent.status_code == 303
        thanks = http.get(sent.headers["location"])
        assert thanks.status_code == 200 and "support team" in thanks.text
        # The widget's handoff points at the same form, not back at the help home.
        answer = http.get("/widget/answer", params={"q": "???", "locale": "en"}).json()
        assert answer["status"] == "handoff" and answer["contact_url"].endswith("/help/en/contact")
    engine = kb.make_engine(no_contact_url.db_url)
    try:
        with kb.read_session(engine) as session:
            address = contacts.normalise("email", "reader@example.com")
            contact = contacts.find_by_identity(session=session, address=address)
            assert contact is not None
            rows = session.execute(
                sa.select(contacts.Interaction).where(contacts.Interaction.contact_id == contact.id)
            ).scalars()
            handoffs = [(i.channel, i.outcome, i.question, i.case_id is not None) for i in rows]
    finally:
        engine.dispose()
    assert handoffs == [("web", "handoff", "My router blinks red all day", True)]


def test_contact_url_when_set_is_where_contact_us_goes(site: Site) -> None:
    home = httpx.get(f"{site.base}/help/en/", timeout=30)
    assert _href(home.text, "Contact us") == "https://example.com/contact"
