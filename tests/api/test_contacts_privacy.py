"""Erasure and retention over real HTTP and the real CLI: the person goes, the statistics stay."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

from sqlmodel import col, select

import contacts
import kb
from tests.api.conftest import Live
from tests.conftest import ROOT
from tests.helpers import snapshot

NAME = "Quillon Vexbarrow"
PHONE = "+37126655443"
EMAIL = "quillon.vexbarrow@example.org"


def _everything(live: Live) -> str:
    """The whole database as text (every row of every table) plus every file of the search index."""
    engine = live.engine()
    try:
        dump = repr(snapshot(engine))
    finally:
        engine.dispose()
    files = [p for p in live.data_dir.rglob("*") if p.is_file() and not p.name.startswith("istok.db")]
    index = b"".join(p.read_bytes() for p in files)
    return dump + index.decode("utf-8", errors="replace")


def test_erase_leaves_no_trace_of_the_person(live: Live) -> None:
    operator, admin, bot = live.client("operator"), live.client("admin"), live.client("bot")
    visitor = f"web:visitor-erase-{live.db_url[-6:]}"
    created = operator.post(
        "/api/v1/contacts",
        json={
            "name": NAME,
            "locale": "en",
            "consent": {"sales_call": False},
            "identities": [{"channel": "phone", "address": PHONE}, {"channel": "email", "address": EMAIL}],
        },
    )
    cid = created.json()["id"]
    asked = bot.get("/api/v1/answer", params={"q": "how do I top up", "locale": "en", "identity": visitor})
    other = int(asked.headers["X-Istok-Contact"])
    operator.post(
        "/api/v1/interactions",
        json={
            "contact": cid,
            "channel": "email",
            "question": f"{NAME} here, my card was charged twice",
            "outcome": "escalated",
        },
    )
    assert operator.post(f"/api/v1/contacts/{cid}/merge", json={"other": other}).status_code == 200
    assert NAME in _everything(live) and PHONE in _everything(live)

    erased = admin.delete(f"/api/v1/contacts/{cid}")
    assert erased.status_code == 200, erased.text
    assert erased.json() == {**erased.json(), "identities": 3, "interactions": 2, "contacts": 2}

    everything = _everything(live)
    for secret in (NAME, PHONE, PHONE[1:], EMAIL, visitor.split(":", 1)[1]):
        assert secret not in everything, f"{secret!r} is still stored"
    assert operator.get(f"/api/v1/contacts/{cid}").status_code == 404
    assert operator.get("/api/v1/contacts/lookup", params={"channel": "phone", "address": PHONE}).status_code == 404
    engine = live.engine()
    with kb.read_session(engine) as session:  # the statistics are still there, without a person
        kept = list(session.exec(select(contacts.Interaction).where(col(contacts.Interaction.anonymised))))
    engine.dispose()
    assert {(i.channel, i.outcome, i.contact_id, i.question) for i in kept} >= {
        ("web", "answered", None, None),
        ("email", "escalated", None, None),
    }


def test_retention_anonymises_old_interactions_from_the_cli(live: Live) -> None:
    engine = live.engine()
    old_at = kb.utcnow() - dt.timedelta(days=400)
    with kb.write_session(engine) as session:
        contact = contacts.create_contact(session=session, name="Old Timer")
        old = contacts.record_interaction(
            session=session, contact=contact, channel="sms", outcome="answered", question="ancient", at=old_at
        )
        new = contacts.record_interaction(
            session=session, contact=contact, channel="sms", outcome="answered", question="new"
        )
        ids = (old.id, new.id)
    env = {**os.environ, "ISTOK_DATABASE_URL": live.db_url, "ISTOK_DATA_DIR": str(live.data_dir)}
    run = subprocess.run(
        [sys.executable, "-m", "api.cli", "contacts", "retention", "--days", "365", "--json"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert '"anonymised"' in run.stdout
    with kb.read_session(engine) as session:
        old_row, new_row = (session.get(contacts.Interaction, i) for i in ids)
    engine.dispose()
    assert old_row is not None and old_row.question is None and old_row.contact_id is None and old_row.anonymised
    assert new_row is not None and new_row.question == "new" and new_row.contact_id is not None
