"""The article editor for people who do not write Markdown, in a real browser.

CodeMirror (built by `make install` into api/pages/static/editor.bundle.js) edits the source; the
toolbar writes headings, links picked from the article list, facts picked from the facts, channel
blocks; every channel's preview shows the text as its audience meets it. Without the bundle, or
without JavaScript, the plain textarea still posts the form.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import ROOT, missing_tool
from tests.pages.conftest import AXE, Site, login

BUNDLE = ROOT / "api" / "pages" / "static" / "editor.bundle.js"


def _source(key: str, body: str = "Roaming starts when your phone joins a network abroad.") -> str:
    return (
        f"---\nkey: {key}\nlocale: en\ntitle: Editor test {key}\nsummary: A test article.\nstatus: draft\n---\n{body}\n"
    )


def _open_new(page: Page, site: Site, key: str) -> None:
    """A new article, its source set through the textarea (the form field CodeMirror follows)."""
    login(page, site, "editor")
    page.wait_for_url("**/admin")
    page.goto(f"{site.base}/admin/new?locale=en")
    page.locator("#source").fill(_source(key))
    page.locator(".pv[data-channel=web] .body").filter(has_text="Roaming starts").wait_for()


def _textarea(page: Page) -> str:
    return page.locator("#source").input_value()


def _to_end(page: Page) -> None:
    page.locator(".source-editor .cm-content").click()
    page.keyboard.press("Control+End")


@pytest.fixture
def bundled() -> None:
    if not BUNDLE.exists():
        missing_tool(f"the editor bundle is not built at {BUNDLE} (make install runs npm and esbuild)")


@pytest.fixture
def csp_errors(page: Page) -> Iterator[list[str]]:
    """Console messages about the page's Content-Security-Policy: there must be none."""
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Content Security Policy: ' + e.violatedDirective + ' ' + e.sourceFile))"
    )
    yield seen


