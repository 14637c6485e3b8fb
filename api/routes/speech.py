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

import kb
from api import live, rendering
from api.contact_access import ConversationKey
from api.deps import Principal, reading
from api.http.errors_doc import responses
from api.pages.settings import page_settings
from api.routes import ivr
from api.speech import tag, wav_response

router = APIRouter(tags=["speech"], responses=responses(401, 403, 404, 422))

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
PromptName = Literal["after", "invalid", "operator", "goodbye"]
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


#: What a signed URL will speak, told apart by `kind`.
LinkRequest = Annotated[ArticleLink | MenuLink | PromptLink, Field(discriminator="kind")]


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


async def _speak(request: Request, who: Principal, what: dict[str, Any]) -> str:
    kind, locale = what["kind"], what["locale"]
    if kind == "article":
        return await run_in_threadpool(article_ssml, locale, what["key"])
    if kind == "menu":
        return await run_in_threadpool(menu_ssml, request, who, what.get("caller"), locale)
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
    locale: LOCALE = kb.LOCALES[0],
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
    if not isinstance(what, dict) or what.get("kind") not in ("article", "menu", "prompt"):
        raise LinkInvalid("no such speech link")
    issuer = Principal(name=f"speech-link:{what.get('by', '?')}", role=kb.Role.BOT)
    ssml = await _speak(request, issuer, what)
    return await wav_response(request, ssml, str(what["locale"]), cache="private, max-age=300")
