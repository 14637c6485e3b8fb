"""`istok-adapter NAME`: start one adapter in this process, configured by its environment.

Each adapter is its own command because `api` may not import `adapters` (DESIGN.md §2), and
because each scales on its own: any number of them, on any host, talking to Istok over HTTP.
"""

from __future__ import annotations

import logging
import os
import sys

import typer

from adapters.settings import SettingsError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Connect Istok to a system you already run.")


@app.callback()
def _adapters() -> None:
    """Every adapter is a subcommand, even while there is one (Typer would make it the command itself)."""


def _logging() -> None:
    level = os.environ.get("ISTOK_ADAPTER_LOG", "INFO").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request drowns what the adapter does


def _fail(err: SettingsError) -> None:
    typer.echo(f"istok-adapter: {err}", err=True)
    raise typer.Exit(2)


@app.command()
def telegram() -> None:
    """A Telegram bot: TELEGRAM_BOT_TOKEN, TELEGRAM_MODE (polling|webhook), ISTOK_URL, ISTOK_API_KEY."""
    from adapters import telegram as adapter

    _logging()
    try:
        config = adapter.TelegramSettings.from_env()
    except SettingsError as err:
        _fail(err)
        return
    adapter.run(config)


@app.command()
def smpp() -> None:
    """SMS through an SMSC (SMPP 3.4): SMPP_HOST, SMPP_SYSTEM_ID, SMPP_PASSWORD, SMPP_SOURCE_ADDR, ISTOK_API_KEY."""
    from adapters import smpp as adapter

    _logging()
    try:
        config = adapter.SmppSettings.from_env()
    except SettingsError as err:
        _fail(err)
        return
    adapter.run(config)


@app.command()
def whatsapp() -> None:
    """WhatsApp Cloud API webhooks: WHATSAPP_ACCESS_TOKEN, _APP_SECRET, _VERIFY_TOKEN, _TEMPLATE, ISTOK_API_KEY."""
    from adapters import whatsapp as adapter

    _logging()
    try:
        config = adapter.WhatsAppSettings.from_env()
    except SettingsError as err:
        _fail(err)
        return
    adapter.run(config)


@app.command()
def chatwoot() -> None:
    """A Chatwoot agent bot: CHATWOOT_URL, CHATWOOT_BOT_TOKEN, CHATWOOT_WEBHOOK_SECRET, ISTOK_URL, ISTOK_API_KEY."""
    from adapters import chatwoot as adapter

    _logging()
    try:
        config = adapter.ChatwootSettings.from_env()
    except SettingsError as err:
        _fail(err)
        return
    adapter.run(config)


@app.command()
def viber() -> None:
    """A Viber bot: VIBER_AUTH_TOKEN, VIBER_WEBHOOK_URL, VIBER_LISTEN, VIBER_PORT, ISTOK_URL, ISTOK_API_KEY."""
    from adapters import viber as adapter

    _logging()
    try:
        config = adapter.ViberSettings.from_env()
    except SettingsError as err:
        _fail(err)
        return
    adapter.run(config)


@app.command()
def agi() -> None:
    """An Asterisk FastAGI server: AGI_OPERATOR, AGI_PORT (4573), ISTOK_URL, ISTOK_API_KEY, ISTOK_MEDIA_URL."""
    from adapters import agi as adapter

    _logging()
    try:
        config = adapter.AgiSettings.from_env()
    except SettingsError as err:
        _fail(err)
        return
    adapter.run(config)


def main() -> None:
    app()
