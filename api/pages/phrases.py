"""The faces' own words in every locale, and the names of locales and categories.

Content is the editors'; these are the few labels around it. A missing phrase falls
back to English, and an unknown category to its slug made readable.
"""

from __future__ import annotations

LOCALE_NAMES = {"ru": "Русский", "uk": "Українська", "en": "English"}

_EN = {
    "help_center": "Help Center",
    "how_can_we_help": "How can we help?",
    "search_placeholder": "Describe your question",
    "search": "Search",
    "search_label": "Search help articles",
    "categories": "Topics",
    "popular": "Popular questions",
    "articles_in": "Articles:",
    "home": "Help",
    "related": "Related questions",
    "language": "Language",
    "this_article_in": "This article in other languages",
    "was_helpful": "Was this helpful?",
    "yes": "Yes",
    "no": "No",
    "thanks": "Thank you for your feedback!",
    "not_found_title": "Page not found",
    "not_found_text": "We could not find that page. Try searching, or start from the help home.",
    "results_for": "Results for",
    "no_results": "Nothing found. Try other words, or contact us.",
    "results_count": "results",
    "updated": "Updated",
    "contact_us": "Contact us",
    "skip": "Skip to content",
    "still_need_help": "Still need help?",
    "still_need_help_text": "Our support team is ready to answer.",
    "ask": "Ask a question",
    "widget_title": "Help",
    "widget_intro": "Ask a question — we will find the answer.",
    "read_more": "Read more",
    "also": "Maybe you meant",
    "handoff": "We are not sure we have the right answer. A person can help:",
    "close": "Close",
    "send": "Send",
    "searching": "Searching…",
    "contact_title": "Ask our support team",
    "contact_intro": "Write your question and how to reach you: a person from support will answer.",
    "contact_question": "Your question",
    "contact_reply_to": "Email or phone number",
    "contact_sent": "Thank you! Your question is with our support team; we will get back to you.",
    "contact_need_question": "Please write your question.",
    "contact_need_reply_to": "Please give an email address or a phone number with its country code.",
    "menu": "Menu",
    "why_not_helpful": "What was wrong with it?",
    "reason_incomplete": "Something is missing",
    "reason_wrong": "It is wrong or out of date",
    "reason_unclear": "Hard to understand",
    "reason_broken_link": "A link does not work",
    "reason_other": "Something else",
    "reason_comment": "Anything to add? (optional, please no personal details)",
    "reason_thanks": "Thank you: the editors will see why.",
}

_RU = {
    "help_center": "Центр помощи",
    "how_can_we_help": "Чем мы можем помочь?",
    "search_placeholder": "Опишите ваш вопрос",
    "search": "Найти",
    "search_label": "Поиск по статьям помощи",
    "categories": "Темы",
    "popular": "Частые вопросы",
    "articles_in": "Статей:",
    "home": "Помощь",
    "related": "Похожие вопросы",
    "language": "Язык",
    "this_article_in": "Эта статья на других языках",
    "was_helpful": "Статья помогла?",
    "yes": "Да",
    "no": "Нет",
    "thanks": "Спасибо за отзыв!",
    "not_found_title": "Страница не найдена",
    "not_found_text": "Такой страницы нет. Попробуйте поиск или начните с главной страницы помощи.",
    "results_for": "Результаты по запросу",
    "no_results": "Ничего не найдено. Попробуйте другие слова или напишите нам.",
    "results_count": "результатов",
    "updated": "Обновлено",
    "contact_us": "Связаться с нами",
    "skip": "Перейти к содержанию",
    "still_need_help": "Остались вопросы?",
    "still_need_help_text": "Служба поддержки готова ответить.",
    "ask": "Задать вопрос",
    "widget_title": "Помощь",
    "widget_intro": "Задайте вопрос — мы найдём ответ.",
    "read_more": "Подробнее",
    "also": "Возможно, вы имели в виду",
    "handoff": "Мы не уверены, что нашли верный ответ. Вам поможет специалист:",
    "close": "Закрыть",
    "send": "Отправить",
    "searching": "Ищем…",
    "contact_title": "Вопрос в службу поддержки",
    "contact_intro": "Напишите вопрос и как с вами связаться: ответит специалист поддержки.",
    "contact_question": "Ваш вопрос",
    "contact_reply_to": "Email или номер телефона",
    "contact_sent": "Спасибо! Вопрос передан в службу поддержки, мы с вами свяжемся.",
    "contact_need_question": "Напишите, пожалуйста, ваш вопрос.",
    "contact_need_reply_to": "Укажите email или номер телефона с кодом страны.",
    "menu": "Меню",
    "why_not_helpful": "Что с ней не так?",
    "reason_incomplete": "Чего-то не хватает",
    "reason_wrong": "Ошибка или устаревшие сведения",
    "reason_unclear": "Трудно понять",
    "reason_broken_link": "Не работает ссылка",
    "reason_other": "Другое",
    "reason_comment": "Хотите что-то добавить? (необязательно, без личных данных)",
    "reason_thanks": "Спасибо: редакторы узнают, в чём дело.",
}

