"""SMS: source in, the exact text a phone shows out, with its encoding and segments."""

from __future__ import annotations

import re

import kb
from renderers import RenderOptions, render_sms
from tests.renderers.support import make_fact, unit_of

FACTS = {
    "support_phone": make_fact("support_phone", "phone", "+37167000100"),
    "topup_minimum": make_fact("topup_minimum", "money", "5.00 EUR"),
    "website": make_fact("website", "url", "https://sfera.example"),
}
SLUGS = {"top-up": "kak-popolnit-schet"}


def sms(unit: kb.Unit, **options: object) -> tuple[str, dict[str, object], tuple[str, ...]]:
    out = render_sms(
        unit=unit,
        facts=FACTS,
        locale=unit.locale,
        options=RenderOptions(articles=SLUGS, **options),  # type: ignore[arg-type]
    )
    assert out.media_type == "text/plain; charset=utf-8"
    return out.body, out.meta, out.warnings


def test_sms_block_wins_and_facts_are_plain() -> None:
    unit = unit_of(
        "Общий текст, который в SMS не попадает.\n\n"
        "::: sms\nПоддержка: {{ support_phone }}. Минимум {{ topup_minimum }}.\n:::\n",
        summary="Кратко.",
    )
    body, meta, warnings = sms(unit)
    assert body == "Поддержка: +371 67 000 100. Минимум 5,00\u00a0€."
    assert meta["encoding"] == "ucs2"
    assert meta["segments"] == 1
    assert meta["source"] == "block"
    assert warnings == ()


def test_english_typography_is_folded_to_stay_gsm7() -> None:
    unit = unit_of(
        "::: sms\nSupport — “any time”: {{ support_phone }}, min {{ topup_minimum }}.\n:::",
        locale="en",
        title="Support",
    )
    body, meta, _ = sms(unit)
    assert body == 'Support - "any time": +371 67 000 100, min €5.00.'
    assert (meta["encoding"], meta["segments"], meta["length"]) == ("gsm7", 1, 50)


def test_no_markdown_syntax_reaches_the_phone() -> None:
    unit = unit_of(
        "::: sms\n**Важно:** [пополните счёт](kb:top-up), *сразу*.\n\n- первый пункт\n- второй пункт\n:::",
    )
    body, _, warnings = sms(unit)
    assert body == "Важно: пополните счёт (/help/ru/kak-popolnit-schet), сразу.\nпервый пункт\nвторой пункт"
    assert not re.search(r"\*\*|__|\]\(|^#|^- ", body, re.M)
    assert warnings == ()


def test_long_general_text_gives_way_to_summary_and_link_without_warning() -> None:
    long_text = "\n\n".join(f"Абзац номер {n} с достаточно длинным текстом." for n in range(20))
    unit = unit_of(long_text, summary="Коротко: пополните счёт.", slug="test-slug")
    body, meta, warnings = sms(unit, base_url="https://help.example")
    assert body == "Коротко: пополните счёт.\nПодробнее: https://help.example/help/ru/test-slug"
    assert meta["source"] == "summary"
    assert warnings == ()


def test_short_general_text_is_sent_as_it_is() -> None:
    unit = unit_of("Позвоните {{ support_phone }}.", summary="Кратко.")
    body, meta, _ = sms(unit)
    assert (body, meta["source"]) == ("Позвоните +371 67 000 100.", "general")


def test_sms_block_over_the_cap_is_an_editors_warning() -> None:
    unit = unit_of("::: sms\n" + "Очень длинное сообщение. " * 12 + "\n:::", summary="Кратко.")
    body, meta, warnings = sms(unit)
    assert body == "Кратко.\nПодробнее: /help/ru/test-article"
    assert meta["source"] == "summary"
    assert warnings == (
        "the sms text from the block takes 5 segments (ucs2), over the cap of 3; sending a shorter form",
    )


def test_cap_is_an_option() -> None:
    unit = unit_of("::: sms\n" + "Ж" * 100 + "\n:::", summary="Кратко.")
    assert sms(unit)[1]["segments"] == 2
    body, meta, warnings = sms(unit, sms_max_segments=1)
    assert (body, meta["segments"], len(warnings)) == ("Кратко.\nПодробнее: /help/ru/test-article", 1, 1)


def test_over_long_summary_falls_back_to_title_and_link_whole() -> None:
    unit = unit_of("Длинный текст. " * 30, summary="Очень длинное резюме. " * 20, title="Как пополнить")
    body, meta, warnings = sms(unit)
    assert body == "Как пополнить\nПодробнее: /help/ru/test-article"
    assert meta["source"] == "title"
    assert len(warnings) == 1 and "from the summary" in warnings[0]
