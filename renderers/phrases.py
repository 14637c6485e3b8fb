"""The few words renderers add themselves ("Read more", "press 1"), in each supported locale.

Everything else a client reads or hears comes from the article; these are the
frame around it. A locale without its own wording gets English.
"""

from __future__ import annotations

from kb import Locale

_PHRASES: dict[str, dict[str, str]] = {
    "ru": {
        "more": "Подробнее",
        "full_answer": "Полный ответ",
        "website": "на нашем сайте",
        "website_after_preposition": "нашем сайте",
        "step": "Шаг {ordinal}.",
        "menu_option": "{label} — нажмите {key}.",
        "star_key": "звёздочку",
        "hash_key": "решётку",
        "internal": "Только для сотрудников",
        "operator_block": "Сценарий оператора",
        "channel_block": "Текст для канала «{channel}»",
        "summary": "Кратко",
        "answer": "Ответ",
        "facts": "Факты",
        "replies": "Готовые ответы",
        "chat": "Чат",
        "sms": "SMS",
        "email": "Письмо",
        "revision": "Ревизия",
        "content_hash": "Хеш",
        "draft": "черновик",
    },
    "uk": {
        "more": "Детальніше",
        "full_answer": "Повна відповідь",
        "website": "на нашому сайті",
        "website_after_preposition": "нашому сайті",
        "step": "Крок {ordinal}.",
        "menu_option": "{label} — натисніть {key}.",
        "star_key": "зірочку",
        "hash_key": "решітку",
        "internal": "Лише для працівників",
        "operator_block": "Сценарій оператора",
        "channel_block": "Текст для каналу «{channel}»",
        "summary": "Коротко",
        "answer": "Відповідь",
        "facts": "Факти",
        "replies": "Готові відповіді",
        "chat": "Чат",
        "sms": "SMS",
        "email": "Лист",
        "revision": "Ревізія",
        "content_hash": "Хеш",
        "draft": "чернетка",
    },
    "en": {
        "more": "Read more",
        "full_answer": "Full answer",
        "website": "on our website",
        "website_after_preposition": "our website",
        "step": "Step {ordinal}.",
        "menu_option": "For {label}, press {key}.",
        "star_key": "star",
        "hash_key": "hash",
        "internal": "Staff only",
        "operator_block": "Operator script",
        "channel_block": "Wording for the {channel} channel",
        "summary": "In short",
        "answer": "Answer",
        "facts": "Facts",
        "replies": "Ready replies",
        "chat": "Chat",
        "sms": "SMS",
        "email": "Email",
        "revision": "Revision",
        "content_hash": "Hash",
        "draft": "draft",
    },
}

#: Words after which a website is named without a preposition of our own.
PREPOSITIONS: dict[str, frozenset[str]] = {
    "ru": frozenset({"на", "в", "во"}),
    "uk": frozenset({"на", "в", "у"}),
    "en": frozenset({"at", "on", "to", "via", "from"}),
}

#: Words that already say "website": the address itself is then simply left out.
SITE_WORDS: dict[str, frozenset[str]] = {
    "ru": frozenset({"сайт", "сайте", "сайта", "сайтом"}),
    "uk": frozenset({"сайт", "сайті", "сайту", "сайтом"}),
    "en": frozenset({"site", "website", "web"}),
}


def language(locale: Locale) -> str:
    """The language part of a locale that has wording here ("uk-UA" → "uk"), else "en"."""
    lang = locale.replace("_", "-").split("-")[0].lower()
    return lang if lang in _PHRASES else "en"


def phrase(locale: Locale, name: str, **values: str) -> str:
    """The wording `name` in the locale's language, with `values` filled in."""
    text = _PHRASES[language(locale)][name]
    return text.format(**values) if values else text
