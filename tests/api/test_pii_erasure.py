"""Client words keep no personal data, and erasure finds what a contact said in every table.

Over real HTTP on SQLite and PostgreSQL: questions asked through the answer API with
`contact=` and `identity=` leave content gaps and timeline entries with phones, e-mails
and cards masked; erasing the contact deletes its gaps, and on SQLite not even the file's
free pages or write-ahead log hold the name. A real `istok serve` writes an access log
without the query strings of the private paths.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlmodel import select

import contacts
import kb
from tests.api.conftest import Live, free_port, make_keys
from tests.conftest import ROOT
from tests.helpers import snapshot

NAME = "Zorvath Quellbright"
PHONE = "+37126655117"
SPOKEN_PHONE = "+371 26 655 117"
EMAIL = "zorvath.quellbright@example.org"
CARD = "4111 1111 1111 1111"
NEW_PHONE = "+380671234567"
NEW_PHONE_TYPED = "+38 (067) 123-45-67"
GIBBERISH = "xyzzy frobnicate quuxle plughword"


def _secrets() -> tuple[str, ...]:
    return (SPOKEN_PHONE, PHONE, PHONE[1:], EMAIL, CARD, CARD.replace(" ", ""), NEW_PHONE_TYPED, NEW_PHONE[1:])


def _gaps(live: Live) -> str:
    got = live.client("editor").get("/api/v1/gaps", params={"limit": 100})
    assert got.status_code == 200, got.text
    return repr(got.json())


def _dump(live: Live) -> str:
    engine = live.engine()
    try:
        return repr(snapshot(engine))
    finally:
        engine.dispose()


def test_client_words_are_masked_and_erasure_removes_the_contacts_gaps(live: Live) -> None:
    operator, admin, bot = live.client("operator"), live.client("admin"), live.client("bot")
    created = operator.post(
        "/api/v1/contacts",
        json={
            "name": NAME,
            "identities": [{"channel": "phone", "address": PHONE}, {"channel": "email", "address": EMAIL}],
        },
    )
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    said = f"{NAME} here, call {SPOKEN_PHONE} or write {EMAIL}, card {CARD}, {GIBBERISH}"
    asked = bot.get("/api/v1/answer", params={"q": said, "locale": "en", "contact": cid})
    assert asked.status_code == 200 and asked.json()["status"] == "handoff", asked.text
    by_identity = bot.get(
        "/api/v1/answer", params={"q": f"{NAME}, {GIBBERISH} blorft", "locale": "en", "identity": f"phone:{PHONE}"}
    )
    assert by_identity.json()["status"] == "handoff" and int(by_identity.headers["X-Istok-Contact"]) == cid
    first_sight = bot.get(  # a new client: the contact is created, and the gap carries its id
        "/api/v1/answer",
        params={
            "q": f"Kalvin Droppe, {NEW_PHONE_TYPED}, {GIBBERISH} zorgle",
            "locale": "en",
            "identity": f"phone:{NEW_PHONE}",
        },
    )
    assert first_sight.json()["status"] == "handoff", first_sight.text
    newcomer = int(first_sight.headers["X-Istok-Contact"])
    anonymous = bot.get("/api/v1/answer", params={"q": f"{GIBBERISH} 300 *555#", "locale": "en"})
    assert anonymous.json()["status"] == "handoff", anonymous.text

    gaps = _gaps(live)
    assert NAME in gaps and "[phone]" in gaps and "[email]" in gaps and "[card]" in gaps
    assert f"{GIBBERISH} 300 *555#" in gaps  # ordinary numbers are kept
    stored = _dump(live)
    for secret in _secrets():
        assert secret not in gaps and secret not in _gaps_and_timeline(live), f"{secret!r} kept in client words"
    assert NAME in stored

    erased = admin.delete(f"/api/v1/contacts/{cid}")
    assert erased.status_code == 200, erased.text
    assert erased.json()["gaps"] == 2
    assert admin.delete(f"/api/v1/contacts/{newcomer}").json()["gaps"] == 1

    gaps = _gaps(live)
    assert NAME not in gaps and "Kalvin Droppe" not in gaps and f"{GIBBERISH} 300 *555#" in gaps
    stored = _dump(live)
    for secret in (NAME, "Kalvin Droppe", *_secrets()):
        assert secret not in stored, f"{secret!r} is still stored"
    if live.db_url.startswith("sqlite"):
        path = Path(live.db_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))  # the file, its WAL and shm
        for secret in (NAME, "Kalvin Droppe", EMAIL, PHONE):
            assert secret.encode() not in raw, f"{secret!r} is still in the bytes of the SQLite file"


def _gaps_and_timeline(live: Live) -> str:
    """What the content gaps and the timeline hold of client words, straight from the tables."""
    engine = live.engine()
    try:
        with kb.read_session(engine) as session:
            gaps = [(g.question, g.normalised) for g in session.exec(select(kb.ContentGap))]
            said = [i.question for i in session.exec(select(contacts.Interaction))]
    finally:
        engine.dispose()
    return repr((gaps, said))


def test_the_access_log_of_istok_serve_drops_private_query_strings(tmp_path: Path, sqlite_template: Path) -> None:
    shutil.copy(sqlite_template, tmp_path / "istok.db")
    db_url = f"sqlite:///{tmp_path / 'istok.db'}"
    keys = make_keys(db_url)
    port = free_port()
    env = {
        **os.environ,
        "ISTOK_DATABASE_URL": db_url,
        "ISTOK_DATA_DIR": str(tmp_path),
        "ISTOK_SECRET_KEY": "access-log-test",
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        bot = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {keys['operator']}"}, timeout=30)
        private = [
            ("/api/v1/answer", {"q": f"{NAME} {SPOKEN_PHONE}", "identity": f"phone:{PHONE}"}),
            ("/api/v1/search", {"q": f"{EMAIL} card"}),
            ("/api/v1/contacts/lookup", {"channel": "phone", "address": PHONE}),
            ("/api/v1/ivr/menu", {"phone": PHONE}),
            ("/help/en/search", {"q": f"{NAME} {EMAIL}"}),
            ("/help/ru/suggest", {"q": SPOKEN_PHONE}),
            ("/widget/answer", {"q": f"{NAME} {EMAIL}"}),
            ("/panel", {"phone": PHONE}),
        ]
        for path, params in private:
            bot.get(path, params=params)
        bot.get("/api/v1/changes", params={"since": "0"})  # not private: its query string stays
        bot.get("/healthz")
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    text = log.read_text()
    assert "GET /api/v1/changes?since=0" in text, text
    for path, _ in private:
        assert f"GET {path}" in text, f"{path} is not in the access log:\n{text}"
    for secret in (NAME, NAME.split()[0], EMAIL, PHONE, PHONE[1:], "26655117", "%2B371", "q="):
        assert secret not in text, f"{secret!r} reached the access log:\n{text}"
