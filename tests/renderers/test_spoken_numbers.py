"""Numbers in running text on the phone: the sentence an editor writes in, the words a caller hears out.

Each case goes through the real IVR renderer; the plain twin must be exactly the spoken
sentence and the SSML must say the same words. Dial codes, phone numbers and names
like "4G" are spoken as before.
"""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import pytest
from lxml import etree

from renderers import RenderOptions, render_ivr
from renderers.numerals import spoken_numbers
from tests.renderers.support import make_fact, unit_of

CASES = [
    # ---- Russian: the case a preposition governs, the noun agreeing with the number
    ("ru", "Поддержка работает с 8:00 до 22:00.", "Поддержка работает с восьми до двадцати двух."),
    ("ru", "Работаем ежедневно 8:00–22:00.", "Работаем ежедневно с восьми до двадцати двух."),
    ("ru", "Приходите в 10:30.", "Приходите в десять тридцать."),
    ("ru", "Деньги вернутся за 3 суток.", "Деньги вернутся за трое суток."),
    ("ru", "Номер перенесут через 2 дня.", "Номер перенесут через два дня."),
    ("ru", "Это займёт 5 минут.", "Это займёт пять минут."),
    ("ru", "Пакет действует 1 день.", "Пакет действует один день."),
    ("ru", "Пакет действует 21 день.", "Пакет действует двадцать один день."),
    ("ru", "Перевод идёт за 3 дня.", "Перевод идёт за три дня."),
    ("ru", "Ответим в течение 3 дней.", "Ответим в течение трёх дней."),
    ("ru", "Осталась 1 минута, а потом 22 минуты.", "Осталась одна минута, а потом двадцать две минуты."),
    ("ru", "Пакет до 10 ГБ.", "Пакет до десяти гигабайт."),
    ("ru", "Оплатите до 01.12.2026.", "Оплатите до первого декабря две тысячи двадцать шестого года."),
    ("ru", "Тариф меняется с 1 декабря.", "Тариф меняется с первого декабря."),
    ("ru", "Новые цены действуют в 2026 году.", "Новые цены действуют в две тысячи двадцать шестом году."),
    ("ru", "Абонентская плата 100 ₽ в месяц.", "Абонентская плата сто рублей в месяц."),
    ("ru", "Пополните счёт от 50 руб. в месяц.", "Пополните счёт от пятидесяти рублей в месяц."),
    ("ru", "Доплата $5 или 5 EUR.", "Доплата пять долларов или пять евро."),
    ("ru", "Офис открыт 9–18.", "Офис открыт от девяти до восемнадцати."),
    ("ru", "Звоните с 9 до 18.", "Звоните с девяти до восемнадцати."),
    ("ru", "Деньги придут за 3–5 рабочих дней.", "Деньги придут за три-пять рабочих дней."),
    ("ru", "Ответ придёт за 2 рабочих дня.", "Ответ придёт за два рабочих дня."),
    ("ru", "На 2-м шаге введите код.", "На втором шаге введите код."),
    ("ru", "Комиссия 5%.", "Комиссия пять процентов."),
    ("ru", "Готово. 5 минут — и всё.", "Готово. Пять минут — и всё."),
    # ---- Ukrainian: hours are feminine ordinals (година), «дві гривні», the -ому locative
    ("uk", "Працюємо з 8:00 до 22:00.", "Працюємо з восьмої до двадцять другої."),
    ("uk", "Відчиняємось о 9:30.", "Відчиняємось о дев'ятій тридцять."),
    ("uk", "Послуга коштує 2 гривні.", "Послуга коштує дві гривні."),
    ("uk", "Мінімум 50 грн на місяць.", "Мінімум п'ятдесят гривень на місяць."),
    ("uk", "Оплата від 100 ₴.", "Оплата від ста гривень."),
    ("uk", "Кошти повернуться за 3 доби.", "Кошти повернуться за три доби."),
    ("uk", "Номер перенесуть через 2 дні.", "Номер перенесуть через два дні."),
    ("uk", "Це триває 5 хвилин.", "Це триває п'ять хвилин."),
    ("uk", "Пакет діє 1 день, а не 21 день.", "Пакет діє один день, а не двадцять один день."),
    ("uk", "Ціни зміняться у 2026 році.", "Ціни зміняться у дві тисячі двадцять шостому році."),
    ("uk", "Сплатіть до 01.12.2026.", "Сплатіть до першого грудня дві тисячі двадцять шостого року."),
    ("uk", "Тариф діє з 1 грудня.", "Тариф діє з першого грудня."),
    ("uk", "Пакет до 10 ГБ.", "Пакет до десяти гігабайтів."),
    ("uk", "Лінія працює 8–22.", "Лінія працює від восьми до двадцяти двох."),
    # ---- English: the 12-hour clock, years in pairs, dates month first
    ("en", "We answer from 8:00 to 22:00.", "We answer from eight a.m. to ten p.m."),
    ("en", "Lunch is at 12:00, the shop closes at 0:00.", "Lunch is at noon, the shop closes at midnight."),
    ("en", "Top up $5 or 5 EUR.", "Top up five dollars or five euro."),
    ("en", "Prices change in 2026.", "Prices change in twenty twenty-six."),
    ("en", "The pass lasts 1 day.", "The pass lasts one day."),
    ("en", "Open 9-5 on weekdays.", "Open nine to five on weekdays."),
    ("en", "A bank transfer takes 1–3 working days.", "A bank transfer takes one to three working days."),
    ("en", "On the 2nd step, enter the code.", "On the second step, enter the code."),
    ("en", "Pay by 01.12.2026.", "Pay by December first, twenty twenty-six."),
    ("en", "The plan renews on December 1.", "The plan renews on December first."),
    ("en", "Terminal: up to 15 min, fee 5%.", "Terminal: up to fifteen minutes, fee five percent."),
    ("en", "We serve 10,000 customers.", "We serve ten thousand customers."),
]