_UK = {
    "help_center": "Центр допомоги",
    "how_can_we_help": "Чим ми можемо допомогти?",
    "search_placeholder": "Опишіть питання",  # short: the whole of it fits a 360 px phone
    "search": "Знайти",
    "search_label": "Пошук статтями допомоги",
    "categories": "Теми",
    "popular": "Часті запитання",
    "articles_in": "Статей:",
    "home": "Допомога",
    "related": "Схожі запитання",
    "language": "Мова",
    "this_article_in": "Ця стаття іншими мовами",
    "was_helpful": "Стаття допомогла?",
    "yes": "Так",
    "no": "Ні",
    "thanks": "Дякуємо за відгук!",
    "not_found_title": "Сторінку не знайдено",
    "not_found_text": "Такої сторінки немає. Спробуйте пошук або почніть з головної сторінки допомоги.",
    "results_for": "Результати за запитом",
    "no_results": "Нічого не знайдено. Спробуйте інші слова або напишіть нам.",
    "results_count": "результатів",
    "updated": "Оновлено",
    "contact_us": "Зв'язатися з нами",
    "skip": "Перейти до змісту",
    "still_need_help": "Залишилися питання?",
    "still_need_help_text": "Служба підтримки готова відповісти.",
    "ask": "Поставити питання",
    "widget_title": "Допомога",
    "widget_intro": "Поставте питання — ми знайдемо відповідь.",
    "read_more": "Детальніше",
    "also": "Можливо, ви мали на увазі",
    "handoff": "Ми не впевнені, що знайшли правильну відповідь. Вам допоможе фахівець:",
    "close": "Закрити",
    "send": "Надіслати",
    "searching": "Шукаємо…",
    "contact_title": "Питання до служби підтримки",
    "contact_intro": "Напишіть питання і як з вами зв'язатися: відповість фахівець підтримки.",
    "contact_question": "Ваше питання",
    "contact_reply_to": "Email або номер телефону",
    "contact_sent": "Дякуємо! Питання передано до служби підтримки, ми з вами зв'яжемося.",
    "contact_need_question": "Напишіть, будь ласка, ваше питання.",
    "contact_need_reply_to": "Вкажіть email або номер телефону з кодом країни.",
    "menu": "Меню",
    "why_not_helpful": "Що з нею не так?",
    "reason_incomplete": "Чогось бракує",
    "reason_wrong": "Помилка або застарілі відомості",
    "reason_unclear": "Важко зрозуміти",
    "reason_broken_link": "Не працює посилання",
    "reason_other": "Інше",
    "reason_comment": "Бажаєте щось додати? (необов'язково, без особистих даних)",
    "reason_thanks": "Дякуємо: редактори дізнаються, у чому річ.",
}

PHRASES: dict[str, dict[str, str]] = {"en": _EN, "ru": _RU, "uk": _UK}

CATEGORIES: dict[str, dict[str, str]] = {
    "billing": {"en": "Billing and payments", "ru": "Оплата и счета", "uk": "Оплата й рахунки"},
    "home-internet": {"en": "Home internet", "ru": "Домашний интернет", "uk": "Домашній інтернет"},
    "mobile-internet": {"en": "Mobile internet", "ru": "Мобильный интернет", "uk": "Мобільний інтернет"},
    "porting": {"en": "Keep your number", "ru": "Перенос номера", "uk": "Перенесення номера"},
    "roaming": {"en": "Roaming", "ru": "Роуминг", "uk": "Роумінг"},
    "sim": {"en": "SIM and eSIM", "ru": "SIM и eSIM", "uk": "SIM та eSIM"},
    "support": {"en": "Contacting support", "ru": "Связь с поддержкой", "uk": "Зв'язок з підтримкою"},
    "tariffs": {"en": "Plans", "ru": "Тарифы", "uk": "Тарифи"},
}


def phrases(locale: str) -> dict[str, str]:
    """Every label for `locale`, English where a translation is missing."""
    own = PHRASES.get(locale, {})
    return {**_EN, **own}


def category_name(category: str | None, locale: str) -> str:
    if not category:
        return phrases(locale)["help_center"]
    names = CATEGORIES.get(category)
    if names:
        return names.get(locale) or names["en"]
    return category.replace("-", " ").replace("_", " ").capitalize()