@pytest.mark.usefixtures("bundled")
def test_typing_and_the_toolbar_write_markdown_and_every_channel_follows(
    page: Page, site: Site, csp_errors: list[str]
) -> None:
    _open_new(page, site, "editor-toolbar")
    assert page.locator(".source-editor .cm-content[contenteditable=true]").count() == 1
    assert page.locator("#source").get_attribute("tabindex") == "-1"  # one place to type, not two

    # Typing in CodeMirror reaches the form field and the preview.
    _to_end(page)
    page.keyboard.type("Typed in CodeMirror 5150.")
    assert "Typed in CodeMirror 5150." in _textarea(page)
    page.locator(".pv[data-channel=web] .body").filter(has_text="Typed in CodeMirror 5150.").wait_for()

    # A heading: the button writes "## " and selects the words to replace.
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.locator(".editor-toolbar button[data-action=heading][data-level='2']").click()
    page.keyboard.type("Fees abroad")
    assert "\n## Fees abroad" in _textarea(page)
    page.locator(".pv[data-channel=web] .body h2").filter(has_text="Fees abroad").wait_for()

    # Bold from the keyboard shortcut, on the words typed after it.
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.press("Control+b")
    page.keyboard.type("Day pass")
    assert "**Day pass**" in _textarea(page)

    # A link to another article, picked from the article list by typing part of its title.
    page.keyboard.press("End")
    page.keyboard.press("End")
    page.keyboard.type(" See ")
    page.locator(".editor-toolbar button[data-action=article]").click()
    dialog = page.locator("dialog#picker")
    dialog.wait_for()
    assert page.evaluate("document.activeElement.id") == "picker-q"
    page.keyboard.type("roaming cost")
    expect(dialog.locator("button.pick").first).to_contain_text("How much does roaming cost?")
    page.screenshot(path=str(site.shots / "admin-editor-picker.png"))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert not dialog.is_visible()
    assert "See [How much does roaming cost?](kb:roaming-prices)" in _textarea(page)
    page.locator(".pv[data-channel=web] .body a[href$='/help/en/roaming-prices']").wait_for()

    # A fact, picked by its key; the preview shows its value.
    page.keyboard.press("End")
    page.keyboard.type(" Call ")
    page.locator(".editor-toolbar button[data-action=fact]").click()
    page.keyboard.type("support_phone")
    expect(dialog.locator("button.pick").first).to_contain_text("{{ support_phone }}")
    dialog.locator("button.pick").first.click()
    assert " Call {{ support_phone }}" in _textarea(page)
    page.locator(".pv[data-channel=web] .body a[href^='tel:']").wait_for()

    # An SMS block: its own wording, shown on the phone screen with its segment count.
    page.locator(".editor-toolbar button[data-action=block]").click()
    page.keyboard.type("sms")
    expect(dialog.locator("button.pick")).to_have_count(1)
    page.keyboard.press("Enter")
    page.keyboard.type("Roaming: day pass only on days you use the phone. Details online.")
    assert "\n::: sms\nRoaming: day pass only on days you use the phone. Details online.\n:::" in _textarea(page)
    sms = page.locator(".pv[data-channel=sms]")
    sms.locator(".sms-bubble").filter(has_text="Roaming: day pass only on days").wait_for()
    assert sms.locator(".pv-meta").inner_text() == "1 segment(s) · gsm7"
    assert "characters, 160 per segment" in sms.locator(".sms-count").inner_text()
    assert not sms.locator(".body").is_visible()  # the raw text is behind the "source" toggle

    # The bot pane draws Telegram's HTML as a chat bubble: bold and a link, no tags as text.
    bot = page.locator(".pv[data-channel=bot]")
    bot.locator(".pv-format").select_option("telegram")
    bubble = bot.locator(".bubble")
    bubble.locator("a[href$='/help/en/editor-toolbar']").wait_for()
    assert "<a " not in bubble.inner_text() and "<b>" not in bubble.inner_text()
    page.locator("#pv-raw").check()
    assert "<a href=" in bot.locator(".body").inner_text() and bot.locator(".body").is_visible()
    assert not bubble.is_visible()
    page.locator("#pv-raw").uncheck()

    # The IVR pane: the words a caller hears, and a player (audio needs espeak-ng: another test).
    ivr = page.locator(".pv[data-channel=ivr]")
    assert "Fees abroad" in ivr.locator(".spoken").inner_text()
    assert "<speak" not in ivr.locator(".spoken").inner_text()
    assert ivr.locator("audio[controls]").count() == 1 and ivr.locator("button.listen").is_visible()
    email = page.locator(".pv[data-channel=email]")
    assert email.locator(".mail-subject").inner_text() == "Editor test editor-toolbar"
    assert email.locator(".mail-body h2").filter(has_text="Fees abroad").count() == 1
    assert "Content-Type" not in email.locator(".shown").inner_text()
    page.screenshot(path=str(site.shots / "admin-editor-toolbar.png"), full_page=True)

    # Save and publish go through the form as before; the help page shows what was written.
    page.locator("#message").fill("written with the toolbar")
    page.locator("#editor-form button[type=submit]").click()
    page.locator(".flash").filter(has_text="Saved revision").wait_for()
    assert page.locator(".source-editor .cm-content").count() == 1  # the page after the save is enhanced again
    page.locator("form[action$='/publish'] button").click()
    page.locator(".flash").filter(has_text="Published revision").wait_for()
    help_page = httpx.get(f"{site.base}/help/en/editor-toolbar", timeout=30).text
    assert "Fees abroad" in help_page and "Typed in CodeMirror 5150." in help_page
    assert csp_errors == []


@pytest.mark.usefixtures("bundled")
def test_the_preview_flags_an_image_without_alt_text_before_the_save_refuses_it(page: Page, site: Site) -> None:
    _open_new(page, site, "editor-alt")
    problems = page.locator(".preview-problems")
    assert problems.is_hidden()
    _to_end(page)
    page.keyboard.type("\n![](https://example.com/map.png)\n")
    problems.filter(has_text="has no alt text").wait_for()
    assert problems.is_visible()
    page.locator("#editor-form button[type=submit]").click()
    page.locator("body").filter(has_text="has no alt text").first.wait_for()
    assert "![](https://example.com/map.png)" in _textarea(page)  # the refused text is kept
    page.locator(".source-editor .cm-content").wait_for()
    text = _textarea(page).replace("![](", "![A map of the roaming zones](")
    page.locator("#source").fill(text)
    problems.wait_for(state="hidden")
    page.locator("#editor-form button[type=submit]").click()
    page.locator(".flash").filter(has_text="Saved revision").wait_for()


