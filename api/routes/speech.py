"""The IVR's words as sound: a unit, the caller's menu and the IVR's own prompts as 8 kHz WAV.

A phone switch that plays media by URL (Asterisk 14+ `Playback(https://…)` through
res_http_media_cache, or `GET DATA <url>` from a FastAGI script) needs audio it can play on a
narrowband call: mono 16-bit PCM at 8 kHz. The words come from the one IVR render (SSML, the
`ivr` channel), spoken by `api/speech.py` (espeak-ng, resampled to 8 kHz).

Two ways in. With an API key (`bot` or `operator`, as the IVR menu): `GET
/api/v1/articles/{locale}/{key}/speech.wav` and `GET /api/v1/ivr/menu.wav`. For the switch,
which should hold no API key: `POST /api/v1/speech/links` (with a key) issues a short-lived
signed URL, `/api/v1/speech/<token>.wav`, which plays without one. The token is in the path,
not the query, because Asterisk's prompt lists split on `&`; it is signed with the server's
secret (itsdangerous, ISTOK_SECRET_KEY) and expires after LINK_SECONDS.

The WAV of one SSML text in one voice never changes, so its ETag is the hash of both: a
switch's media cache revalidates with `If-None-Match` and gets a 304 without a new synthesis.

Asterisk's URL playback and its cache, which follows Cache-Control and ETag:
https://docs.asterisk.org/Development/Roadmap/Asterisk-14-Projects/Asterisk-14-Project-URI-Media-Playback
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from xml.sax.saxutils import escape

from fastapi import APIRouter, Body, Path, Query, Request, Response
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

import contacts
import kb
from api import live, rendering
from api.contact_access import ConversationKey, audit_access, recording, verified_by
from api.deps import Principal, reading
from api.http.errors_doc import responses
from api.pages.settings import page_settings
from api.routes import ivr
from api.speech import tag, wav_response

router = APIRouter(tags=["speech"], responses=responses(401, 403, 404, 422))
DEFAULT_LOCALE = kb.default_locale()  # the required locale, else the first (ISTOK_REQUIRED_LOCALE, read at start)

LINK_SECONDS = 600  # long enough for a call's menu, short enough that a leaked URL soon stops working
_SALT = "istok-speech-link"
_WAV: dict[int | str, dict[str, Any]] = {
    200: {"description": "8 kHz mono 16-bit PCM WAV", "content": {"audio/wav": {"schema": {"type": "string"}}}},
    304: {"description": "Not modified: the `If-None-Match` tag is this WAV's"},
    503: {
        "description": "espeak-ng is not installed on the server",
        "content": {"application/problem+json": {"schema": {"type": "object"}}},
    },
}

#: The IVR's own sentences: what frames a unit on the phone, in each language content is written in.
PROMPTS: dict[str, dict[str, str]] = {
    "after": {
        "ru": "Чтобы прослушать ещё раз, нажмите один или звёздочку. Чтобы поговорить с оператором, нажмите ноль. "
        "Чтобы вернуться в меню, нажмите решётку.",
        "uk": "Щоб прослухати ще раз, натисніть один або зірочку. Щоб поговорити з оператором, натисніть нуль. "
        "Щоб повернутися до меню, натисніть ґратку.",
        "en": "To hear this again, press one or star. To speak to an operator, press zero. "
        "To return to the menu, press the hash key.",
    },
    "invalid": {
        "ru": "Такого пункта нет.",
        "uk": "Такого пункту немає.",
        "en": "There is no such option.",
    },
    "operator": {
        "ru": "Соединяю с оператором, пожалуйста, оставайтесь на линии.",
        "uk": "З'єдную з оператором, будь ласка, залишайтеся на лінії.",
        "en": "Connecting you to an operator, please stay on the line.",
    },
    "goodbye": {
        "ru": "Спасибо за звонок, до свидания.",
        "uk": "Дякуємо за дзвінок, до побачення.",
        "en": "Thank you for calling, goodbye.",
    },
}
PROMPTS |= {
    "cases_offer": {
        "ru": "Чтобы узнать о ваших открытых обращениях, нажмите девять.",
        "uk": "Щоб дізнатися про ваші відкриті звернення, натисніть дев'ять.",
        "en": "To hear about your open requests, press nine.",
    },
    "pin_ask": {
        "ru": "Введите ваш пин-код и нажмите решётку.",
        "uk": "Введіть ваш пін-код і натисніть ґратку.",
        "en": "Enter your PIN, then press the hash key.",
    },
    "pin_wrong": {
        "ru": "Пин-код не подошёл.",
        "uk": "Пін-код не підійшов.",
        "en": "That PIN is not right.",
    },
    "pin_locked": {
        "ru": "Слишком много неверных попыток. Попробуйте позже или дождитесь оператора.",
        "uk": "Забагато невдалих спроб. Спробуйте пізніше або дочекайтеся оператора.",
        "en": "Too many wrong tries. Please try later, or wait for an operator.",
    },
    "pin_none": {
        "ru": "Для этого номера не задан пин-код. Оператор поможет его установить.",
        "uk": "Для цього номера не задано пін-код. Оператор допоможе його встановити.",
        "en": "No PIN is set for this number. An operator can help you set one.",
    },
}
#: How the IVR names the channel a client last used, in a sentence about their request.
_VIA = {
    "ru": {"ivr": "по телефону", "phone": "по телефону", "sms": "по SMS", "email": "по почте", "web": "на сайте"},
    "uk": {"ivr": "телефоном", "phone": "телефоном", "sms": "через SMS", "email": "поштою", "web": "на сайті"},
    "en": {"ivr": "by phone", "phone": "by phone", "sms": "by text", "email": "by e-mail", "web": "on the website"},
}
_CASES = {
    "ru": ("Открытых обращений нет.", "Открыто обращение на тему «{topic}». Последний раз вы писали нам {via}."),
    "uk": ("Відкритих звернень немає.", "Відкрито звернення на тему «{topic}». Востаннє ви зверталися {via}."),
    "en": ("You have no open requests.", "Your request about {topic} is open. You last contacted us {via}."),
}
PromptName = Literal[
    "after", "invalid", "operator", "goodbye", "cases_offer", "pin_ask", "pin_wrong", "pin_locked", "pin_none"
]
LOCALE = Annotated[str, Query(pattern=ivr.LOCALE_PATTERN)]


class LinkInvalid(kb.IstokError):
    status = 404
    slug = "not-found"


class ArticleLink(BaseModel):
    """An article's live unit."""

    kind: Literal["article"]
    locale: str = Field(pattern=ivr.LOCALE_PATTERN)
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,127}$")


