"""Telegram: a bot that answers from Istok, by long polling or by webhook (python-telegram-bot).

A text message is Istok's question; the answer comes rendered for Telegram (its HTML subset)
with the other likely articles as inline buttons. A handoff says so, gives the contact route
from Istok's facts and offers a `request_contact` button: a phone number shared that way, whose
`user_id` is the sender's own, is the one identity Telegram itself vouches for, so it joins the
sender's contact as verified. The message's own text decides its language (Istok detects it);
the app's `language_code` is only the hint it starts from.

Every exchange lands on the contact of `telegram:<user id>`, and each update is answered once:
Istok keeps the update id with the exchange, so a webhook Telegram delivers again is
recognised and not answered twice. The Bot API's 429 `retry_after` is honoured by the library's
rate limiter, which also keeps within Telegram's per-chat and global rates.

An answer's images go first, each as a photo (`sendPhoto`) with its alt text as the caption
(at most 1024 characters), then the text that refers to them. An uploaded image is sent as
bytes fetched from Istok the first time and by the `file_id` Telegram gave it afterwards (an
image never changes, so the id holds for as long as the process runs); an image linked from
elsewhere goes by its address, for Telegram to fetch. A photo Telegram refuses is logged and
left out: the text still carries its alt text.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

import httpx
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from adapters import settings
from adapters.contact_route import ContactRoute
from adapters.message_parts import split_message, units
from adapters.phrases import phrase
from adapters.pictures import Assets, Picture, caption, pictures
from istok_client import AsyncClient, Identity, IstokError
from istok_client.models import Alternative

logger = logging.getLogger("istok.adapter.telegram")

CHANNEL: Final[Literal["telegram"]] = "telegram"  # the identity channel and the timeline's channel
CALLBACK_LIMIT = 64  # bytes of callback_data the Bot API accepts
ALTERNATIVES = 3
GOOD, BAD = 5, 1  # the CSAT a client gives by "helped" and "did not help"
CAPTION_LIMIT = 1024  # UTF-16 code units of a photo's caption, as Telegram counts
TEXT_LIMIT = 4096  # UTF-16 units of a message's text after entity parsing (sendMessage)


@dataclass(frozen=True)
class TelegramSettings:
    token: str
    api_url: str  # the Bot API base before the token
    mode: str  # "polling" or "webhook"
    webhook_url: str | None  # the public address Telegram posts updates to
    listen: str
    port: int
    secret: str | None  # X-Telegram-Bot-Api-Secret-Token, required in webhook mode
    istok: settings.IstokSettings

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TelegramSettings:
        env = os.environ if env is None else env
        mode = env.get("TELEGRAM_MODE", "").strip().lower() or "polling"
        if mode not in ("polling", "webhook"):
            raise settings.SettingsError(f"TELEGRAM_MODE must be polling or webhook, not {mode!r}")
        webhook_url = secret = None
        if mode == "webhook":
            webhook_url = settings.required(env, "TELEGRAM_WEBHOOK_URL", "the https address Telegram posts updates to")
            secret = settings.required(env, "TELEGRAM_WEBHOOK_SECRET", "1-256 characters A-Z a-z 0-9 _ -")
            if not all(c.isalnum() or c in "_-" for c in secret) or len(secret) > 256:
                raise settings.SettingsError("TELEGRAM_WEBHOOK_SECRET may hold only A-Z a-z 0-9 _ - (1-256 characters)")
        return cls(
            token=settings.required(env, "TELEGRAM_BOT_TOKEN", "the token @BotFather gave the bot"),
            api_url=env.get("TELEGRAM_API_URL", "").strip() or "https://api.telegram.org/bot",
            mode=mode,
            webhook_url=webhook_url,
            listen=env.get("TELEGRAM_WEBHOOK_LISTEN", "").strip() or "127.0.0.1",
            port=settings.number(env, "TELEGRAM_WEBHOOK_PORT", 8443),
            secret=secret,
            istok=settings.istok(env),
        )


def callback_data(locale: str, key: str) -> str | None:
    """What an alternative's button carries; None when it would not fit Telegram's 64 bytes."""
    data = f"a:{locale}:{key}"
    return data if len(data.encode("utf-8")) <= CALLBACK_LIMIT else None


def message_id(bot_id: int, update_id: int) -> str:
    """What Istok keeps to answer an update once: update ids count per bot, so the bot's id goes first."""
    return f"{bot_id}:{update_id}"


def rating_data(score: int, locale: str, key: str, revision: int) -> str | None:
    """What a rating button carries: the score and the unit rated; None past Telegram's 64 bytes."""
    data = f"r:{score}:{locale}:{revision}:{key}"
    return data if len(data.encode("utf-8")) <= CALLBACK_LIMIT else None


