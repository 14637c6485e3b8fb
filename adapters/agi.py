"""Asterisk: a FastAGI server (`agi://host:4573/istok`) that runs Istok's phone menu for each call.

The dialplan hands a call over with `AGI(agi://adapter-host/istok[,locale])`. The caller hears
their menu (`ivr_menu`: their open case's and frequent topics first), presses a key, and hears
the answer for that topic; then `1` or `*` repeats it, `0` puts them through to an operator and
`#` returns to the menu. No key within AGI_TIMEOUT_MS plays the menu once more, and a second
silence goes to an operator (or, once the caller has heard an answer, ends the call politely);
a key with no option says so and plays the menu again. Every loop is bounded (MAX_TURNS), so
no call circles forever.

FastAGI carries no audio, so Asterisk plays Istok's 8 kHz WAVs by URL (Asterisk 14+ plays
http(s) URLs through res_http_media_cache wherever it plays a file). The adapter asks Istok for a
short-lived signed URL for each prompt (`speech_link`), so Asterisk holds no API key, and plays
it with `GET DATA <url>&<url> <timeout> 1`: GET DATA streams its prompts with every key as
barge-in (the caller may press while the menu plays) and returns the key, or `(timeout)`. A
prompt list is split on `&`, which is why Istok puts the token in the URL's path. With
AGI_TTS_APP (for instance unimrcp's `MRCPSynth`) the SSML goes to that application instead
(`EXEC MRCPSynth "<speak>…"`) and `WAIT FOR DIGIT` collects the key after it.

Protocol facts: https://docs.asterisk.org/Configuration/Interfaces/Asterisk-Gateway-Interface-AGI/;
GET DATA (digits, `(timeout)`, `#` ends input and cannot be read):
https://docs.asterisk.org/Latest_API/API_Documentation/AGI_Commands/get_data; WAIT FOR DIGIT and
STREAM FILE (a key as its ASCII code, 0 for none, -1 on hangup):
https://docs.asterisk.org/Latest_API/API_Documentation/AGI_Commands/wait_for_digit; playing a URL
("If the filename is able to be parsed as a URL, Asterisk will download the file"):
https://docs.asterisk.org/Latest_API/API_Documentation/Dialplan_Applications/Playback and
https://docs.asterisk.org/Development/Roadmap/Asterisk-14-Projects/Asterisk-14-Project-URI-Media-Playback
(the URL carries its extension; the download is cached by HTTP's rules: Cache-Control, ETag).

Each exchange goes on the caller's timeline as `phone:<caller id>` via `ivr`: the topic's unit
heard (recorded with the call's unique id and step as its message id, so a retried request is
recorded once) and a transfer to an operator (a `handoff`). A caller id is only a claim, so nothing
personal is read out: the menu's order is all it changes. A withheld or anonymous number has no
identity, and its exchanges are answered without a timeline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from typing import Final, Literal

import httpx

from adapters.agi_protocol import AgiChannel, AgiError, HungUp, quote
from adapters.agi_settings import AgiSettings, call_locale, caller_number
from istok_client import AsyncClient, Forbidden, Identity, InvalidRequest, IstokError, NotFound, RateLimited
from istok_client.models import Menu, MenuOption

__all__ = ["AgiServer", "AgiSettings", "Call", "run"]  # AgiSettings: what `istok-adapter agi` reads

logger = logging.getLogger("istok.adapter.agi")

CHANNEL: Final[Literal["ivr"]] = "ivr"  # the timeline's channel; the identity channel is `phone`
MAX_TURNS = 12  # keys read in one call before it goes to an operator
MAX_SILENCES = 2  # menus with no key before an operator
MAX_REPEATS = 3
OWN_CASES = "9"  # the key for one's own open requests, offered to a caller with a number
MAX_PIN = 8
LINK_REUSE_SECONDS = 240.0  # well inside the lifetime of Istok's signed links (600 s)
STOP_GRACE = 10.0  # seconds calls in progress get to finish on SIGTERM


class Transfer(Exception):
    """The call goes to an operator; `why` is what the timeline records."""

    def __init__(self, why: str, topic: str | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.topic = topic


class Call:
    """One caller's menu, from answer to hang-up or transfer."""

    def __init__(self, agi: AgiChannel, istok: AsyncClient, config: AgiSettings) -> None:
        self.agi = agi
        self.istok = istok
        self.config = config
        self.caller = caller_number(agi.env)
        self.locale = call_locale(agi.env, config.locale)
        self.call_id = agi.env.get("agi_uniqueid") or "call"
        self.steps = 0
        self.identity = Identity(channel="phone", address=self.caller) if self.caller else None
        self.heard = False  # a unit was played: silence at the menu then ends the call
        self._links: dict[tuple[str, str | None], tuple[float, str, str]] = {}

    async def run(self) -> None:
        await self.agi.command("ANSWER")
        menu = await self.istok.ivr_menu(caller=self.caller, locale=self.locale)
        logger.info(
            "call %s: menu for %s (personalised: %s)",
            self.call_id,
            self.caller or "a withheld number",
            menu["personalised"],
        )
        try:
            await self.menu_loop(menu)
        except Transfer as transfer:
            await self.transfer(transfer)
            return
        await self.play_only("prompt", "goodbye")
        await self.agi.command("HANGUP")

    async def menu_loop(self, menu: Menu) -> None:
        options = {o["digit"]: o for o in menu["options"]}
        silences = 0
        menu_prompts: list[tuple[str, str | None]] = [("menu", None)]
        own_cases = self.identity is not None and OWN_CASES not in options  # a number to hear them by, a key free
        if own_cases:
            menu_prompts.append(("prompt", "cases_offer"))
        for _turn in range(MAX_TURNS):
            key = await self.ask(menu_prompts)
            if key is None:
                silences += 1
                if silences >= MAX_SILENCES and self.heard:
                    return  # answered, and nothing more asked: goodbye
                if silences >= MAX_SILENCES:
                    raise Transfer("no key pressed")
                continue
            option = options.get(key)
            if key == OWN_CASES and own_cases:
                silences = 0
                await self.own_cases()
                continue
            if key == "0" or (option is not None and option["topic"] == "support"):
                raise Transfer("asked for an operator", option["topic"] if option else None)
            if option is None:
                await self.play_only("prompt", "invalid")
                continue
            silences = 0
            if await self.topic(option) == "menu":
                continue
        raise Transfer("too many turns")

    async def topic(self, option: MenuOption) -> str:
        """The topic's unit, then repeat / operator / menu; "menu" to go back to it.

        A menu option is a topic (an article category); its unit is the one Istok's routing ranks
        first in that category for the option's own words, the same unit the caller would be
        answered with had they said them.
        """
        self.steps += 1
        route = await self.istok.suggest_route(option["label"], locale=self.locale)
        article = next((a for a in route["articles"] if a["category"] == option["topic"]), None)
        if article is None:
            raise Transfer("no unit for the topic", option["topic"])
        logger.info("call %s: topic %s answered with %s", self.call_id, option["topic"], article["key"])
        if self.identity is not None:
            await self.istok.record_interaction(
                channel=CHANNEL,
                outcome="answered",
                identity=self.identity,
                article={"key": article["key"], "locale": article["locale"], "revision": article["revision"]},
                topic=option["topic"],
                question=option["label"],
                locale=self.locale,
                message=f"{self.call_id}:{self.steps}",
            )
        unit = ("article", article["key"])
        self.heard = True
        for _repeat in range(MAX_REPEATS + 1):
            key = await self.ask([unit, ("prompt", "after")])
            if key in ("1", "*"):
                continue
            if key == "0":
                raise Transfer("asked for an operator", option["topic"])
            return "menu"
        return "menu"

    async def own_cases(self) -> None:
        """The caller's open requests, once they keyed their PIN: a caller id alone is only a claim."""
        if self.identity is None:
            return
        pin = await self.ask_digits(("prompt", "pin_ask"))
        if not pin:
            return
        try:
            proof = await self.istok.verify_contact(self.identity, pin)
        except RateLimited:
            await self.play_only("prompt", "pin_locked")
            return
        except Forbidden:
            logger.info("call %s: a wrong PIN", self.call_id)
            await self.play_only("prompt", "pin_wrong")
            return
        except (InvalidRequest, NotFound):
            await self.play_only("prompt", "pin_none")
            return
        logger.info("call %s: the caller proved who they are: their open requests", self.call_id)
        await self.play_only("cases", proof["token"])

    async def ask_digits(self, prompt: tuple[str, str | None]) -> str:
        """Play `prompt` and read up to MAX_PIN digits ended by `#` (GET DATA ends on it by itself)."""
        timeout = str(self.config.timeout_ms)
        url, ssml = await self.link(*prompt)
        if self.config.tts_app is None:
            reply = await self.agi.command("GET DATA", self.config.media_url + url, timeout, str(MAX_PIN))
            return reply.digits
        await self.agi.command("EXEC", self.config.tts_app, quote(_app_argument(ssml)))
        digits = ""
        while len(digits) < MAX_PIN:
            reply = await self.agi.command("WAIT FOR DIGIT", timeout)
            if not reply.result or chr(reply.result) == "#":
                break
            digits += chr(reply.result)
        return digits

    async def ask(self, prompts: list[tuple[str, str | None]]) -> str | None:
        """Play `prompts` and return the key pressed during or after them, None for silence."""
        timeout = str(self.config.timeout_ms)
        links = [await self.link(kind, value) for kind, value in prompts]
        if self.config.tts_app is None:
            urls = "&".join(self.config.media_url + url for url, _ in links)
            reply = await self.agi.command("GET DATA", urls, timeout, "1")
            return reply.digits or None  # `result= (timeout)`: nothing pressed; `#` alone ends it empty too
        for _, ssml in links:
            await self.agi.command("EXEC", self.config.tts_app, quote(_app_argument(ssml)))
        reply = await self.agi.command("WAIT FOR DIGIT", timeout)
        return chr(reply.result) if reply.result else None  # the key's ASCII code; 0 for a timeout

    async def play_only(self, kind: str, value: str | None) -> None:
        url, ssml = await self.link(kind, value)
        if self.config.tts_app is None:
            await self.agi.command("STREAM FILE", self.config.media_url + url, '""')
        else:
            await self.agi.command("EXEC", self.config.tts_app, quote(_app_argument(ssml)))

    async def link(self, kind: str, value: str | None) -> tuple[str, str]:
        """A signed URL Asterisk fetches without a key, and the SSML it speaks.

        A link is reused within the call while it is fresh, so Asterisk's media cache, which is
        keyed by URL, plays a repeated prompt from its cache.
        """
        now = time.monotonic()
        known = self._links.get((kind, value))
        if known is not None and known[0] > now:
            return known[1], known[2]
        if kind == "menu":
            got = await self.istok.speech_link("menu", self.locale, caller=self.caller)
        elif kind == "article":
            got = await self.istok.speech_link("article", self.locale, key=value)
        elif kind == "cases":
            got = await self.istok.speech_link("cases", self.locale, caller=self.caller, verification=value)
        else:
            got = await self.istok.speech_link("prompt", self.locale, name=value)
        self._links[(kind, value)] = (now + LINK_REUSE_SECONDS, str(got["url"]), str(got["ssml"]))
        return str(got["url"]), str(got["ssml"])

    async def transfer(self, transfer: Transfer) -> None:
        """Say so, record the handoff, and Dial the operators (the bridge lasts as long as the call)."""
        logger.info("call %s: to an operator (%s)", self.call_id, transfer.why)
        if self.identity is not None:
            await self.istok.record_interaction(
                channel=CHANNEL,
                outcome="handoff",
                identity=self.identity,
                topic=transfer.topic,
                question=transfer.why,
                locale=self.locale,
                message=f"{self.call_id}:handoff",
            )
        await self.play_only("prompt", "operator")
        await self.agi.command("EXEC", "Dial", quote(self.config.operator))