class MenuLink(BaseModel):
    """The menu, in the caller's order when their number is known."""

    kind: Literal["menu"]
    locale: str = Field(pattern=ivr.LOCALE_PATTERN)
    caller: str | None = Field(default=None, max_length=64, description="The caller's number")


class PromptLink(BaseModel):
    """One of the IVR's own sentences."""

    kind: Literal["prompt"]
    locale: str = Field(pattern=ivr.LOCALE_PATTERN)
    name: PromptName


class CasesLink(BaseModel):
    """The caller's own open requests: what only the client may hear, so only after their PIN."""

    kind: Literal["cases"]
    locale: str = Field(pattern=ivr.LOCALE_PATTERN)
    caller: str = Field(max_length=64, description="The caller's number")
    verification: str = Field(max_length=500, description="The token of `POST /api/v1/contacts/verify`")


#: What a signed URL will speak, told apart by `kind`.
LinkRequest = Annotated[ArticleLink | MenuLink | PromptLink | CasesLink, Field(discriminator="kind")]


class NotVerified(kb.IstokError):
    status = 403
    slug = "not-verified"


class LinkOut(BaseModel):
    url: str = Field(description="A path under this server; it plays without a key until `expires_at`")
    expires_at: dt.datetime
    ssml: str = Field(description="What the WAV says, for a switch that speaks SSML itself")
    etag: str


def article_ssml(locale: str, key: str) -> str:
    """The live unit's IVR speech (SSML), over the snapshot of its revision."""
    with reading() as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        if article.published_revision is None:
            raise kb.NotFound(f"{locale}/{key} is not published")
        number = article.published_revision
        seq = kb.last_seq(session)
    out = rendering.render_revision(
        "ivr", locale=locale, key=key, revision=number, snapshot=live.at(seq), format="ssml"
    )
    return out.body


def menu_ssml(request: Request, who: Principal, caller: str | None, locale: str) -> str:
    """The caller's menu, in the order `GET /api/v1/ivr/menu` gives them (and audited as it is)."""
    return ivr.menu(request, who, caller=caller, locale=locale, format="ssml").ssml


def prompt_ssml(name: str, locale: str) -> str:
    text = PROMPTS[name][locale if locale in PROMPTS[name] else "en"]
    return f'<speak version="1.0" xml:lang="{locale}">{escape(text)}</speak>'


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(page_settings().secret_key, salt=_SALT)


