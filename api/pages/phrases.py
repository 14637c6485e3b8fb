"""The help center's and the widget's labels by key, and the names of locales and categories.

Content is the editors'; these are the few labels around it. Their words live in the same
gettext catalogs as the staff interface's (`api.pages.i18n`): this table only names each
label's English msgid, so the help templates keep writing `t.search` while a translator
sees one catalog. A label a catalog lacks reads in English; an unknown category is its slug
made readable.
"""

from __future__ import annotations

from functools import cache

from api.pages.i18n import translations

LOCALE_NAMES = {"ru": "Русский", "uk": "Українська", "en": "English"}


def N_(message: str) -> str:
    """Marks a msgid for extraction where it is only named, not yet translated."""
    return message


LABELS: dict[str, str] = {  # key -> msgid
    "help_center": N_("Help Center"),
    "how_can_we_help": N_("How can we help?"),
    "search_placeholder": N_("Describe your question"),
    "search": N_("Search"),
    "search_label": N_("Search help articles"),
    "categories": N_("Topics"),
    "popular": N_("Popular questions"),
    "articles_in": N_("Articles:"),
    "home": N_("Help"),
    "related": N_("Related questions"),
    "language": N_("Language"),
    "this_article_in": N_("This article in other languages"),
    "was_helpful": N_("Was this helpful?"),
    "yes": N_("Yes"),
    "no": N_("No"),
    "thanks": N_("Thank you for your feedback!"),
    "not_found_title": N_("Page not found"),
    "not_found_text": N_("We could not find that page. Try searching, or start from the help home."),
    "ended_text": N_("This notice has ended: what it told of is over."),
    "ended_at": N_("Ended"),
    "results_for": N_("Results for"),
    "no_results": N_("Nothing found. Try other words, or contact us."),
    "results_count": N_("results"),
    "updated": N_("Updated"),
    "contact_us": N_("Contact us"),
    "skip": N_("Skip to content"),
    "still_need_help": N_("Still need help?"),
    "still_need_help_text": N_("Our support team is ready to answer."),
    "ask": N_("Ask a question"),
    "widget_title": N_("Help"),
    "widget_intro": N_("Ask a question — we will find the answer."),
    "read_more": N_("Read more"),
    "also": N_("Maybe you meant"),
    "handoff": N_("We are not sure we have the right answer. A person can help:"),
    "close": N_("Close"),
    "send": N_("Send"),
    "searching": N_("Searching…"),
    "contact_title": N_("Ask our support team"),
    "contact_intro": N_("Write your question and how to reach you: a person from support will answer."),
    "contact_question": N_("Your question"),
    "contact_reply_to": N_("Email or phone number"),
    "contact_sent": N_("Thank you! Your question is with our support team; we will get back to you."),
    "contact_need_question": N_("Please write your question."),
    "contact_need_reply_to": N_("Please give an email address or a phone number with its country code."),
    "menu": N_("Menu"),
    "why_not_helpful": N_("What was wrong with it?"),
    "reason_incomplete": N_("Something is missing"),
    "reason_wrong": N_("It is wrong or out of date"),
    "reason_unclear": N_("Hard to understand"),
    "reason_broken_link": N_("A link does not work"),
    "reason_other": N_("Something else"),
    "reason_comment": N_("Anything to add? (optional, please no personal details)"),
    "reason_thanks": N_("Thank you: the editors will see why."),
}

CATEGORIES: dict[str, str] = {
    "billing": N_("Billing and payments"),
    "home-internet": N_("Home internet"),
    "mobile-internet": N_("Mobile internet"),
    "porting": N_("Keep your number"),
    "roaming": N_("Roaming"),
    "sim": N_("SIM and eSIM"),
    "support": N_("Contacting support"),
    "tariffs": N_("Plans"),
}


@cache
def _labels(locale: str) -> dict[str, str]:
    catalog = translations(locale)
    return {key: catalog.gettext(msgid) for key, msgid in LABELS.items()}


def phrases(locale: str) -> dict[str, str]:
    """Every label for `locale` (a copy: callers may add to it), English where a translation is missing."""
    return dict(_labels(locale))


def category_name(category: str | None, locale: str) -> str:
    """A topic's name in `locale`; the help center's own name for articles without one."""
    if not category:
        return phrases(locale)["help_center"]
    msgid = CATEGORIES.get(category)
    if msgid:
        return translations(locale).gettext(msgid)
    return category.replace("-", " ").replace("_", " ").capitalize()