def _app_argument(ssml: str) -> str:
    """SSML as one dialplan application argument: on one line, its commas escaped (ast_app_separate_args)."""
    return " ".join(ssml.split()).replace("\\", "\\\\").replace(",", "\\,")


class AgiServer:
    """Accepts Asterisk's connections, one call each; stops accepting on SIGTERM and lets calls end."""

    def __init__(self, config: AgiSettings) -> None:
        self.config = config
        self.istok = AsyncClient(config.istok.url, api_key=config.istok.key)
        self.calls: set[asyncio.Task[None]] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.calls.add(task)
        agi = AgiChannel(reader, writer)
        try:
            await agi.read_env()
            script = agi.env.get("agi_network_script", "")
            if script.split("?")[0].strip("/") != "istok":
                logger.warning("a call asked for script %r, not istok: hanging up", script)
                await agi.command("HANGUP")
                return
            await Call(agi, self.istok, self.config).run()
        except HungUp:
            logger.info("call %s: the caller hung up", agi.env.get("agi_uniqueid", "?"))
        except (IstokError, httpx.TransportError, OSError) as exc:  # Istok down: a person still answers
            logger.error("call %s: Istok failed (%s): to an operator", agi.env.get("agi_uniqueid", "?"), exc)
            with contextlib.suppress(HungUp, AgiError, OSError):
                await agi.command("EXEC", "Dial", quote(self.config.operator))
        except AgiError as exc:
            logger.error("call %s: Asterisk refused a command: %s", agi.env.get("agi_uniqueid", "?"), exc)
        finally:
            await agi.close()
            if task is not None:
                self.calls.discard(task)

    async def serve(self) -> None:
        server = await asyncio.start_server(self.handle, self.config.listen, self.config.port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        logger.info("agi: listening on agi://%s:%s/istok", self.config.listen, self.config.port)
        async with server:
            await stop.wait()
            server.close()
            if self.calls:
                logger.info("agi: waiting for %d calls to end", len(self.calls))
                _done, pending = await asyncio.wait(self.calls, timeout=STOP_GRACE)
                for task in pending:
                    task.cancel()
        await self.istok.aclose()


def run(config: AgiSettings) -> None:
    """Serve until SIGINT or SIGTERM, then stop cleanly."""
    asyncio.run(AgiServer(config).serve())
    logger.info("agi: stopped")
