"""Publishes reach every replica at once: PostgreSQL LISTEN/NOTIFY (kb/notify.py), the poll as fallback.

The replicas poll the log only once a minute here (ISTOK_INDEX_POLL=60), so a publish seen on
another replica within a few seconds was carried by a notification. A third replica with
ISTOK_LISTEN=0 shows what the poll alone would have done in that time: nothing.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
import sqlalchemy as sa

import kb
from tests.api.conftest import make_keys, start_server
from tests.conftest import CONTENT, fresh_pg_database

pytestmark = pytest.mark.postgres

KEY, LOCALE = "check-balance", "en"
QUESTION = "How do I check my balance?"
#: Well inside the poll interval of 60 s, and far above what a notification takes.
WITHIN = 5.0


@dataclass
class Replicas:
    db_url: str
    a: str
    b: str
    poll_only: str
    keys: dict[str, str]
    revisions: int


def _source(n: int) -> str:
    text = next(CONTENT.glob(f"{LOCALE}/*/{KEY}.md")).read_text(encoding="utf-8")
    return text.rstrip("\n") + f"\n\nChecked again, round {n}.\n"


def _add_drafts(db_url: str, count: int) -> int:
    """Save `count` more drafts of the article; returns the newest revision number."""
    engine = kb.make_engine(db_url)
    with kb.write_session(engine) as session:
        article = kb.get_article(session=session, key=KEY, locale=LOCALE)
        base = article.draft_revision
        for n in range(count):
            kb.save_draft(session=session, source=_source(base + n), base_revision=base + n, actor="test")
        last = base + count
    engine.dispose()
    return last


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    with fresh_pg_database("istok_notify") as db_url:
        engine = kb.make_engine(db_url)
        kb.import_paths([CONTENT], engine=engine, publish=True)
        engine.dispose()
        last = _add_drafts(db_url, 6)
        keys = make_keys(db_url)
        procs: list[subprocess.Popen[str]] = []
        try:
            bases = []
            for name, env in (("a", {}), ("b", {}), ("poll-only", {"ISTOK_LISTEN": "0"})):
                folder = tmp_path_factory.mktemp(f"replica-{name}")  # a host of its own: its own index
                proc, base = start_server(db_url, folder, ISTOK_INDEX_POLL="60", ISTOK_JOBS="0", **env)
                procs.append(proc)
                bases.append(base)
            a, b, poll_only = bases
            yield Replicas(db_url, a, b, poll_only, keys=keys, revisions=last)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=15)


def _publish(r: Replicas, revision: int) -> None:
    reply = httpx.post(
        f"{r.a}/api/v1/articles/{LOCALE}/{KEY}/publish",
        json={"revision": revision},
        headers={"Authorization": f"Bearer {r.keys['editor']}"},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["published_revision"] == revision


def _served(base: str, r: Replicas) -> tuple[int | None, int | None]:
    """The revision the replica's answer serves and the one its search finds."""
    auth = {"Authorization": f"Bearer {r.keys['bot']}"}
    answer = httpx.get(
        f"{base}/api/v1/answer", params={"q": QUESTION, "locale": LOCALE, "channel": "bot"}, headers=auth, timeout=30
    ).json()
    found = httpx.get(f"{base}/api/v1/search", params={"q": QUESTION, "locale": LOCALE}, headers=auth, timeout=30)
    hits = [h["revision"] for h in found.json()["hits"] if h["key"] == KEY]
    return (answer.get("provenance") or {}).get("revision"), (hits[0] if hits else None)


