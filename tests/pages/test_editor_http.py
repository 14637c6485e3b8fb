"""The editor's server side: the pickers' lists, and each channel's preview as its audience meets it.

The bot's formats are drawn the way each messenger draws them, but only through nh3 with that
messenger's few tags, so a fact or a source full of markup cannot reach the editor's page as markup.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from api.pages.preview import bot_bubbles, email_body, telegram_bubble, whatsapp_bubble
from tests.pages.conftest import Site, client, csrf_of, http_login

SOURCE = """---
key: editor-http
locale: en
title: Editor over HTTP
summary: Call {{ support_phone }} any time.
status: draft
---
Call **{{ support_phone }}** or see [the roaming prices](kb:roaming-prices).

![](https://example.com/no-alt.png)

::: bot
**Call** {{ support_phone }} or see [the roaming prices](kb:roaming-prices).
:::
"""


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, [f"{k}" if v is None else v if k == "src" else k for k, v in attrs]))


def _tags(html: str) -> list[tuple[str, list[str]]]:
    """Each element the browser would build from `html`: its tag, its attribute names (an image's src)."""
    parser = _Elements()
    parser.feed(html)
    return parser.found


def _json(site: Site, method: str, path: str, **kwargs: object) -> dict[str, object]:
    http = http_login(site, "editor")
    try:
        r = http.request(method, path, headers={"X-CSRF-Token": csrf_of(http)}, **kwargs)  # type: ignore[arg-type]
    finally:
        http.close()
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    return r.json()  # type: ignore[no-any-return]


def test_the_article_picker_finds_by_words_of_the_title_the_editors_locale_first(site: Site) -> None:
    items = _json(site, "GET", "/admin/editor/articles", params={"q": "ROAMING cost", "locale": "en"})["items"]
    assert isinstance(items, list) and items
    assert items[0] == {"key": "roaming-prices", "locale": "en", "title": "How much does roaming cost?", "live": True}
    assert all("roaming" in i["title"].lower() and "cost" in i["title"].lower() for i in items)
    ru_first = _json(site, "GET", "/admin/editor/articles", params={"q": "", "locale": "ru"})["items"]
    assert isinstance(ru_first, list) and len(ru_first) == 20 and ru_first[0]["locale"] == "ru"


def test_the_fact_picker_gives_the_reference_to_insert(site: Site) -> None:
    items = _json(site, "GET", "/admin/editor/facts", params={"q": "support_phone"})["items"]
    assert isinstance(items, list)
    assert [i["reference"] for i in items] == ["{{ support_phone }}"]
    assert items[0]["type"] == "phone"


def test_the_pickers_are_for_signed_in_editors_with_the_pages_token(site: Site) -> None:
    with client(site) as anonymous:
        refused = anonymous.get("/admin/editor/articles")
        assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
    editor = http_login(site, "editor")
    assert editor.get("/admin/editor/facts").status_code == 403  # no CSRF header: a page of ours did not ask
    operator = http_login(site, "operator")
    assert operator.get("/admin/editor/facts", headers={"X-CSRF-Token": csrf_of(operator, "/panel")}).status_code == 403


def test_the_preview_shows_each_channel_as_its_audience_meets_it_and_flags_a_missing_alt(site: Site) -> None:
    data = _json(site, "POST", "/admin/preview", json={"source": SOURCE})
    assert data["ok"] is True
    problems = data["problems"]
    assert isinstance(problems, list)
    assert any("has no alt text" in p and "editor:10" in p for p in problems), problems
    channels = data["channels"]
    assert isinstance(channels, dict)
    bot = channels["bot"]
    assert set(bot["bubbles"]) == set(bot["formats"])
    telegram = bot["bubbles"]["telegram"]
    assert "<b>" in telegram and '<a href="' in telegram and "/help/en/roaming-prices" in telegram
    assert bot["bubbles"]["plain"] == bot["formats"]["plain"].replace("&", "&amp;").replace("<", "&lt;")
    assert "<speak" in channels["ivr"]["body"] and "<speak" not in channels["ivr"]["shown"]
    assert channels["ivr"]["shown"].strip()
    email = channels["email"]
    assert "MIME-Version" in email["body"] and "MIME-Version" not in email["shown"]
    assert "<title>" not in email["shown"] and "<h1>Editor over HTTP</h1>" in email["shown"]
    sms = channels["sms"]
    assert sms["segments"] >= 1 and sms["length"] == len(sms["body"]) and sms["per_segment"] in (153, 160, 67, 70)


def test_a_fact_full_of_markup_stays_text_in_every_bubble(site: Site) -> None:
    source = SOURCE.replace("{{ support_phone }}", "{{ xss_fact }}").replace("![](", "![a map](")
    data = _json(site, "POST", "/admin/preview", json={"source": source})
    assert data["problems"] == []
    channels = data["channels"]
    assert isinstance(channels, dict)
    shown = [*channels["bot"]["bubbles"].values(), channels["email"]["shown"]]
    for html in shown:
        tags = _tags(html)
        assert "script" not in {t for t, _ in tags} and not any(a.startswith("on") for _, attrs in tags for a in attrs)
        assert not any(t == "img" and "x" in attrs for t, attrs in tags)
        assert "xss" not in "".join(str(a) for _, a in tags)


@pytest.mark.parametrize(
    ("text", "drawn"),
    [
        ("*Top up* by card", "<b>Top up</b> by card"),
        ("_only_ on days you use it", "<i>only</i> on days you use it"),
        ("~old price~ new price", "<s>old price</s> new price"),
        ("Dial ```*100#```", "Dial <code>*100#</code>"),
        ("2*3*4 and snake_case_name", "2*3*4 and snake_case_name"),
        ("<b>not a tag</b> & more", "&lt;b&gt;not a tag&lt;/b&gt; &amp; more"),
    ],
)
def test_whatsapp_markup_is_drawn_as_the_app_draws_it(text: str, drawn: str) -> None:
    assert whatsapp_bubble(text) == drawn


def test_telegram_html_keeps_the_messengers_tags_only() -> None:
    sent = (
        '<b>Bold</b> <a href="https://x.example/a">link</a> <a href="javascript:alert(1)">js</a> <img src=x> <p>p</p>'
    )
    assert telegram_bubble(sent) == (
        '<b>Bold</b> <a href="https://x.example/a" rel="noopener noreferrer">link</a> '
        '<a rel="noopener noreferrer">js</a>  p'
    )
    assert bot_bubbles({"markdown": "**x** <i>"})["markdown"] == "**x** &lt;i&gt;"


def test_the_email_body_drops_the_document_head() -> None:
    head = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Subject</title></head>'
    html = f"{head}<body><h1>Subject</h1><p>Hi</p></body></html>"
    assert email_body(html) == "<h1>Subject</h1><p>Hi</p>"


def test_the_page_names_the_bundle_only_when_make_install_built_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import api.app  # noqa: F401 - every page module, with the filters and globals they add to the templates
    import api.pages.preview as preview

    if (preview.STATIC / preview.EDITOR_BUNDLE).is_file():
        url = preview.editor_bundle_url()
        assert url is not None and url.startswith("/static/editor.bundle.js?v=")
        bundle = (preview.STATIC / preview.EDITOR_BUNDLE).read_text(encoding="utf-8")
        assert "eval(" not in bundle and "new Function" not in bundle  # script-src 'self' and nothing more
    monkeypatch.setattr(preview, "EDITOR_BUNDLE", "editor.not-built.js")
    assert preview.editor_bundle_url() is None
    page = preview.env.get_template("admin_edit.html").render(
        source="---\nkey: x\n---\n", csrf="t", base=0, message="", article=None, who=None, problems=[]
    )
    assert "editor.bundle.js" not in page and 'id="source"' in page and "admin.js" in page
