"""Support for the crash and lock tests: big generated stores, real processes, store invariants.

Nothing here is mocked: stores are real SQLite/PostgreSQL databases, `istok` runs as a
subprocess, and processes are found and killed by pid.
"""

from __future__ import annotations

import fcntl
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

import kb
from kb import Article, LogEntry, LogHead, Revision
from tests.conftest import ROOT

ISTOK = str(Path(sys.executable).parent / "istok")
_WORD_LISTS = {
    "en": "balance account top up card roaming tariff internet router signal bill payment number phone",
    "ru": "баланс счёт пополнить карта роуминг тариф интернет роутер сигнал оплата номер телефон",
    "uk": "баланс рахунок поповнити картка роумінг тариф інтернет роутер сигнал оплата номер телефон",
}
WORDS = {locale: words.split() for locale, words in _WORD_LISTS.items()}
CATEGORIES = ["billing", "tariffs", "roaming", "sim", "home-internet"]


def _words(rng: random.Random, locale: str, n: int) -> str:
    return " ".join(rng.choice(WORDS[locale]) for _ in range(n)).capitalize()


def source(key: str, locale: str, rng: random.Random, *, category: str = "billing", status: str = "published") -> str:
    """A small but whole article: front matter, two paragraphs, an IVR block and a fact."""
    return (
        f"---\nkey: {key}\nlocale: {locale}\ntitle: {_words(rng, locale, 5)}\n"
        f"category: {category}\nsummary: {_words(rng, locale, 10)}.\n"
        f"status: {status}\n---\n{_words(rng, locale, 30)}.\n\n{_words(rng, locale, 25)}.\n\n"
        f"Call {{{{ support_phone }}}}.\n\n::: ivr\n{_words(rng, locale, 8)}.\n:::\n"
    )