def keyboard(
    locale: str, alternatives: list[Alternative], rated: tuple[str, int] | None = None
) -> InlineKeyboardMarkup | None:
    """The other likely articles, a button each; under an answer, "helped" and "did not help" too."""
    rows = []
    for alt in alternatives[:ALTERNATIVES]:
        data = callback_data(locale, alt["key"])
        if data is None:
            logger.warning("alternative %s left out: its key makes callback_data over 64 bytes", alt["key"])
            continue
        rows.append([InlineKeyboardButton(alt["title"][:64], callback_data=data)])
    if rated is not None:
        good, bad = (rating_data(score, locale, rated[0], rated[1]) for score in (GOOD, BAD))
        if good and bad:
            rows.append(
                [
                    InlineKeyboardButton(phrase(locale, "helped"), callback_data=good),
                    InlineKeyboardButton(phrase(locale, "not_helped"), callback_data=bad),
                ]
            )
    return InlineKeyboardMarkup(rows) if rows else None


def share_phone_keyboard(locale: str) -> ReplyKeyboardMarkup:
    button = KeyboardButton(phrase(locale, "share_phone"), request_contact=True)
    return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)


class TelegramBot:
    """The conversation: Istok answers, the bot frames them for Telegram."""

    def __init__(self, istok: AsyncClient, default_locale: str, assets: Assets) -> None:
        self.istok = istok
        self.default_locale = default_locale
        self.contact_route = ContactRoute(istok)
        self.assets = assets
        self._file_ids: dict[str, str] = {}  # asset id -> the file_id Telegram keeps it under

    def hint(self, update: Update) -> str:
        code = (update.effective_user.language_code if update.effective_user else None) or ""
        code = code.split("-")[0].lower()
        return code if code in ("ru", "uk", "en") else self.default_locale

    async def on_start(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is not None:
            await update.effective_message.reply_text(phrase(self.hint(update), "welcome"))

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or not message.text:
            return
        reply = await self.istok.answer(
            message.text[:500],
            locale=self.hint(update),
            channel="bot",
            format="telegram",
            identity=f"{CHANNEL}:{user.id}",
            via=CHANNEL,
            message=message_id(context.bot.id, update.update_id),
        )
        if reply.get("replayed"):
            logger.info("update %s was answered before: not answering again", update.update_id)
            return
        served = reply["locale"]
        rendered, provenance = reply["rendered"], reply["provenance"]
        if reply["status"] == "answered" and rendered is not None and provenance is not None:
            logger.info("update %s: answered with %s (%.2f)", update.update_id, provenance["key"], reply["confidence"])
            buttons = keyboard(served, reply["alternatives"], (provenance["key"], provenance["revision"]))
            await self.send_pictures(message, pictures(rendered["meta"]))
            await send_text(message, rendered["body"], html=True, reply_markup=buttons)
            return
        logger.info("update %s: handed off (%.2f)", update.update_id, reply["confidence"])
        notices = [n["text"] for n in reply.get("announcements") or []]  # an answer's body already has them
        await self.hand_off(message, served, keyboard(served, reply["alternatives"]), notices)

    async def send_pictures(self, message: Message, shown: list[Picture]) -> None:
        """Each image as a photo with its alt text as the caption; one that cannot be sent is left out."""
        for picture in shown:
            try:
                await self.send_picture(message, picture)
            except (TelegramError, httpx.HTTPError) as err:
                logger.warning("image %s not sent: %s", picture.asset or picture.url, err)

    async def send_picture(self, message: Message, picture: Picture) -> None:
        text = caption(picture.alt, CAPTION_LIMIT, length=units) or None
        if picture.asset is None:
            if not picture.public:
                logger.warning("image %s has no address Telegram could fetch: left out", picture.url)
                return
            await message.reply_photo(picture.url, caption=text)
            return
        known = self._file_ids.get(picture.asset)
        if known is not None:
            await message.reply_photo(known, caption=text)
            return
        upload = await self.assets.fetch(picture.asset)
        sent = await message.reply_photo(upload.data, caption=text, filename=upload.filename)
        if sent.photo:
            self._file_ids[picture.asset] = sent.photo[-1].file_id  # the largest size: the one sent

    async def hand_off(
        self,
        message: Message,
        locale: str,
        buttons: InlineKeyboardMarkup | None = None,
        notices: list[str] | None = None,
    ) -> None:
        """Say the announcements of now, that a person takes over and how to reach one now; offer to share the phone."""
        said = phrase(locale, "handoff") + " " + await self.contact_route(locale)
        text = "".join(f"{n}\n\n" for n in notices or ()) + said
        if buttons is not None:
            text += "\n\n" + phrase(locale, "maybe")
        await send_text(message, text, reply_markup=buttons)
        await message.reply_text(phrase(locale, "share_why"), reply_markup=share_phone_keyboard(locale))

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An inline button: an alternative article (`a:`) or a rating of an answer (`r:`)."""
        query = update.callback_query
        if query is not None and (query.data or "").startswith("r:"):
            await self.on_rating(update, context)
        else:
            await self.on_alternative(update, context)

    async def on_rating(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """ "Helped" resolves the matter; "did not help" hands it to a person. Either way its CSAT is kept."""
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        parts = (query.data or "").split(":", 4)
        if len(parts) != 5 or not parts[1].isdigit() or not parts[3].isdigit():
            await query.answer()
            return
        score, locale, revision, key = int(parts[1]), parts[2], int(parts[3]), parts[4]
        recorded = await self.istok.record_interaction(
            channel=CHANNEL,
            outcome="resolved" if score >= GOOD else "escalated",
            identity=Identity(channel=CHANNEL, address=str(user.id)),
            article={"key": key, "locale": locale, "revision": revision},
            csat=score,
            message=message_id(context.bot.id, update.update_id),
        )
        await query.answer(phrase(locale, "thanks"))
        logger.info("update %s: %s rated %s", update.update_id, key, score)
        if score < GOOD and not recorded.get("replayed") and isinstance(query.message, Message):
            await self.hand_off(query.message, locale)

    async def on_alternative(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        await query.answer()
        _, locale, key = (query.data or "").split(":", 2) if (query.data or "").count(":") >= 2 else ("", "", "")
        if not key or query.message is None:
            return
        shown = await self.istok.render(locale, key, "bot", format="telegram")
        recorded = await self.istok.record_interaction(
            channel=CHANNEL,
            outcome="answered",
            identity=Identity(channel=CHANNEL, address=str(user.id)),
            article={"key": key, "locale": locale, "revision": shown["revision"]},
            message=message_id(context.bot.id, update.update_id),
        )
        if recorded.get("replayed") or not isinstance(query.message, Message):
            return
        rated = keyboard(locale, [], (key, shown["revision"]))
        await self.send_pictures(query.message, pictures(shown["meta"]))
        await send_text(query.message, shown["body"], html=True, reply_markup=rated)

    async def on_contact(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or message.contact is None:
            return
        locale = self.hint(update)
        if message.contact.user_id != user.id:  # a contact card of somebody else: no claim on that number
            await message.reply_text(phrase(locale, "phone_not_own"), reply_markup=share_phone_keyboard(locale))
            return
        contact = await self.istok.find_contact(CHANNEL, str(user.id))
        # The number is theirs, and so is this Telegram account: Telegram vouches for both at once.
        vouched = "telegram-contact"
        await self.istok.add_identity(contact["id"], "phone", message.contact.phone_number, verified_by=vouched)
        await self.istok.add_identity(contact["id"], CHANNEL, str(user.id), verified_by=vouched)
        await message.reply_text(phrase(locale, "phone_linked"), reply_markup=ReplyKeyboardRemove())

    async def on_other(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is not None:
            await update.effective_message.reply_text(phrase(self.hint(update), "text_only"))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        logger.error("update failed: %s", context.error, exc_info=context.error)
        failed = isinstance(context.error, IstokError | OSError)
        if failed and isinstance(update, Update) and update.effective_message is not None:
            await update.effective_message.reply_text(phrase(self.hint(update), "unavailable"))


async def send_text(
    message: Message, text: str, *, html: bool = False, reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    """`text` in reply to `message`, as several messages when it is over Telegram's 4096; buttons under the last.

    An answer near the limit with the announcements put before it would otherwise be refused
    whole ("message is too long"), so it goes in parts cut at paragraphs (`split_message`).
    """
    parts = split_message(text, limit=TEXT_LIMIT, html=html)
    if len(parts) > 1:
        logger.info("a text of %d parts: over Telegram's %d characters", len(parts), TEXT_LIMIT)
    for n, part in enumerate(parts, start=1):
        markup = reply_markup if n == len(parts) else None
        await message.reply_text(part, parse_mode=ParseMode.HTML if html else None, reply_markup=markup)


def build(config: TelegramSettings) -> Application:  # type: ignore[type-arg]
    """The bot's application: handlers, the Bot API address and a rate limiter honouring `retry_after`."""
    istok = AsyncClient(config.istok.url, api_key=config.istok.key)
    assets = Assets(config.istok.url)
    bot = TelegramBot(istok, config.istok.locale, assets)

    async def close(_app: Application) -> None:  # type: ignore[type-arg]
        await istok.aclose()
        await assets.aclose()

    app = (
        ApplicationBuilder()
        .token(config.token)
        .base_url(config.api_url)
        .rate_limiter(AIORateLimiter(max_retries=5))
        .post_shutdown(close)
        .build()
    )
    app.add_handler(CommandHandler("start", bot.on_start))
    app.add_handler(MessageHandler(filters.CONTACT, bot.on_contact))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, bot.on_text))
    app.add_handler(CallbackQueryHandler(bot.on_button))
    app.add_handler(MessageHandler(~filters.TEXT & ~filters.CONTACT, bot.on_other))
    app.add_error_handler(bot.on_error)
    return app


def run(config: TelegramSettings) -> None:
    """Serve until SIGINT or SIGTERM, then stop cleanly (the library finishes the updates in hand)."""
    app = build(config)
    updates = ["message", "callback_query"]
    if config.mode == "webhook":
        logger.info("telegram: webhook on %s:%s for %s", config.listen, config.port, config.webhook_url)
        app.run_webhook(
            listen=config.listen,
            port=config.port,
            url_path="telegram",
            webhook_url=config.webhook_url,
            secret_token=config.secret,
            allowed_updates=updates,
        )
    else:
        logger.info("telegram: long polling %s", config.api_url)
        app.run_polling(allowed_updates=updates, poll_interval=0.0, timeout=10)
    logger.info("telegram: stopped")
