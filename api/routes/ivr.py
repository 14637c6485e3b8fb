"""The IVR main menu over HTTP, in the order that suits the caller.

A caller with an open case hears its topic first, then their frequent topics of the
last 90 days; an unknown or withheld number hears the default order of
`content/ivr-menu.yaml` (the phone switch must always get a menu, so a caller id that
is not a valid number is treated as unknown rather than refused). Announcements of now
(api/announcing.py) come before all of it: for a known caller by their contact's region and
segments, else by the region of the number calling.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

import contacts
import kb
import renderers
from api import announcing
from api.contact_access import ConversationKey, audit_access, recording
from api.http.errors_doc import responses
from api.schemas import MenuOptionOut, MenuOut
from api.schemas.fields import IVR_FORMATS, one_of

#: Only the locales content is written in (`kb.LOCALES`): the menu has no words in any other.
LOCALE_PATTERN = f"^({'|'.join(kb.LOCALES)})$"

router = APIRouter(prefix="/api/v1/ivr", tags=["contacts"], responses=responses(401, 403, 422))


@router.get("/menu", response_model=MenuOut, summary="The main menu for a caller")
def menu(
    request: Request,
    who: ConversationKey,
    caller: Annotated[
        str | None, Query(max_length=64, description="The caller's number, as the switch gives it")
    ] = None,
    locale: Annotated[str, Query(pattern=LOCALE_PATTERN)] = kb.default_locale(),
    format: Annotated[
        str | None, Query(max_length=16, description="Default: ssml", json_schema_extra=one_of(IVR_FORMATS))
    ] = None,
) -> MenuOut:
    rules = contacts.menu_rules()
    open_topics: list[str] = []
    frequent: list[tuple[str, int]] = []
    contact_id: int | None = None
    address = _caller(caller)
    if address is not None:
        with recording() as session:
            contact = contacts.find_by_identity(session=session, address=address)
            if contact is not None:
                contact_id = contact.id
                open_topics = contacts.open_topics(session=session, contact_id=contact.id or 0)
                frequent = contacts.frequent_topics(session=session, contact_id=contact.id or 0)
                audit_access(session, who, request, contact.id or 0, "ivr")
    choices = contacts.order_menu(rules, locale=locale, open_topics=open_topics, frequent=frequent)
    options = [renderers.MenuOption(label=c.label, target=c.topic, key=c.digit) for c in choices]
    audience = announcing.audience_of_contact(contact_id) if contact_id else announcing.audience_of_caller(caller)
    notices = [n.text for n in announcing.notices(locale, audience=audience)]
    out = renderers.render_ivr_menu(
        options, locale=locale, format=format, intro=contacts.intro(rules, locale), notices=notices
    )
    labels = {c.topic: c.label for c in choices}
    return MenuOut(
        ssml=out.body,
        format=out.format,
        locale=locale,
        options=[
            MenuOptionOut(digit=o["key"], topic=o["target"], label=labels[o["target"]]) for o in out.meta["options"]
        ],
        personalised=bool(open_topics or frequent),
        contact=contact_id,
    )


def _caller(caller: str | None) -> contacts.Address | None:
    if not caller or not caller.strip():
        return None
    try:
        return contacts.normalise("phone", caller)
    except kb.IstokError:
        return None