def test_the_ivr_player_plays_what_a_caller_hears(page: Page, site: Site) -> None:
    if shutil.which("espeak-ng") is None:
        missing_tool("espeak-ng is not installed (apt-get install espeak-ng)")
    _open_new(page, site, "editor-listen")
    ivr = page.locator(".pv[data-channel=ivr]")
    ivr.locator(".spoken").filter(has_text="Roaming starts").wait_for()
    ivr.locator("button.listen").click()
    ivr.locator("audio[controls]").wait_for(state="visible")
    page.wait_for_function("() => document.querySelector('.pv[data-channel=ivr] audio').duration > 0")


def test_without_the_bundle_the_toolbar_edits_the_textarea_and_the_form_posts(page: Page, site: Site) -> None:
    page.route("**/static/editor.bundle.js*", lambda route: route.abort())
    _open_new(page, site, "editor-plain")
    assert page.locator(".source-editor").count() == 0
    assert page.locator("#source").is_visible()
    source = page.locator("#source")
    source.focus()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n")
    page.locator(".editor-toolbar button[data-action=heading][data-level='3']").click()
    page.keyboard.type("Plain textarea heading")
    assert "\n### Plain textarea heading" in _textarea(page)
    page.keyboard.press("Enter")
    page.keyboard.type("first\nsecond")
    page.keyboard.press("Shift+ArrowUp")
    page.locator(".editor-toolbar button[data-action=bullets]").click()
    assert _textarea(page).endswith("### Plain textarea heading\n- first\n- second")
    page.locator(".pv[data-channel=web] .body h3").filter(has_text="Plain textarea heading").wait_for()
    page.locator("#editor-form button[type=submit]").click()
    page.locator(".flash").filter(has_text="Saved revision").wait_for()


def test_without_javascript_the_form_posts_the_textarea(browser: Browser, site: Site) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        login(page, site, "editor")
        page.wait_for_url("**/admin")
        page.goto(f"{site.base}/admin/new?locale=en")
        assert page.locator(".editor-toolbar").is_hidden()  # no buttons that would do nothing
        page.locator("#source").fill(_source("editor-nojs", "Written with no script at all."))
        page.locator("#editor-form button[type=submit]").click()
        page.locator(".flash").filter(has_text="Saved revision").wait_for()
    finally:
        context.close()


@pytest.mark.usefixtures("bundled")
def test_the_editor_and_its_picker_have_no_serious_accessibility_violations(browser: Browser, site: Site) -> None:
    if not AXE.exists():
        missing_tool(f"axe-core is not installed at {AXE} (make install runs npm install axe-core)")
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        login(page, site, "editor", next_path="/admin/articles/en/roaming-prices")
        page.wait_for_url("**/admin/articles/en/roaming-prices")
        page.locator(".pv[data-channel=sms] .sms-count").filter(has_text="segment").wait_for()
        page.add_script_tag(path=str(AXE))
        assert _violations(page) == [], "editor"
        toolbar = page.locator(".editor-toolbar")
        toolbar.locator("button").first.focus()
        page.keyboard.press("ArrowRight")
        assert page.evaluate("document.activeElement.textContent") == "Subheading"
        page.keyboard.press("End")
        assert page.evaluate("document.activeElement.dataset.action") == "image"
        toolbar.locator("button[data-action=article]").click()
        page.locator("dialog#picker button.pick").first.wait_for()
        assert _violations(page) == [], "article picker"
        page.keyboard.press("Escape")
        assert page.locator("dialog#picker").is_hidden()
    finally:
        context.close()


def _violations(page: Page) -> list[str]:
    """Serious or critical findings in the editor and its dialog (the shared header is checked elsewhere)."""
    result = page.evaluate(
        "async () => await axe.run({include: [['.editor'], ['#picker']]}, {resultTypes: ['violations']})"
    )
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
