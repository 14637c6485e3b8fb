"""What the Viber bot says itself (a welcome, a handoff, a button), in each language Istok serves.

Viber has no inline buttons: the alternatives are a keyboard under the text field, so its
sentences point there; the answers themselves come from Istok.
"""

from __future__ import annotations

LANGUAGES = ("ru", "uk", "en")

_PHRASES: dict[str, dict[str, str]] = {
    "ru": {
        "welcome": "Здравствуйте! Напишите свой вопрос, и я найду ответ.",
        "handoff": "Я не нашёл надёжного ответа на этот вопрос и передал его оператору: вам ответят здесь, в Viber.",
        "call": "Можно и позвонить: {phone}, {hours}.",
        "maybe": "Возможно, подойдёт одна из статей на кнопках ниже.",
        "more": "Ещё по теме — на кнопках ниже.",
        "text_only": "Пока я понимаю только текст: напишите вопрос словами.",
        "unavailable": "Сервис ответов сейчас недоступен, попробуйте через минуту.",
    },
    "uk": {
        "welcome": "Вітаємо! Напишіть своє питання, і я знайду відповідь.",
        "handoff": (
            "Я не знайшов надійної відповіді на це питання й передав його операторові: вам відповідять тут, у Viber."
        ),
        "call": "Можна й зателефонувати: {phone}, {hours}.",
        "maybe": "Можливо, підійде одна зі статей на кнопках нижче.",
        "more": "Ще на цю тему — на кнопках нижче.",
        "text_only": "Поки що я розумію лише текст: напишіть питання словами.",
        "unavailable": "Сервіс відповідей зараз недоступний, спробуйте за хвилину.",
    },
    "en": {
        "welcome": "Hello! Type your question and I will find the answer.",
        "handoff": (
            "I found no answer I can vouch for, so I passed your question on: a colleague will reply here in Viber."
        ),
        "call": "You can also call {phone}, {hours}.",
        "maybe": "One of the articles on the buttons below may help.",
        "more": "More on this on the buttons below.",
        "text_only": "For now I understand text only: please type your question.",
        "unavailable": "The answer service is unavailable right now; please try again in a minute.",
    },
}


def language(code: str | None, default: str) -> str:
    """`ru`, `uk` or `en` from Viber's `language` (`uk`, `en-GB`); `default` for anything else."""
    short = (code or "").split("-")[0].split("_")[0].lower()
    return short if short in LANGUAGES else default


def phrase(locale: str, name: str, **values: str) -> str:
    text = _PHRASES[locale if locale in _PHRASES else "en"][name]
    return text.format(**values) if values else text
