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


def test_over_long_summary_keeps_its_first_whole_sentences() -> None:
    unit = unit_of("Длинный текст. " * 30, summary="Очень длинное резюме. " * 20, title="Как пополнить")
    body, meta, warnings = sms(unit)
    assert body == "Очень длинное резюме. " * 3 + "Очень длинное резюме.\nПодробнее: /help/ru/test-article"
    assert (meta["source"], meta["segments"], meta["encoding"]) == ("summary", 2, "ucs2")
    assert warnings == ()


# ---- the short form: summary, key step, link, in two parts ---------------------------

STEPS = "Общий текст статьи. " * 12 + "\n\n1. Откройте приложение.\n2. Нажмите «Пополнить».\n3. Подтвердите."


def test_without_an_sms_block_the_short_form_is_summary_key_step_and_link() -> None:
    unit = unit_of(STEPS, summary="Пополните картой в приложении.", slug="top")
    body, meta, warnings = sms(unit, base_url="https://help.example")
    assert body == "Пополните картой в приложении.\nОткройте приложение.\nПодробнее: https://help.example/help/ru/top"
    assert (meta["source"], meta["segments"], meta["max_segments"], meta["short_segments"]) == ("summary", 2, 3, 2)
    assert warnings == ()


def test_the_key_step_is_dropped_before_the_summary_is_touched() -> None:
    unit = unit_of(STEPS.replace("Откройте приложение.", "Откройте приложение " * 8), summary="Пополните картой.")
    body, meta, _ = sms(unit, base_url="https://help.example")
    assert body == "Пополните картой.\nПодробнее: https://help.example/help/ru/test-article"
    assert meta["segments"] == 1


def test_long_cyrillic_summary_is_cut_after_a_whole_word_with_an_ellipsis_and_the_link_kept() -> None:
    summary = (
        "Быстрее всего пополнить счёт банковской картой в приложении «Сфера» или на сайте, "
        "деньги приходят сразу, а минимальная сумма пополнения составляет пять евро"
    )
    unit = unit_of(STEPS, summary=summary, slug="kak-popolnit-schet")
    body, meta, warnings = sms(unit, base_url="https://help.example")
    text, link = body.split("\n")
    assert link == "Подробнее: https://help.example/help/ru/kak-popolnit-schet"
    assert text.endswith("…") and not text.endswith(" …") and not text.endswith(",…")
    kept = text[:-1].split(" ")
    assert kept == summary.split(" ")[: len(kept)]  # whole words of the summary, in order, none cut
    assert len(kept) >= 5
    assert (meta["source"], meta["encoding"], meta["segments"]) == ("shortened", "ucs2", 2)
    assert meta["length"] <= 2 * 67
    assert warnings == (
        "the sms summary does not fit 2 segments with the link; sending the summary cut after a whole word "
        "(an ::: sms block would choose the words)",
    )


def test_a_long_link_is_never_cut_the_summary_gives_way_to_the_title() -> None:
    slug = "a-very-long-slug-" * 4 + "end"
    unit = unit_of(STEPS, summary="Пополните картой в приложении, деньги придут сразу.", slug=slug, title="Баланс")
    body, meta, _ = sms(unit, base_url="https://help.example")
    assert body.endswith(f"https://help.example/help/ru/{slug}")
    assert meta["segments"] <= 2


def test_an_sms_block_may_use_the_whole_cap_of_three() -> None:
    block = "Ж" * 190  # 3 UCS-2 parts: the editor's words are sent as written
    body, meta, warnings = sms(unit_of(f"::: sms\n{block}\n:::", summary="Кратко."))
    assert (body, meta["source"], meta["segments"], warnings) == (block, "block", 3, ())


def test_general_text_over_two_parts_gives_way_to_the_short_form() -> None:
    general = "Ж" * 150  # 3 parts: fits the cap, but not the two a derived text may take
    body, meta, warnings = sms(unit_of(general, summary="Кратко."))
    assert (body, meta["source"], meta["segments"], warnings) == (
        "Кратко.\nПодробнее: /help/ru/test-article",
        "summary",
        1,
        (),
    )


def test_english_short_form_counts_gsm7_parts_of_153() -> None:
    summary = "Top up by card in the Sfera app, the money arrives at once. The minimum is five euros."
    unit = unit_of("Long text. " * 40, summary=summary, locale="en", title="Top up", slug="top-up")
    body, meta, _ = sms(unit, base_url="https://help.example")
    assert body == f"{summary}\nRead more: https://help.example/help/en/top-up"
    assert (meta["encoding"], meta["segments"], meta["per_segment"]) == ("gsm7", 1, 160)
    longer = unit_of("Long text. " * 40, summary=summary + " " + "More words here. " * 6, locale="en", slug="top-up")
    _, meta, _ = sms(longer, base_url="https://help.example")
    assert (meta["encoding"], meta["segments"], meta["per_segment"]) == ("gsm7", 2, 153)
