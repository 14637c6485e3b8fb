"""Images in every channel: sized and lazy on the web, a link or a photo in chats, nothing by phone or SMS."""

from __future__ import annotations

from dataclasses import replace

import renderers
from renderers import RenderOptions
from tests.renderers.support import unit_of

ASSET = "a1" * 32
BODY = f"""
Нажмите зелёную кнопку.

![Зелёная кнопка вызова](asset:{ASSET})

Затем дождитесь ответа.
"""
OPTIONS = RenderOptions(base_url="https://help.example", images={ASSET: (640, 480)})
URL = f"https://help.example/assets/{ASSET}"
BOT_BODY = f"""
Нажмите зелёную кнопку.

::: bot
Нажмите ![Зелёная кнопка вызова](asset:{ASSET}) и ждите.
:::
"""


def _render(channel: str, fmt: str | None = None, options: RenderOptions = OPTIONS) -> renderers.Rendered:
    unit = unit_of(BODY, summary="Нажмите зелёную кнопку и дождитесь ответа.")
    chosen = replace(options, format=fmt) if fmt else options
    return renderers.render(channel, unit=unit, facts={}, options=chosen)


def test_the_tree_holds_the_asset_and_its_alt_text() -> None:
    unit = unit_of(BODY)
    assert unit.assets == frozenset({ASSET})


def test_web_shows_a_sized_lazy_image_that_survives_the_sanitiser() -> None:
    body = _render("web").body
    assert (
        f'<p><img src="{URL}" alt="Зелёная кнопка вызова" width="640" height="480" loading="lazy" decoding="async"></p>'
    ) in body


def test_web_without_the_size_still_shows_the_image_lazily() -> None:
    body = _render("web", options=RenderOptions(base_url="https://help.example")).body
    assert f'<img src="{URL}" alt="Зелёная кнопка вызова" loading="lazy" decoding="async">' in body


def test_web_leaves_out_images_from_unsafe_addresses_with_a_warning() -> None:
    unit = unit_of("![Злой](javascript:alert(1)) и ![Ничей](data:image/png;base64,AAAA)")
    out = renderers.render("web", unit=unit, facts={}, options=OPTIONS)
    assert "<img" not in out.body and "javascript" not in out.body
    assert "Злой" in out.body
    assert any("javascript:alert(1)" in w for w in out.warnings)


def test_bot_plain_and_markdown_link_to_the_image() -> None:
    unit = unit_of(BOT_BODY)
    plain = renderers.render("bot", unit=unit, facts={}, options=RenderOptions(base_url="https://help.example"))
    assert f"Зелёная кнопка вызова ({URL})" in plain.body
    md_options = RenderOptions(base_url="https://help.example", format="markdown")
    markdown = renderers.render("bot", unit=unit, facts={}, options=md_options)
    assert f"[Зелёная кнопка вызова]({URL})" in markdown.body


def test_telegram_and_whatsapp_keep_the_words_and_list_the_photo_for_the_adapter() -> None:
    unit = unit_of(BOT_BODY)
    for fmt in ("telegram", "whatsapp"):
        out = renderers.render("bot", unit=unit, facts={}, options=replace(OPTIONS, format=fmt))
        assert "Зелёная кнопка вызова" in out.body and URL not in out.body
        assert out.meta["images"] == [
            {"url": URL, "alt": "Зелёная кнопка вызова", "asset": ASSET, "width": 640, "height": 480}
        ]


def test_sms_and_ivr_say_nothing_of_the_image() -> None:
    unit = unit_of(BODY)
    sms = renderers.render("sms", unit=unit, facts={}, options=OPTIONS)
    assert "Зелёная кнопка вызова" not in sms.body and "assets" not in sms.body
    for fmt in ("ssml", "plain"):
        ivr = renderers.render("ivr", unit=unit, facts={}, options=replace(OPTIONS, format=fmt))
        assert "Зелёная кнопка" not in ivr.body and "assets" not in ivr.body
        assert "дождитесь ответа" in ivr.body


def test_the_operator_card_shows_the_image() -> None:
    body = _render("operator").body
    assert f'<img src="{URL}" alt="Зелёная кнопка вызова" width="640" height="480"' in body


def test_a_new_size_is_a_new_cache_entry() -> None:
    small = _render("web", options=RenderOptions(base_url="https://help.example", images={ASSET: (64, 48)}))
    big = _render("web")
    assert 'width="64"' in small.body and 'width="640"' in big.body
