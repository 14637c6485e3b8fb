"""SMS with the announcements of now: the notice is the first line, inside the same segment budget.

The budget is the SMS renderer's own: two UCS-2 parts (67 units each) for a text Istok derives,
three for an editor's sms block. The answer gives way to a shorter form so the notice fits;
only when not even the notice and the link fit is the notice cut after a whole word.
"""

from __future__ import annotations

import kb
from renderers import RenderOptions, measure, render_sms
from tests.renderers.support import unit_of

NOTICE = "Сегодня с 14:00 до 16:00 работы в Риге."
BASE = "https://help.sfera.example"
LINK = f"Подробнее: {BASE}/help/ru/test-article"


def sms(unit: kb.Unit, *notices: str) -> tuple[str, dict[str, object], tuple[str, ...]]:
    out = render_sms(unit=unit, facts={}, locale=unit.locale, options=RenderOptions(base_url=BASE, notices=notices))
    return out.body, out.meta, out.warnings


def test_without_notices_the_text_is_what_it_was() -> None:
    unit = unit_of("Наберите код и нажмите вызов.", summary="Наберите код.")
    body, meta, _ = sms(unit)
    assert body == "Наберите код и нажмите вызов." and meta["source"] == "general" and meta["notices"] == 0


def test_the_notice_comes_first_and_the_general_text_follows_when_both_fit() -> None:
    unit = unit_of("Наберите код и нажмите вызов.", summary="Наберите код.")
    body, meta, warnings = sms(unit, NOTICE)
    assert body == f"{NOTICE}\nНаберите код и нажмите вызов."
    assert meta["source"] == "general" and meta["notices"] == 1 and warnings == ()
    assert meta["segments"] == measure(body).segments <= 2


def test_the_answer_gives_way_to_a_shorter_form_so_the_notice_fits_the_two_parts() -> None:
    general = "Откройте приложение Сферы, выберите «Счёт», затем «Пополнить», введите сумму от пяти евро и подтвердите."
    unit = unit_of(general, summary="Пополните счёт в приложении.")
    _, alone_meta, _ = sms(unit)
    assert alone_meta["source"] == "general"  # on its own the general text fits
    body, meta, _ = sms(unit, NOTICE)
    assert body.startswith(NOTICE + "\n")
    assert measure(body).segments <= 2 and meta["segments"] <= 2  # the renderer's short budget, notice included
    assert meta["source"] == "summary" and body.endswith(LINK)  # the summary and the link instead


def test_an_sms_block_with_the_notice_may_take_the_whole_cap_of_three() -> None:
    block = "Пополнить счёт можно в приложении, на сайте и в любом салоне Сферы; минимум пять евро, без комиссии."
    unit = unit_of(f"Общий текст.\n\n::: sms\n{block}\n:::\n")
    body, meta, warnings = sms(unit, NOTICE)
    assert body == f"{NOTICE}\n{block}"
    assert meta["source"] == "block" and meta["segments"] == 3 and warnings == ()


def test_two_notices_come_first_a_line_each_newest_as_given() -> None:
    unit = unit_of("Наберите код.", summary="Наберите код.")
    body, _, _ = sms(unit, "Авария в Риге.", "Работы в Юрмале.")
    assert body.split("\n")[:3] == ["Авария в Риге.", "Работы в Юрмале.", "Наберите код."]


def test_a_notice_too_long_for_the_budget_is_cut_after_a_word_and_the_link_kept() -> None:
    long_notice = " ".join(["Плановые работы на сети в Риге и Юрмале продлятся до вечера."] * 3)
    unit = unit_of("Наберите код и нажмите вызов.", summary="Наберите код.")
    body, meta, warnings = sms(unit, long_notice)
    first, _, rest = body.partition("\n")
    assert first.endswith("…") and long_notice.startswith(first[:-1]) and rest == LINK
    assert measure(body).segments <= 2 and meta["source"] == "link"
    assert any("announcements were cut" in w for w in warnings)
