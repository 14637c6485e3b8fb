"""The few sentences an adapter says itself (a handoff, a button), in each language Istok serves.

The answers come from Istok; only what frames them in a conversation lives here.
"""

from __future__ import annotations

LANGUAGES = ("ru", "uk", "en")

_PHRASES: dict[str, dict[str, str]] = {
    "ru": {
        "sms_handoff": "Я не нашёл надёжного ответа и передал вопрос оператору: вам перезвонят.",
        "helped": "👍 Помогло",
        "not_helped": "👎 Не помогло",
        "thanks": "Спасибо за оценку!",
        "handoff": "Я не нашёл надёжного ответа на этот вопрос и передал его оператору: вам ответят здесь.",
        "call": "Можно и позвонить: {phone}, {hours}.",
        "share_phone": "Поделиться номером телефона",
        "share_why": "Если поделитесь номером, оператор увидит ваши обращения и сможет перезвонить.",
        "maybe": "Возможно, подойдёт одно из этих:",
        "phone_linked": "Спасибо, номер сохранён: теперь мы узнаем вас и по телефону.",
        "phone_not_own": "Поделиться можно только своим номером: нажмите кнопку под полем ввода.",
        "welcome": "Здравствуйте! Напишите свой вопрос, и я найду ответ.",
        "text_only": "Пока я понимаю только текст: напишите вопрос словами.",
        "unavailable": "Сервис ответов сейчас недоступен, попробуйте через минуту.",
    },
    "uk": {
        "sms_handoff": "Я не знайшов надійної відповіді й передав питання операторові: вам зателефонують.",
        "helped": "👍 Допомогло",
        "not_helped": "👎 Не допомогло",
        "thanks": "Дякуємо за оцінку!",
        "handoff": "Я не знайшов надійної відповіді на це питання й передав його операторові: вам відповідять тут.",
        "call": "Можна й зателефонувати: {phone}, {hours}.",
        "share_phone": "Поділитися номером телефону",
        "share_why": "Якщо поділитеся номером, оператор побачить ваші звернення й зможе передзвонити.",
        "maybe": "Можливо, підійде одне з цих:",
        "phone_linked": "Дякуємо, номер збережено: тепер ми впізнаємо вас і телефоном.",
        "phone_not_own": "Поділитися можна лише своїм номером: натисніть кнопку під полем введення.",
        "welcome": "Вітаємо! Напишіть своє питання, і я знайду відповідь.",
        "text_only": "Поки що я розумію лише текст: напишіть питання словами.",
        "unavailable": "Сервіс відповідей зараз недоступний, спробуйте за хвилину.",
    },
    "en": {
        "sms_handoff": "I found no answer I can vouch for and passed your question on: a colleague will call you.",
        "helped": "👍 Helped",
        "not_helped": "👎 Didn't help",
        "thanks": "Thank you for the rating!",
        "handoff": "I found no answer I can vouch for, so I passed your question to a colleague: they will reply here.",
        "call": "You can also call {phone}, {hours}.",
        "share_phone": "Share my phone number",
        "share_why": "Share your number and an operator will see your earlier contacts and can call you back.",
        "maybe": "One of these may help:",
        "phone_linked": "Thank you, your number is saved: we will know you when you call.",
        "phone_not_own": "Only your own number can be shared: use the button below the text field.",
        "welcome": "Hello! Type your question and I will find the answer.",
        "text_only": "For now I understand text only: please type your question.",
        "unavailable": "The answer service is unavailable right now; please try again in a minute.",
    },
}


def language(locale: str | None) -> str:
    """`ru`, `uk` or `en` from a locale or a messenger's language code (`uk-UA`, `en-GB`); English otherwise."""
    code = (locale or "").split("-")[0].split("_")[0].lower()
    return code if code in LANGUAGES else "en"


def phrase(locale: str | None, name: str, **values: str) -> str:
    text = _PHRASES[language(locale)][name]
    return text.format(**values) if values else text
