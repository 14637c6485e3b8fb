"""What every adapter test does alike: start `istok-adapter NAME` as its own process, wait, read, stop.

Each adapter runs as it does in production: a process of its own, given Istok's URL, a bot key
and its service's settings in its environment. Its output goes to a log file (a pipe nobody reads
would fill up and freeze it), which the tests read for what it decided.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from PIL import Image

from istok_client import Client
from tests.api.conftest import Live
from tests.conftest import ROOT
from tests.helpers import article

ADAPTER = str(Path(sys.executable).parent / "istok-adapter")
PUBLIC = "https://help.sfera.example"  # the help centre's public address, as links in answers show it
FakeT = TypeVar("FakeT")


def environment(service: str, istok: Live | None = None, **settings: str) -> dict[str, str]:
    """This environment without `service`'s own settings (`TELEGRAM_…`), then Istok's URL and bot key, then `settings`.

    Dropping the service's variables keeps a developer's real tokens out of the tests, and lets a
    test leave one out to see the start refused.
    """
    prefix = service.upper() + "_"
    environ = {k: v for k, v in os.environ.items() if not k.startswith(prefix)}
    if istok is not None:
        environ |= {"ISTOK_URL": istok.base, "ISTOK_API_KEY": istok.keys["bot"]}
    return environ | settings


def refused_start(service: str, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`istok-adapter service` run to its end with `environ`: for a start that is refused (a setting, a token)."""
    return subprocess.run(
        [ADAPTER, service], env=environ, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


def wait_for(
    predicate: Callable[[], object], what: str, *, timeout: float = 30.0, proc: subprocess.Popen[str] | None = None
) -> None:
    """Wait until `predicate()` is true; fail naming `what`, at once if `proc` (the adapter) exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the adapter exited ({proc.returncode}) before {what}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Adapter(Generic[FakeT]):
    """An `istok-adapter` process, the fake service it talks to, and the log it writes."""

    fake: FakeT
    proc: subprocess.Popen[str]
    log: Path

    @classmethod
    def start(cls, service: str, fake: FakeT, *, log: Path, environ: dict[str, str]) -> Adapter[FakeT]:
        """`istok-adapter service` started with `environ`, its output in `log`."""
        with log.open("w", encoding="utf-8") as out:  # the process keeps its own handle
            proc = subprocess.Popen(
                [ADAPTER, service], env=environ, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True
            )
        return cls(fake, proc, log)

    def logged(self) -> str:
        """What the adapter has logged so far."""
        return self.log.read_text(encoding="utf-8")

    def wait_for(self, predicate: Callable[[], object], what: str, *, timeout: float = 30.0) -> None:
        """`wait_for`, failing at once should this adapter exit first."""
        wait_for(predicate, what, timeout=timeout, proc=self.proc)

    def wait_listening(self, port: int, *, timeout: float = 60.0) -> None:
        """Wait until the adapter accepts connections on 127.0.0.1:`port`, its webhook or FastAGI server."""
        self.wait_for(lambda: _accepts(port), "listening", timeout=timeout)

    def wait_logged(self, line: str) -> None:
        """Wait until the adapter has logged `line`: what it decided, where nothing else shows it."""
        self.wait_for(lambda: line in self.logged(), repr(line))

    def stop(self) -> str:
        """SIGTERM, as a service manager stops it; the log, once it has exited 0."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        text = self.logged()
        assert self.proc.returncode == 0, text[-3000:]
        return text


def timeline(istok: Live, identity: str) -> list[dict[str, object]]:
    """The last interactions of the contact that `identity` (`channel:address`) belongs to."""
    with istok.client("operator") as http:
        channel, address = identity.split(":", 1)
        contact = http.get("/api/v1/contacts/lookup", params={"channel": channel, "address": address})
        contact.raise_for_status()
        context = http.get(f"/api/v1/contacts/{contact.json()['id']}/context")
        context.raise_for_status()
        return list(context.json()["last_interactions"])


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class Pictured:
    """An article published for a test whose bot answer shows an uploaded image."""

    question: str
    asset: str
    alt: str
    png: bytes  # the bytes Istok serves for the image


def publish_pictured(istok: Live, *, key: str, alt: str = "Кнопка WPS на задней стенке роутера") -> Pictured:
    """Upload a picture and publish `ru/<key>`, whose bot answer names it; what a client asks to get it.

    The picture is drawn afresh per key, so each test has an image no earlier test sent.
    """
    drawn = io.BytesIO()
    Image.new("RGB", (320, 200), (zlib.crc32(key.encode()) % 256, 90, 160)).save(drawn, format="PNG")
    title = f"Как подключить роутер {key.upper()} по кнопке WPS?"
    with Client(istok.base, api_key=istok.keys["editor"]) as client:
        stored = client.upload_image(drawn.getvalue())
        ref = f"asset:{stored['id']}"
        body = f"::: bot\n![{alt}]({ref})\nНажмите кнопку WPS на роутере {key.upper()} и подождите минуту.\n:::\n"
        body += f"\nНажмите кнопку WPS на задней стенке роутера.\n\n![{alt}]({ref})\n"
        client.create_article("ru", key, article(key=key, locale="ru", title=title, body=body))
        client.publish_article("ru", key)
    with istok.client() as anon:
        served = anon.get(f"/assets/{stored['id']}").content
    wait_for(lambda: _answers(istok, title, key), f"{key} to be answered")
    return Pictured(question=title.rstrip("?").lower(), asset=stored["id"], alt=alt, png=served)


def _answers(istok: Live, question: str, key: str) -> bool:
    with istok.client("bot") as http:
        reply = http.get("/api/v1/answer", params={"q": question, "locale": "ru", "channel": "bot"}).json()
    return reply.get("status") == "answered" and (reply.get("provenance") or {}).get("key") == key


def announce(istok: Live, *, key: str, summary: str) -> None:
    """Publish `ru/<key>`, an announcement for everyone from an hour ago to an hour ahead."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    source = article(
        key=key,
        locale="ru",
        title="Плановые работы",
        body="Подробности.",
        kind="announcement",
        summary=json.dumps(summary, ensure_ascii=False),
        until=(now + dt.timedelta(hours=1)).isoformat(),
        **{"from": (now - dt.timedelta(hours=1)).isoformat()},
    )
    with Client(istok.base, api_key=istok.keys["editor"]) as client:
        client.create_article("ru", key, source)
        client.publish_article("ru", key)


def withdraw(istok: Live, key: str) -> None:
    """Take `ru/<key>` off, so the module's later tests meet no announcement."""
    with Client(istok.base, api_key=istok.keys["editor"]) as client:
        client.unpublish_article("ru", key)