UNCHANGED = [
    ("ru", "Наберите *100# и нажмите вызов.", "Наберите звёздочка один ноль ноль решётка и нажмите вызов."),
    ("ru", "Карта покрытия 4G и 5G.", "Карта покрытия 4G и 5G."),
    ("ru", "Наш номер +371 67 000 100.", "Наш номер +371 67 000 100."),
    ("uk", "Наберіть *100#, щоб дізнатися баланс.", "Наберіть зірочка один нуль нуль решітка, щоб дізнатися баланс."),
    ("en", "Dial *100# to check.", "Dial star one zero zero hash to check."),
    ("en", "Choose 5G/4G/3G/2G (auto).", "Choose 5G/4G/3G/2G (auto)."),
]


def _render(source: str, locale: str, fmt: str) -> str:
    unit = unit_of(source, locale=locale, title="t")
    return render_ivr(unit=unit, facts={}, locale=locale, options=RenderOptions(format=fmt)).body


def _ssml_words(ssml: str) -> str:
    return " ".join("".join(etree.fromstring(ssml.encode()).itertext()).split())


@pytest.mark.parametrize(("locale", "source", "spoken"), CASES + UNCHANGED, ids=lambda v: str(v)[:40])
def test_the_plain_twin_speaks_numbers_as_a_person_does(locale: str, source: str, spoken: str) -> None:
    assert _render(source, locale, "plain") == spoken


@pytest.mark.parametrize(("locale", "source", "spoken"), CASES + UNCHANGED, ids=lambda v: str(v)[:40])
def test_the_ssml_says_the_same_words(locale: str, source: str, spoken: str) -> None:
    assert _ssml_words(_render(source, locale, "ssml")) == spoken


def test_a_code_span_dial_code_is_still_read_digit_by_digit() -> None:
    assert _render("Наберите `*100#` за 2 минуты.", "ru", "plain") == (
        "Наберите звёздочка один ноль ноль решётка за две минуты."
    )


def test_a_numbered_heading_is_counted_with_ordinals() -> None:
    body = "## 1. Закончился пакет\n\nДокупите 5 ГБ.\n\n## 2. Слабое покрытие\n\nВыйдите на улицу."
    assert _render(body, "ru", "plain") == (
        "Первое. Закончился пакет.\nДокупите пять гигабайт.\nВторое. Слабое покрытие.\nВыйдите на улицу."
    )


def test_other_languages_keep_their_digits() -> None:
    assert spoken_numbers("no 8:00 līdz 22:00", "lv") == "no 8:00 līdz 22:00"


def test_espeak_speaks_the_numbers_of_a_sample(espeak: str, tmp_path: Path) -> None:
    path = espeak
    ssml = _render("Работаем с 8:00 до 22:00, деньги вернутся за 3 суток, 100 ₽.", "ru", "ssml")
    wav = tmp_path / "numbers.wav"
    done = subprocess.run(
        [path, "-m", "-v", "ru", "-w", str(wav), "--stdin"], input=ssml.encode(), capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    with wave.open(str(wav)) as audio:
        assert audio.getnframes() / audio.getframerate() > 2.0
    phonemes = subprocess.run(
        [path, "-m", "-q", "-x", "-v", "ru", "--stdin"], input=ssml.encode(), capture_output=True, check=True
    ).stdout.decode()
    said = subprocess.run(
        [path, "-q", "-x", "-v", "ru", "с восьми до двадцати двух"], capture_output=True, check=True
    ).stdout.decode()
    assert said.split()[1] in phonemes.split()  # «восьми» is heard, not «восемь ноль ноль»


@pytest.mark.parametrize(
    ("source", "spoken"),
    [
        ("Вернуть нужно за {{ days }} суток.", "Вернуть нужно за трое суток."),
        ("Вернуть нужно в течение **{{ days }} суток**.", "Вернуть нужно в течение трёх суток."),
        ("Срок: {{ days }} дня.", "Срок: три дня."),
    ],
)
def test_a_number_fact_agrees_with_the_words_around_it(source: str, spoken: str) -> None:
    """A fact is a number; the noun and the preposition around it are the editor's words."""
    facts = {"days": make_fact("days", "number", 3)}
    unit = unit_of(source, locale="ru", title="t")
    out = render_ivr(unit=unit, facts=facts, locale="ru", options=RenderOptions(format="plain"))
    assert out.body == spoken


def test_a_fact_ending_in_p_m_and_the_sentences_full_stop_make_one_stop() -> None:
    facts = {"hours": make_fact("hours", "text", "every day from 8:00 to 22:00")}
    unit = unit_of("We answer {{ hours }}. Then the bot.", locale="en", title="t")
    out = render_ivr(unit=unit, facts=facts, locale="en", options=RenderOptions(format="plain"))
    assert out.body == "We answer every day from eight a.m. to ten p.m. Then the bot."