def _until_served(base: str, r: Replicas, revision: int, within: float) -> float | None:
    """Seconds until both the answer and search on `base` serve `revision`, or None if not within `within`."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if _served(base, r) == (revision, revision):
            return time.monotonic() - started
        time.sleep(0.02)
    return None


def _health(base: str) -> dict[str, object]:
    listener = httpx.get(f"{base}/healthz", timeout=10).json()["listener"]
    assert isinstance(listener, dict)
    return listener


def test_a_publish_on_one_replica_is_answered_and_found_on_another_at_once(replicas: Replicas) -> None:
    assert _health(replicas.b)["connected"] is True
    assert _health(replicas.b)["mode"] == "listen"
    assert (_health(replicas.poll_only)["mode"], _health(replicas.poll_only)["connected"]) == ("poll", False)
    before = _served(replicas.poll_only, replicas)
    for revision in (2, 3):
        _publish(replicas, revision)
        took = _until_served(replicas.b, replicas, revision, WITHIN)
        assert took is not None, f"replica B still serves {_served(replicas.b, replicas)} after {WITHIN} s"
        assert took < 2.0
    # the replica that only polls (once a minute) has not seen either publish: the notification did it
    assert _served(replicas.poll_only, replicas) == before
    assert int(str(_health(replicas.b)["notifications"])) >= 2


def test_a_lost_listener_connection_reconnects_and_catches_up_on_what_it_missed(replicas: Replicas) -> None:
    before = _health(replicas.b)
    engine = kb.make_engine(replicas.db_url)
    with kb.write_session(engine) as session:  # a publish by another process, committed while B has no listener
        kb.publish(
            session=session, article=kb.get_article(session=session, key=KEY, locale=LOCALE), revision=4, actor="t"
        )
        killed = session.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE query LIKE 'LISTEN%' AND datname = current_database()"
            )
        ).all()
        assert len(killed) == 2  # replicas A and B; the poll-only one does not listen
    engine.dispose()
    took = _until_served(replicas.b, replicas, 4, WITHIN)
    assert took is not None, f"replica B still serves {_served(replicas.b, replicas)} after {WITHIN} s"
    deadline = time.monotonic() + WITHIN
    while _health(replicas.b)["reconnects"] == before["reconnects"] and time.monotonic() < deadline:
        time.sleep(0.05)
    after = _health(replicas.b)
    assert after["connected"] is True and int(str(after["reconnects"])) == int(str(before["reconnects"])) + 1
    assert after["notifications"] == before["notifications"]  # no notification reached B: the catch-up did it
    _publish(replicas, 5)  # and the new connection carries the next one
    assert _until_served(replicas.b, replicas, 5, WITHIN) is not None
    assert int(str(_health(replicas.b)["notifications"])) > int(str(before["notifications"]))


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_pg_database("istok_notify_kb") as url:
        yield url


def _notifications(conn: psycopg.Connection[tuple[object, ...]], wait: float = 1.0) -> list[str]:
    return [n.payload for n in conn.notifies(timeout=wait)]


def test_the_notification_is_sent_with_the_commit_and_never_for_a_rollback(pg_url: str, tmp_path: Path) -> None:
    engine = kb.make_engine(pg_url)
    with psycopg.connect(_libpq(pg_url), autocommit=True) as listening:
        listening.execute("LISTEN istok_log")
        with pytest.raises(RuntimeError), kb.write_session(engine) as session:
            saved = kb.save_draft(session=session, source=_article("Kept?"), base_revision=None, actor="t")
            kb.publish(session=session, article=saved.article, revision=1, actor="t")
            raise RuntimeError("changed my mind")
        assert _notifications(listening) == []
        with kb.write_session(engine) as session:
            saved = kb.save_draft(session=session, source=_article("Kept."), base_revision=None, actor="t")
            entry = kb.publish(session=session, article=saved.article, revision=1, actor="t")
            assert entry is not None
            assert _notifications(listening, wait=0.3) == []  # not before the commit
        assert _notifications(listening) == [str(entry.seq)]
        with kb.write_session(engine) as session:
            kb.create_set(session=session, locale="en", terms=["balance", "credit"], actor="t")
        assert _notifications(listening) == ["synonyms"]
    engine.dispose()


def test_on_sqlite_nothing_listens_and_publishing_still_works(tmp_path: Path, sqlite_template: Path) -> None:
    url = f"sqlite:///{tmp_path / 'istok.db'}"
    (tmp_path / "istok.db").write_bytes(sqlite_template.read_bytes())
    engine = kb.make_engine(url)
    with kb.write_session(engine) as session:
        saved = kb.save_draft(session=session, source=_article("Here."), base_revision=None, actor="t")
        assert kb.publish(session=session, article=saved.article, revision=1, actor="t") is not None
    index = kb.SearchIndex(engine, data_dir=tmp_path, use_semantic=False)
    listener = kb.Listener(index)
    listener.start()
    assert listener.state() == kb.ListenerState(mode="poll", connected=False, detail=listener.state().detail)
    assert "sqlite" in listener.state().detail
    index.close()
    engine.dispose()


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _article(body: str) -> str:
    return f"---\nkey: notify-probe\nlocale: en\ntitle: Probe\nsummary: A probe.\n---\n{body}\n"
