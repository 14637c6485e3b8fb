"""Facts formatted per locale; a missing or broken fact is a placeholder and a warning, never a crash."""

from __future__ import annotations

import pytest

import kb
from renderers import FORMATS, RENDERERS, RenderOptions, render
from renderers.facts import FactBook, spoken_digits, spoken_money
from tests.renderers.support import make_fact, unit_of

FACTS = {
    "support_phone": make_fact("support_phone", "phone", "+37167000100"),
    "topup_minimum": make_fact("topup_minimum", "money", "5.00 EUR"),
    "roaming_day_price": make_fact("roaming_day_price", "money", "2.99 EUR"),
    "porting_days": make_fact("porting_days", "number", 3),
    "big_number": make_fact("big_number", "number", "1234.5"),
    "price_list_date": make_fact("price_list_date", "date", "2026-09-01"),
    "website": make_fact("website", "url", "https://sfera.example"),
    "support_hours": make_fact("support_hours", "text", "every day", {"ru": "ежедневно", "uk": "щодня"}),
    "ru_only": kb.FactValue("ru_only", kb.FactType.TEXT, None, {"ru": "только по-русски"}),
}


@pytest.mark.parametrize(
    ("locale", "key", "text", "spoken"),
    [
        ("ru", "topup_minimum", "5,00\u00a0€", "пять евро"),
        ("uk", "topup_minimum", "5,00\u00a0EUR", "п'ять євро"),
        ("en", "topup_minimum", "€5.00", "five euro"),
        ("ru", "roaming_day_price", "2,99\u00a0€", "два евро, девяносто девять центов"),
        ("en", "roaming_day_price", "€2.99", "two euro, ninety-nine cents"),
        ("ru", "porting_days", "3", "три"),
        ("uk", "porting_days", "3", "три"),
        ("ru", "big_number", "1\u00a0234,5", "одна тысяча двести тридцать четыре целых пять десятых"),
        ("en", "big_number", "1,234.5", "one thousand, two hundred and thirty-four point five"),
        ("ru", "price_list_date", "1 сентября 2026", "1 сентября 2026"),
        ("uk", "price_list_date", "1 вересня 2026", "1 вересня 2026"),
        ("en", "price_list_date", "September 1, 2026", "September 1, 2026"),
        ("ru", "support_hours", "ежедневно", "ежедневно"),
        ("en", "support_hours", "every day", "every day"),
        ("en", "support_phone", "+371 67 000 100", "plus three seven one, six seven, zero zero zero, one zero zero"),
        ("uk", "support_phone", "+371 67 000 100", "плюс три сім один, шість сім, нуль нуль нуль, один нуль нуль"),
    ],
)
def test_facts_are_formatted_for_the_locale(locale: str, key: str, text: str, spoken: str) -> None:
    warnings: list[str] = []
    fact = FactBook(FACTS, locale, warnings).get(key)
    assert (fact.text, fact.spoken, fact.missing) == (text, spoken, False)
    assert warnings == []


def test_unknown_fact_is_a_placeholder_and_one_warning() -> None:
    warnings: list[str] = []
    book = FactBook(FACTS, "ru", warnings)
    assert book.get("nope").text == "[nope]"
    assert book.get("nope").missing
    assert warnings == ["fact 'nope' is not defined; shown as [nope]"]


def test_fact_without_a_value_for_the_locale_is_a_placeholder_and_a_warning() -> None:
    warnings: list[str] = []
    assert FactBook(FACTS, "ru", warnings).get("ru_only").text == "только по-русски"
    assert FactBook(FACTS, "en", warnings).get("ru_only").text == "[ru_only]"
    assert warnings == ["fact 'ru_only' has no value for locale 'en'; shown as [ru_only]"]


def test_broken_stored_value_is_a_placeholder_not_a_crash() -> None:
    broken = {"price": kb.FactValue("price", kb.FactType.MONEY, "five euros")}
    warnings: list[str] = []
    assert FactBook(broken, "en", warnings).get("price").text == "[price]"
    assert warnings == ["fact 'price' holds 'five euros', not a valid money; shown as [price]"]


def test_dial_codes_and_money_without_cents_in_words() -> None:
    assert spoken_digits("*100#", "ru") == "звёздочка один ноль ноль решётка"
    assert spoken_digits("*100#", "en") == "star one zero zero hash"
    from decimal import Decimal

    assert spoken_money(Decimal("10.00"), "EUR", "uk") == "десять євро"
    assert spoken_money(Decimal("1.01"), "EUR", "en") == "one euro, one cent"


@pytest.mark.parametrize("channel", sorted(RENDERERS))
def test_every_channel_shows_the_gap_and_warns_instead_of_failing(channel: str) -> None:
    unit = unit_of(
        "Звоните {{ support_phone }}; {{ ru_only }}; {{ nope }}.\n\n"
        "::: sms\nЗвоните {{ support_phone }}; {{ ru_only }}; {{ nope }}.\n:::\n"
        "::: ivr\nЗвоните {{ support_phone }}; {{ ru_only }}; {{ nope }}.\n:::\n"
        "::: bot\nЗвоните {{ support_phone }}; {{ ru_only }}; {{ nope }}.\n:::\n",
        locale="uk",
        title="Пропуски",
        summary="Звоните {{ nope }}.",
    )
    for fmt in FORMATS[channel]:
        out = render(channel, unit=unit, facts=FACTS, options=RenderOptions(format=fmt))
        shown = out.body.replace("\\", "") + str(out.meta)  # Markdown escapes the brackets
        assert "[nope]" in shown, (channel, fmt)
        assert any("'nope' is not defined" in w for w in out.warnings), (channel, fmt)
        assert any("'ru_only' has no value for locale 'uk'" in w for w in out.warnings)
