"""The staff interface's language: gettext catalogs made with Babel, chosen per person.

The words of every face are English msgids in one catalog per language
(`api/pages/locale/<ll>/LC_MESSAGES/messages.po`, updated by `make messages`). The
catalogs are read straight from the .po files, once per process: there is no compiled
.mo to forget to rebuild after an edit, a fresh checkout needs no build step, and a few
hundred messages parse in milliseconds. Fuzzy entries are left out, as msgfmt does.

A staff page speaks the signed-in person's choice (`users.locale`, set with the switcher
or `istok users language`), else the best match of the browser's Accept-Language, else
English. The help center and the widget speak the locale of their content instead, through
`phrases` (which looks its labels up here too): one catalog, one mechanism.
"""

from __future__ import annotations

import datetime as dt
import io
from functools import cache
from pathlib import Path
from typing import Any

from babel.core import negotiate_locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from fastapi import Request

import kb
from api.pages.auth import signed_in  # it keeps the person's stored choice on the request as `ui_choice`

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
UI_LOCALES: tuple[str, ...] = tuple(kb.LOCALES)  # the catalogs there are, one per content locale
FALLBACK = "en"  # the msgids' own language


@cache
def translations(locale: str) -> Translations:
    """The catalog of `locale` (English, the msgids themselves, for a language we have none of)."""
    code = locale if locale in UI_LOCALES else FALLBACK
    with (LOCALE_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=code)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(fp=compiled, domain="messages")


def accepted_languages(header: str) -> list[str]:
    """The language tags of an Accept-Language header, most wanted first (q=0 ones dropped)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag.strip().lower()))
    return [tag for _q, _p, tag in sorted(weighted)]


def browser_locale(header: str | None) -> str:
    """The staff language nearest to what the browser asks for, else English."""
    found = negotiate_locale(accepted_languages(header or ""), UI_LOCALES, sep="-")
    return found if found in UI_LOCALES else FALLBACK


def ui_locale(request: Request) -> str:
    """The language of this request's staff interface: the person's choice, else the browser's.

    The person is whoever `auth.signed_in` found for this request; pages that never ask who is
    signed in (the help center) never reach here, so they do no session lookup for it.
    """
    found: str | None = getattr(request.state, "ui_locale", None)
    if found is None:
        choice = getattr(request.state, "ui_choice", None) if signed_in(request) is not None else None
        found = choice if choice in UI_LOCALES else browser_locale(request.headers.get("accept-language"))
        request.state.ui_locale = found
    return found


def ui_text(request: Request) -> Translations:
    """The catalog for Python-side staff messages (flashes, problems) of this request."""
    return translations(ui_locale(request))


def format_when(value: dt.datetime | None, locale: str, *, format: str = "minute") -> str:
    """A moment as the person reads it: their language's pattern, in the editors' zone (ISTOK_TIMEZONE).

    The default, `minute`, is the day as the language writes it with a 24-hour time (`Jan 15, 2031
    10:30`, `15 янв. 2031 г. 10:30`): CLDR's short pattern has a two-digit year and, in English, a
    month-first order, which misreads easily when a schedule is at stake. Any Babel name or pattern
    (`medium`: with seconds) may be asked for instead.
    """
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)  # the store keeps UTC
    zone = kb.editor_zone()
    if format == "minute":
        local = value.astimezone(zone)
        return f"{format_date(local, 'medium', locale=locale)} {local:%H:%M}"
    return format_datetime(value, format, tzinfo=zone, locale=locale)


def format_day(value: dt.date | str | None, locale: str, *, format: str = "medium") -> str:
    """A calendar day (a `review_by`, say) as the person reads it; text that is no date is shown as it is."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        return format_date(value, format, locale=locale)
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return value
    return format_date(day, format, locale=locale)


def format_number(value: Any, locale: str, pattern: str | None = None) -> str:
    """A count or a figure with the locale's digit grouping and decimal sign (`pattern`: e.g. "0.00")."""
    return format_decimal(value, format=pattern, locale=locale)
