"""Viber: a bot on Viber's REST Bot API that answers from Istok (https://developers.viber.com/docs/api/rest-bot-api/).

The adapter is a callback receiver (Starlette under uvicorn) and a sender. On start it asks for
the account (`get_account_info`: its id scopes message tokens, its name signs the messages),
starts listening and only then calls `set_webhook`, because Viber checks the address by calling
it with an `event: webhook` callback, which must be answered 200, before it answers the request
("Setting a Webhook"). A status other than 0 stops the start with Viber's `status_message`.

Each callback's `X-Viber-Content-Signature` is checked against the raw body before anything is
parsed ("Callbacks"); a bad one gets 403 and nothing is done. `conversation_started` is answered
with the welcome message in the response body, the one message Viber allows before a user
subscribes; a `message` is answered after the 200 (Viber calls again when it does not get a 200
in time, and Istok's replay protection makes that harmless); the other events are logged.

What Viber requires of new bots: since 5 February 2024 a bot can only be created by applying to
Rakuten Viber (directly or through an official partner) and signing its commercial terms, with a
monthly maintenance fee per bot; bots created earlier keep the previous model
(https://help.viber.com/hc/en-us/articles/15247629658525-Bot-commercial-model).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters import settings
from adapters.pictures import Assets
from adapters.viber_api import SENDER_NAME_LIMIT, SIGNATURE_HEADER, ViberApi, ViberError, signed
from adapters.viber_bot import ViberBot
from istok_client import AsyncClient

logger = logging.getLogger("istok.adapter.viber")


@dataclass(frozen=True)
class ViberSettings:
    token: str
    webhook_url: str  # the public https address Viber posts callbacks to
    listen: str
    port: int
    api_url: str
    sender_name: str | None  # None: the account's own name
    istok: settings.IstokSettings

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ViberSettings:
        env = os.environ if env is None else env
        url = settings.required(env, "VIBER_WEBHOOK_URL", "the public https address Viber posts callbacks to")
        if not url.startswith("https://"):
            raise settings.SettingsError(
                f"VIBER_WEBHOOK_URL must be an https:// address (Viber requires it), not {url!r}"
            )
        name = env.get("VIBER_SENDER_NAME", "").strip() or None
        if name is not None and len(name) > SENDER_NAME_LIMIT:
            raise settings.SettingsError(f"VIBER_SENDER_NAME may have at most 28 characters, not {len(name)}")
        api_url = env.get("VIBER_API_URL", "").strip() or "https://chatapi.viber.com"
        if not api_url.startswith(("http://", "https://")):
            raise settings.SettingsError(f"VIBER_API_URL must start with http:// or https://, not {api_url!r}")
        return cls(
            token=settings.required(env, "VIBER_AUTH_TOKEN", "the bot's token (Viber app: the bot's Edit info)"),
            webhook_url=url,
            listen=env.get("VIBER_LISTEN", "").strip() or "127.0.0.1",
            port=settings.number(env, "VIBER_PORT", 8080),
            api_url=api_url,
            sender_name=name,
            istok=settings.istok(env),
        )


def build(config: ViberSettings, bot: ViberBot) -> Starlette:
    """The callback receiver, served at the path of VIBER_WEBHOOK_URL (a proxy in front ends TLS)."""

    async def callback(request: Request) -> Response:
        body = await request.body()
        if not signed(config.token, body, request.headers.get(SIGNATURE_HEADER)):
            logger.warning("callback with a bad %s from %s: refused", SIGNATURE_HEADER, request.client)
            return Response(status_code=403)
        try:
            event = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            logger.warning("signed callback that is not JSON: refused")
            return Response(status_code=400)
        kind = event.get("event") if isinstance(event, dict) else None
        if kind == "webhook":
            logger.info("viber: webhook confirmed (%s)", event.get("chat_hostname"))
            return Response(status_code=200)
        if kind == "conversation_started":
            return JSONResponse(bot.welcome(event))
        if kind == "message":
            return Response(status_code=200, background=BackgroundTask(bot.on_message, event))
        bot.note(event)
        return Response(status_code=200)

    path = urlsplit(config.webhook_url).path or "/"
    return Starlette(routes=[Route(path, callback, methods=["POST"])])


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling, which re-raises SIGTERM after the shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def serve(config: ViberSettings) -> int:
    """Listen, set the webhook, serve until SIGTERM or SIGINT; 0 after a clean stop, 1 on a refused start."""
    api = ViberApi(config.api_url, config.token)
    istok = AsyncClient(config.istok.url, api_key=config.istok.key)
    assets = Assets(config.istok.url)
    try:
        try:
            account = await api.account_info()
        except ViberError as err:
            logger.error("viber: cannot start: %s", err)
            return 1
        sender = config.sender_name or str(account.get("name") or "Istok")[:SENDER_NAME_LIMIT]
        bot = ViberBot(
            istok, api, assets, account=str(account["id"]), sender=sender, default_locale=config.istok.locale
        )
        server = _Server(
            uvicorn.Config(
                build(config, bot), host=config.listen, port=config.port, log_level="warning", lifespan="off"
            )
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
        serving = asyncio.ensure_future(server.serve())
        while not server.started and not serving.done():
            await asyncio.sleep(0.02)
        if serving.done():
            return 1  # uvicorn logged why it could not listen
        logger.info("viber: listening on %s:%s for %s", config.listen, config.port, config.webhook_url)
        try:
            hooked = await api.set_webhook(config.webhook_url)
        except ViberError as err:
            logger.error("viber: cannot start: %s", err)
            server.should_exit = True
            await serving
            return 1
        logger.info("viber: webhook set for %s as %r, events %s", account["id"], sender, hooked.get("event_types"))
        await serving
        return 0
    finally:
        await api.aclose()
        await istok.aclose()
        await assets.aclose()


def run(config: ViberSettings) -> None:
    """Serve until SIGTERM (callbacks in hand are finished first); exit 1 when Viber refuses the start."""
    code = asyncio.run(serve(config))
    if code:
        raise SystemExit(code)
    logger.info("viber: stopped")
