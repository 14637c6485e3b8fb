"""The help page: source in, the exact sanitised HTML fragment and JSON-LD out."""

from __future__ import annotations

import json

from renderers import RenderOptions, render_web
from tests.renderers.support import make_fact, unit_of

FACTS = {
    "support_phone": make_fact("support_phone", "phone", "+37167000100"),
    "topup_minimum": make_fact("topup_minimum", "money", "5.00 EUR"),
    "website": make_fact("website", "url", "https://sfera.example"),
    "price_list_date": make_fact("price_list_date", "date", "2026-09-01"),
}
OPTIONS = RenderOptions(base_url="https://help.example", articles={"top-up": "kak-popolnit-schet"})

SOURCE = """
Позвоните {{ support_phone }}, минимум **{{ topup_minimum }}**.

## Как пополнить

1. Откройте {{ website }}.
2. Прочтите [как пополнить](kb:top-up#kartoi) и [внешнее](https://example.org/a?b=1&c=2).

| Способ | Цена |
|---|:-:|
| Карта | {{ topup_minimum }} |

> Цены от {{ price_list_date }}. <script>alert(1)</script>

::: internal
Секрет для операторов.
:::
"""

EXPECTED = (
    '<p>Позвоните <a href="tel:+37167000100">+371 67 000 100</a>, минимум '
    "<strong>5,00&nbsp;€</strong>.</p>\n"
    '<h2 id="как-пополнить">Как пополнить</h2>\n'
    '<ol><li>Откройте <a href="https://sfera.example">https://sfera.example</a>.</li>'
    '<li>Прочтите <a href="https://help.example/help/ru/kak-popolnit-schet#kartoi">как пополнить</a> '
    'и <a href="https://example.org/a?b=1&amp;c=2">внешнее</a>.</li></ol>\n'
    "<table><thead><tr><th>Способ</th>"
    '<th style="text-align:center">Цена</th></tr></thead>'
    '<tbody><tr><td>Карта</td><td style="text-align:center">5,00&nbsp;€</td></tr></tbody></table>\n'
    "<blockquote><p>Цены от 1 сентября 2026. &lt;script&gt;alert(1)&lt;/script&gt;</p></blockquote>"
)


def test_web_fragment_golden() -> None:
    unit = unit_of(SOURCE, summary="Пополните на {{ topup_minimum }}.", slug="test-slug")
    out = render_web(unit=unit, facts=FACTS, locale="ru", options=OPTIONS)
    assert out.body == EXPECTED
    assert out.media_type == "text/html; charset=utf-8"
    assert out.warnings == ()
    assert out.meta["url"] == "https://help.example/help/ru/test-slug"
    assert out.meta["headings"] == [{"level": 2, "anchor": "как-пополнить", "text": "Как пополнить"}]


def test_json_ld_is_a_faq_page_with_the_summary_as_answer() -> None:
    unit = unit_of("Текст.", summary="Пополните на {{ topup_minimum }}.", title="Как пополнить?")
    jsonld = render_web(unit=unit, facts=FACTS, locale="ru", options=OPTIONS).meta["jsonld"]
    assert jsonld == {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "inLanguage": "ru",
        "url": "https://help.example/help/ru/test-article",
        "mainEntity": [
            {
                "@type": "Question",
                "name": "Как пополнить?",
                "acceptedAnswer": {"@type": "Answer", "text": "Пополните на 5,00\u00a0€."},
            }
        ],
    }
    json.dumps(jsonld)  # ready for a <script type="application/ld+json">


def test_json_ld_without_summary_is_an_article() -> None:
    unit = unit_of("Первый абзац.\n\nВторой.", title="Тема", tags=["a", "b"])
    jsonld = render_web(unit=unit, facts=FACTS, locale="ru", options=OPTIONS).meta["jsonld"]
    assert jsonld["@type"] == "Article"
    assert (jsonld["headline"], jsonld["description"], jsonld["keywords"]) == ("Тема", "Первый абзац.", "a, b")


def test_web_block_wins_over_general_text() -> None:
    unit = unit_of("Общий текст.\n\n::: web\nТолько для сайта.\n:::")
    out = render_web(unit=unit, facts=FACTS, locale="ru", options=OPTIONS)
    assert out.body == "<p>Только для сайта.</p>"
    assert out.meta["source"] == "block"


def test_unknown_article_link_is_text_and_a_warning() -> None:
    unit = unit_of("См. [другую статью](kb:no-such-article).")
    out = render_web(unit=unit, facts=FACTS, locale="ru", options=OPTIONS)
    assert out.body == "<p>См. другую статью.</p>"
    assert out.warnings == ("link to unknown article 'no-such-article' in locale 'ru'; shown as text",)


def test_dangerous_links_never_become_links() -> None:
    unit = unit_of("[нажми](javascript:alert(1)) и ![x](javascript:alert(2))")
    out = render_web(unit=unit, facts=FACTS, locale="ru", options=OPTIONS)
    assert "javascript" not in out.body
    assert out.body == "<p>нажми и x</p>"  # an image from no safe address is its alt text
    assert any("scheme 'javascript'" in w for w in out.warnings)


def test_link_to_itself_needs_no_articles_map() -> None:
    unit = unit_of("[наверх](kb:test-article#top)", slug="self")
    out = render_web(unit=unit, facts=FACTS, locale="ru", options=RenderOptions())
    assert out.body == '<p><a href="/help/ru/self#top">наверх</a></p>'
    assert out.warnings == ()


def test_link_without_address_is_text_and_a_warning() -> None:
    unit = unit_of("Откройте [сайт]().")  # an empty target
    out = render_web(unit=unit, facts=FACTS, locale="ru", options=OPTIONS)
    assert out.body == "<p>Откройте сайт.</p>"
    assert out.warnings == ("link 'сайт' has no address; shown as text",)
