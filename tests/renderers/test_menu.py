"""IVR menus: options in, the spoken prompt and the key → target map out."""

from __future__ import annotations

import pytest
from lxml import etree

from renderers import InvalidMenu, MenuOption, render_ivr_menu

SPEAK = '<speak version="1.1" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="{}">'


def test_russian_menu_golden() -> None:
    options = [
        MenuOption("Баланс и платежи", "check-balance"),
        MenuOption("Роуминг", "roaming-prices"),
        MenuOption("Связаться с оператором", "operator", key="0"),
        MenuOption("Повторить", "repeat", key="*"),
    ]
    out = render_ivr_menu(options, locale="ru", intro="Здравствуйте! Это «Сфера».")
    assert out.body == (
        SPEAK.format("ru-RU") + "<p>Здравствуйте! Это «Сфера».</p>"
        '<p>Баланс и платежи — нажмите один.<break time="400ms"/>'
        'Роуминг — нажмите два.<break time="400ms"/>'
        'Связаться с оператором — нажмите ноль.<break time="400ms"/>'
        'Повторить — нажмите звёздочку.<break time="400ms"/></p></speak>'
    )
    assert out.meta["dtmf"] == {"1": "check-balance", "2": "roaming-prices", "0": "operator", "*": "repeat"}
    assert out.meta["options"][0] == {"key": "1", "label": "Баланс и платежи", "target": "check-balance"}
    etree.fromstring(out.body.encode())


def test_english_and_ukrainian_wording_and_plain_form() -> None:
    options = [MenuOption("billing", "b"), MenuOption("roaming", "r", key="#")]
    en = render_ivr_menu(options, locale="en", format="plain")
    assert en.body == "For billing, press one. For roaming, press hash."
    uk = render_ivr_menu(options, locale="uk", format="plain")
    assert uk.body == "billing — натисніть один. roaming — натисніть решітку."
    assert uk.meta["dtmf"] == {"1": "b", "#": "r"}
    assert uk.meta["duration_s"] > 0


def test_labels_are_escaped_in_ssml() -> None:
    out = render_ivr_menu([MenuOption("<b>Tom & Jerry</b>", "t")], locale="en")
    assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in out.body
    etree.fromstring(out.body.encode())


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ([], "a menu needs at least one option"),
        ([MenuOption("a", "a", key="1"), MenuOption("b", "b", key="1")], "key 1 is given to two options"),
        ([MenuOption("a", "a", key="12")], "'12' is not a phone key"),
        ([MenuOption(str(n), str(n)) for n in range(11)], "11 options, but a phone has only 10 number keys"),
    ],
)
def test_menus_a_phone_cannot_offer_are_refused(options: list[MenuOption], message: str) -> None:
    with pytest.raises(InvalidMenu) as err:
        render_ivr_menu(options, locale="ru")
    assert message in err.value.detail
    assert err.value.status == 422
