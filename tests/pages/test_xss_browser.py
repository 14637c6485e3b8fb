"""An article made of XSS payloads executes nothing on any of the four faces.

The corpus (`xss_corpus.md`) puts script tags, event handlers, `javascript:` and `data:`
links, SVG, MathML and malformed tags in the text, links, title, questions, tags, a fact
and an internal block. Each face is checked in the browser: the payloads' flag was never
set, no dialog opened (the `page` fixture), and the DOM holds no event-handler attribute,
no script of the content's and no `javascript:` URL, inside the widget's shadow root too.
"""

from __future__ import annotations

import httpx
from playwright.sync_api import Page

from tests.pages.conftest import Site, login

INERT = """() => {
  const problems = [];
  const roots = [document];
  document.querySelectorAll('[data-istok-widget]').forEach(h => h.shadowRoot && roots.push(h.shadowRoot));
  for (const root of roots) {
    for (const el of root.querySelectorAll('*')) {
      for (const a of el.attributes) {
        const v = a.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
        if (a.name.startsWith('on')) problems.push(el.tagName + ' ' + a.name);
        if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data'].includes(a.name)
            && (v.startsWith('javascript:') || v.startsWith('data:text/html'))) {
          problems.push(el.tagName + ' ' + a.name + '=' + v);
        }
      }
      if (el.tagName === 'SCRIPT' && el.type !== 'application/ld+json' && !el.src) problems.push('inline script');
      if (['IFRAME', 'OBJECT', 'EMBED'].includes(el.tagName)) problems.push(el.tagName);
    }
  }
  if (window.__xss !== undefined) problems.push('payload ran');
  return problems;
}"""


def _inert(page: Page, where: str) -> None:
    page.wait_for_timeout(150)  # let any onerror/onload fire
    assert page.evaluate(INERT) == [], where


def test_public_faces_run_nothing_and_show_no_internal_note(page: Page, site: Site) -> None:
    for path in ("/help/en/xss-corpus", "/help/en/topics/billing", "/help/en/", "/help/en/search?q=payload"):
        response = page.goto(site.base + path)
        assert response is not None and response.status == 200, path
        _inert(page, path)
        assert "INTERNAL-ONLY-7731" not in page.content(), path
    assert page.locator(".results li").filter(has_text="Payload").count() >= 1
    page.goto(f"{site.base}/help/en/")
    page.locator("#q").press_sequentially("payload summary", delay=10)
    page.locator("#q-list [role=option]").first.wait_for()
    _inert(page, "search as you type")
    assert "INTERNAL-ONLY-7731" not in page.content()
    sitemap = httpx.get(f"{site.base}/sitemap.xml").text
    assert "xss-corpus" in sitemap and "INTERNAL-ONLY" not in sitemap and "<script" not in sitemap

    page.goto(f"{site.host_base}/index.html")
    page.locator("[data-istok-widget] >> css=.launcher").click()
    field = page.locator("[data-istok-widget] >> css=input[name=q]")
    for question in ("Payload title", "<img src=x onerror=window.__xss=1> payload question"):
        field.fill(question)
        field.press("Enter")
    page.locator("[data-istok-widget] >> css=.card").nth(1).wait_for()
    assert page.locator("[data-istok-widget] >> css=.card[data-status=answered]").count() >= 1
    _inert(page, "widget")
    shadow = page.locator("[data-istok-widget] >> css=.w").inner_html()
    assert "INTERNAL-ONLY-7731" not in shadow


def test_staff_faces_run_nothing(page: Page, site: Site) -> None:
    login(page, site, "admin", next_path="/panel?q=payload&locale=en")
    page.wait_for_url("**/panel?q=payload*")
    hit = page.locator(".p-hit").filter(has_text="Payload")
    hit.first.click()
    page.locator(".p-card-title").filter(has_text="Payload").wait_for()
    assert "INTERNAL-ONLY-7731" in page.locator(".p-card").inner_text()  # operators do see internal notes
    _inert(page, "panel")
    page.goto(f"{site.base}/admin/articles/en/xss-corpus")
    page.locator(".pv[data-channel=sms] .pv-meta").filter(has_text="segment").wait_for()
    _inert(page, "admin editor with every channel's preview")
    web_preview = page.locator(".pv[data-channel=web] .body").inner_text()
    assert "Payload text" in web_preview and "INTERNAL-ONLY-7731" not in web_preview
    for path in ("/admin?q=payload", "/admin/translations/xss-corpus", "/admin/facts", "/admin/gaps"):
        response = page.goto(site.base + path)
        assert response is not None and response.status == 200, path
        _inert(page, path)