def generate(folder: Path, count: int, *, seed: int, status: str = "published") -> None:
    """`count` seeded articles in a content folder (keys `bulk-NNNNN`, three locales) with facts."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "facts.yaml").write_text('support_phone:\n  type: phone\n  value: "+37167000100"\n', encoding="utf-8")
    for i in range(count):
        locale = ("en", "ru", "uk")[i % 3]
        path = folder / locale / f"bulk-{i // 3:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        category = CATEGORIES[(i // 3) % len(CATEGORIES)]
        text = source(f"bulk-{i // 3:05d}", locale, rng, category=category, status=status)
        path.write_text(text, encoding="utf-8")


_templates: dict[tuple[str, int], Path] = {}


def bulk_sqlite(tmp_path_factory: pytest.TempPathFactory, count: int) -> Path:
    """A migrated SQLite file holding `count` published articles, built once per session and size."""
    key = (str(tmp_path_factory.getbasetemp()), count)
    if key not in _templates:
        folder = tmp_path_factory.mktemp(f"bulk{count}")
        generate(folder / "content", count, seed=count)
        engine = kb.make_engine(f"sqlite:///{folder / 'istok.db'}")
        kb.upgrade(engine)
        kb.import_paths([folder / "content"], engine=engine, publish=True)
        engine.dispose()
        _templates[key] = folder / "istok.db"
    return _templates[key]


def copy_store(template: Path, data_dir: Path) -> str:
    """A private copy of a template SQLite store in `data_dir`; returns its URL."""
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, data_dir / "istok.db")
    return f"sqlite:///{data_dir / 'istok.db'}"


def env_for(db_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "ISTOK_DATABASE_URL": db_url, "ISTOK_DATA_DIR": str(data_dir), **extra}


def istok(*args: str, env: dict[str, str], **popen: object) -> subprocess.Popen[str]:
    """`istok ARGS` as a real process, output captured."""
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [ISTOK, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen
    )


def descendants(pid: int) -> list[int]:
    """Every live descendant of `pid` (children, their children, …), from /proc."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            with open(f"/proc/{parent}/task/{parent}/children", encoding="ascii") as f:
                kids = [int(k) for k in f.read().split()]
        except OSError:
            kids = []
        found.extend(kids)
        todo.extend(kids)
    return found


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead but not yet reaped, does not count)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def kill9(proc: subprocess.Popen[str]) -> list[int]:
    """SIGKILL `proc` (only it: its children must die by themselves); returns the children it had."""
    kids = descendants(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    return kids


def survivors(pids: list[int], grace: float = 3.0) -> list[int]:
    """Those of `pids` still running after up to `grace` seconds (death is not instant)."""
    deadline = time.monotonic() + grace
    while True:
        left = [p for p in pids if alive(p)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def reap(pids: list[int]) -> None:
    """Kill what a failed test left running, by pid, so it does not disturb the next one."""
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


class Output:
    """A process's output, read by a thread as it comes (a full pipe would stall the process)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.lines.append(line)

    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, needle: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text():
                return True
            time.sleep(0.05)
        return False


@dataclass
class Served:
    proc: subprocess.Popen[str]
    base: str
    output: Output
    seconds: float  # from start until /healthz answered

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(env: dict[str, str], *, within: float) -> Served:
    """`istok serve` on a free port; fails the test unless /healthz answers within `within` s."""
    port = free_port()
    started = time.monotonic()
    proc = istok("serve", "--port", str(port), "--no-access-log", env=env)
    output = Output(proc)
    base = f"http://127.0.0.1:{port}"
    while time.monotonic() - started < within:
        if proc.poll() is not None:
            time.sleep(0.2)
            pytest.fail(f"istok serve exited with {proc.returncode}:\n{output.text()[-3000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return Served(proc, base, output, time.monotonic() - started)
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    pytest.fail(f"istok serve did not answer /healthz within {within} s:\n{output.text()[-3000:]}")


def make_key(db_url: str, role: str) -> str:
    engine = kb.make_engine(db_url)
    with kb.write_session(engine) as session:
        secret = kb.create_key(session=session, name=f"crash-{role}-{time.monotonic_ns()}", role=role, actor="test")[1]
    engine.dispose()
    return secret


def check_store(db_url: str) -> dict[str, int]:
    """The store's invariants after a crash; returns counts. Fails the test naming what broke.

    Every revision whole (its source parses and hashes to its stored content hash); the
    publication log numbered 1..N with no hole and the head counter at N; every draft and
    published pointer naming an existing revision of its own article.
    """
    engine = kb.make_engine(db_url)
    try:
        with engine.connect() as conn:
            revisions = conn.execute(
                sa.select(Revision.article_id, Revision.number, Revision.source, Revision.content_hash)
            ).all()
            seqs = conn.execute(sa.select(LogEntry.seq).order_by(LogEntry.seq)).scalars().all()
            head = conn.execute(sa.select(LogHead.seq).where(LogHead.id == 1)).scalar_one()
            articles = conn.execute(sa.select(Article.id, Article.draft_revision, Article.published_revision)).all()
    finally:
        engine.dispose()
    numbers: dict[int, set[int]] = {}
    for article_id, number, text, digest in revisions:
        checked = kb.content.check_source(text, file=f"article {article_id} revision {number}")
        assert checked.content_hash == digest, f"article {article_id} revision {number}: hash differs"
        numbers.setdefault(article_id, set()).add(number)
    assert list(seqs) == list(range(1, len(seqs) + 1)), f"publication log has holes: {_holes(list(seqs))}"
    assert head == len(seqs), f"log head {head} but {len(seqs)} entries"
    for article_id, draft, published in articles:
        have = numbers.get(article_id, set())
        assert draft in have, f"article {article_id}: draft pointer {draft} names no revision"
        assert published is None or published in have, f"article {article_id}: published {published} missing"
        assert have == set(range(1, max(have) + 1)), f"article {article_id}: revision numbers {sorted(have)}"
    return {"articles": len(articles), "revisions": len(revisions), "log": len(seqs)}


def _holes(seqs: list[int]) -> list[int]:
    return sorted(set(range(1, (seqs[-1] if seqs else 0) + 1)) - set(seqs))[:20]


def answers(served: Served, key: str, q: str = "роуминг тариф", locale: str = "ru") -> dict[str, object]:
    """One answer request over HTTP; fails the test unless it is a 200."""
    got = httpx.get(
        f"{served.base}/api/v1/answer",
        params={"q": q, "locale": locale, "channel": "bot"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert got.status_code == 200, got.text
    return dict(got.json())


def lock_file(db_url: str, data_dir: Path) -> Path:
    """Where the index of `db_url` in `data_dir` keeps its lock file."""
    engine = kb.make_engine(db_url)
    path = kb.SearchIndex(engine, data_dir=data_dir, use_semantic=False).path.with_suffix(".lock")
    engine.dispose()
    return path


def lock_is_free(path: Path) -> bool:
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def pool_started(proc: subprocess.Popen[str], timeout: float = 60.0) -> list[int]:
    """Wait until `proc` has forked its pool workers; their pids."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        kids = descendants(proc.pid)
        if kids:
            return kids
        time.sleep(0.01)
    pytest.fail("istok reindex ended before its process pool was seen")