def cases_ssml(request: Request, who: Principal, caller: str, verification: str, locale: str) -> str:
    """The caller's open requests by topic and the channel they last used; NotVerified without their proof."""
    address = contacts.normalise("phone", caller)
    with recording() as session:
        contact = contacts.lookup(session=session, address=address)
    if verified_by(verification, contact.id or 0) is None:
        raise NotVerified("the caller has not proved who they are (POST /api/v1/contacts/verify)")
    labels = {
        c.topic: c.label for c in contacts.order_menu(contacts.menu_rules(), locale=locale, open_topics=[], frequent=[])
    }
    language = locale if locale in _CASES else "en"
    none, one = _CASES[language]
    with recording() as session:
        sentences = []
        for case in contacts.open_cases(session=session, contact_id=contact.id or 0):
            last = contacts.last_interaction(session=session, case_id=case.id or 0)
            channel = last.channel if last is not None else case.channel
            via = _VIA[language].get(channel, channel.capitalize())
            sentences.append(one.format(topic=labels.get(case.topic, case.topic), via=via))
        audit_access(session, who, request, contact.id or 0, "ivr.cases")
    return f'<speak version="1.0" xml:lang="{locale}">{escape(" ".join(sentences) or none)}</speak>'


async def _speak(request: Request, who: Principal, what: dict[str, Any]) -> str:
    kind, locale = what["kind"], what["locale"]
    if kind == "article":
        return await run_in_threadpool(article_ssml, locale, what["key"])
    if kind == "menu":
        return await run_in_threadpool(menu_ssml, request, who, what.get("caller"), locale)
    if kind == "cases":
        return await run_in_threadpool(cases_ssml, request, who, what["caller"], what["verification"], locale)
    return prompt_ssml(what["name"], locale)


@router.get(
    "/api/v1/articles/{locale}/{key}/speech.wav",
    summary="The live unit's IVR speech as 8 kHz WAV",
    response_class=Response,
    responses=_WAV,
)
async def article_speech(
    request: Request,
    who: ConversationKey,
    locale: Annotated[str, Path(pattern=ivr.LOCALE_PATTERN)],
    key: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,127}$")],
) -> Response:
    ssml = await run_in_threadpool(article_ssml, locale, key)
    return await wav_response(request, ssml, locale, cache="private, max-age=300")


@router.get("/api/v1/ivr/menu.wav", summary="The caller's menu as 8 kHz WAV", response_class=Response, responses=_WAV)
async def menu_speech(
    request: Request,
    who: ConversationKey,
    caller: Annotated[str | None, Query(max_length=64, description="The caller's number")] = None,
    locale: LOCALE = DEFAULT_LOCALE,
) -> Response:
    ssml = await run_in_threadpool(menu_ssml, request, who, caller, locale)
    return await wav_response(request, ssml, locale, cache="private, no-cache")


@router.post(
    "/api/v1/speech/links",
    response_model=LinkOut,
    summary="A short-lived URL a phone switch plays",
    responses=responses(413),
)
async def create_link(request: Request, who: ConversationKey, body: Annotated[LinkRequest, Body()]) -> LinkOut:
    """A signed URL for the switch (which holds no key), and the SSML it will speak."""
    what: dict[str, Any] = {"kind": body.kind, "locale": body.locale, "by": who.name}
    if isinstance(body, ArticleLink):
        what["key"] = body.key
    elif isinstance(body, MenuLink):
        what["caller"] = body.caller
    elif isinstance(body, CasesLink):
        what["caller"], what["verification"] = body.caller, body.verification
    else:
        what["name"] = body.name
    ssml = await _speak(request, who, what)  # 404 now for an unknown unit, not when the switch plays it
    token = _signer().dumps(what)
    expires = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=LINK_SECONDS)
    return LinkOut(url=f"/api/v1/speech/{token}.wav", expires_at=expires, ssml=ssml, etag=tag(ssml, body.locale))


@router.get(
    "/api/v1/speech/{token}.wav",
    summary="A signed speech URL: plays without a key until it expires",
    response_class=Response,
    responses=_WAV,
)
async def linked_speech(request: Request, token: Annotated[str, Path(max_length=2000)]) -> Response:
    try:
        what = _signer().loads(token, max_age=LINK_SECONDS)
    except SignatureExpired:
        raise LinkInvalid("this speech link has expired; ask for a new one") from None
    except BadSignature:
        raise LinkInvalid("no such speech link") from None
    if not isinstance(what, dict) or what.get("kind") not in ("article", "menu", "prompt", "cases"):
        raise LinkInvalid("no such speech link")
    issuer = Principal(name=f"speech-link:{what.get('by', '?')}", role=kb.Role.BOT)
    ssml = await _speak(request, issuer, what)
    return await wav_response(request, ssml, str(what["locale"]), cache="private, max-age=300")
