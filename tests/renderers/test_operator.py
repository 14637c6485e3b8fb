"""The operator's card: staff-only notes marked, facts, version, and the public channels' replies."""

from __future__ import annotations

import json

from renderers import RenderOptions, render_bot, render_email, render_operator, render_sms
from tests.renderers.support import make_fact, unit_of

FACTS = {"support_phone": make_fact("support_phone", "phone", "+37167000100", version=4)}
OPTIONS = RenderOptions(revision=7, base_url="https://help.example")
SOURCE = """
Звоните {{ support_phone }}.

::: internal
Проверьте договор в CRM.
:::

::: operator
Скажите: «Я помогу».
:::

::: sms
SMS: {{ support_phone }}.
:::
"""


def test_html_card_golden() -> None:
    unit = unit_of(SOURCE, title="Связь", summary="Позвоните.", slug="s")
    out = render_operator(unit=unit, facts=FACTS, locale="ru", options=OPTIONS)
    h = unit.content_hash[:12]
    assert out.body == (
        '<article class="istok-card" lang="ru"><h1>Связь</h1>'
        f'<p class="istok-card-version">Ревизия 7 · Хеш <code>{h}</code></p>'
        '<section class="istok-summary"><h2>Кратко</h2><p>Позвоните.</p></section>'
        '<section class="istok-answer"><h2>Ответ</h2>'
        '<p>Звоните <a href="tel:+37167000100">+371 67 000 100</a>.</p>\n'
        '<section class="istok-internal" data-channel="internal">'
        '<p class="istok-internal-label">Только для сотрудников</p><p>Проверьте договор в CRM.</p></section>\n'
        '<section class="istok-internal" data-channel="operator">'
        '<p class="istok-internal-label">Сценарий оператора</p><p>Скажите: «Я помогу».</p></section>'
        "</section>"
        '<section class="istok-facts"><h2>Факты</h2><table><tbody>'
        "<tr><th>support_phone</th><td>+371 67 000 100</td><td>+37167000100</td><td>4</td></tr>"
        "</tbody></table></section>"
        '<section class="istok-replies"><h2>Готовые ответы</h2>'
        '<h3>Чат</h3><pre class="istok-reply" data-channel="bot">Позвоните.\n\n'
        "Подробнее: https://help.example/help/ru/s</pre>"
        '<h3>SMS (1 × gsm7)</h3><pre class="istok-reply" data-channel="sms">SMS: +371 67 000 100.</pre>'
        '<h3>Письмо</h3><pre class="istok-reply" data-channel="email">Связь\n\n'
        "Звоните +371 67 000 100.\n\nПолный ответ: https://help.example/help/ru/s\n</pre>"
        "</section></article>"
    )
    assert out.meta["revision"] == 7
    assert out.meta["internal_blocks"] == 2
    assert out.warnings == ()


def test_json_card_carries_the_same_data() -> None:
    unit = unit_of(SOURCE, title="Связь", summary="Позвоните.")
    out = render_operator(unit=unit, facts=FACTS, locale="ru", options=RenderOptions(format="json"))
    card = json.loads(out.body)
    assert out.media_type == "application/json"
    assert card["revision"] is None
    assert card["content_hash"] == unit.content_hash
    assert [(b["channel"], b["text"]) for b in card["internal"]] == [
        ("internal", "Проверьте договор в CRM."),
        ("operator", "Скажите: «Я помогу»."),
    ]
    assert card["facts"] == [
        {
            "key": "support_phone",
            "type": "phone",
            "value": "+371 67 000 100",
            "raw": "+37167000100",
            "version": 4,
            "missing": False,
        }
    ]


def test_ready_replies_are_exactly_what_the_public_channels_send() -> None:
    unit = unit_of(SOURCE, title="Связь", summary="Позвоните.")
    card = render_operator(unit=unit, facts=FACTS, locale="ru", options=OPTIONS).meta
    plain = RenderOptions(format="plain", revision=7, base_url="https://help.example")
    assert card["replies"]["chat"] == render_bot(unit=unit, facts=FACTS, locale="ru", options=plain).body
    sms = render_sms(unit=unit, facts=FACTS, locale="ru", options=OPTIONS)
    assert card["replies"]["sms"] == {"text": sms.body, "segments": 1, "encoding": "gsm7"}
    mail = render_email(unit=unit, facts=FACTS, locale="ru", options=OPTIONS)
    assert card["replies"]["email"] == {"subject": "Связь", "text": mail.meta["text"]}
    assert "CRM" not in json.dumps(card["replies"], ensure_ascii=False)
