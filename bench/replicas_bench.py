"""Replica benchmark: a publish on one replica, answered and found on another (issue 17).

Two replicas (uvicorn, one worker each, their own data folders, the default settings:
LISTEN/NOTIFY on, the poll every second as fallback) over one throw-away PostgreSQL
database on 127.0.0.1 with the sample content. 200 times: publish the next revision of
an article on A, then ask B's /api/v1/answer and /api/v1/search every 5 ms until both
serve that revision. The time counts from sending the publish to A. Then 20 more on a
third replica with ISTOK_LISTEN=0, for what the poll alone gives. Prints JSON.
Target: p99 ≤ 250 ms with LISTEN/NOTIFY.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402

import kb  # noqa: E402

PG_SERVER = os.environ.get("ISTOK_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
PUBLISHES = 200
POLL_ONLY_PUBLISHES = 20
KEY, LOCALE = "check-balance", "en"
QUESTION = "How do I check my balance?"
#: The pause between two looks at the reader: asking without pause would take the CPU its catch-up needs.
LOOK_EVERY = 0.005
#: A publish not seen on the other replica within this long counts as lost (and ends the run).
GIVE_UP = 10.0
_BOUND = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")


def _serve(url: str, folder: Path, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    """A replica on a port the system picks; returns once its semantic evidence is loaded."""
    folder.mkdir(parents=True)
    log = folder / "server.log"
    environ = {**os.environ, "ISTOK_DATABASE_URL": url, "ISTOK_DATA_DIR": str(folder), **env}
    cmd = [sys.executable, "-m", "uvicorn", "api.app:app", "--host", "127.0.0.1", "--port", "0", "--no-access-log"]
    proc = subprocess.Popen(cmd, env=environ, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        bound = _BOUND.search(log.read_text(encoding="utf-8", errors="replace"))
        if bound:
            try:
                health = httpx.get(bound.group(1) + "/healthz", timeout=2).json()
                if not health["semantic"]["detail"].startswith("warming"):
                    return proc, bound.group(1)
            except httpx.TransportError:
                pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"replica did not start: {log.read_text(encoding='utf-8', errors='replace')[-2000:]}")


def _prepare(url: str, drafts: int) -> dict[str, str]:
    """The sample content published, `drafts` more drafts of the article; returns an editor and a bot key."""
    engine = kb.make_engine(url)
    kb.upgrade(engine)
    kb.import_paths([ROOT / "content"], engine=engine, publish=True)
    source = next((ROOT / "content").glob(f"{LOCALE}/*/{KEY}.md")).read_text(encoding="utf-8").rstrip("\n")
    with kb.write_session(engine) as session:
        for n in range(1, drafts + 1):
            text = f"{source}\n\nChecked again, round {n}.\n"
            kb.save_draft(session=session, source=text, base_revision=n, actor="bench")
        keys = {
            role: kb.create_key(session=session, name=role, role=role, actor="bench")[1] for role in ("editor", "bot")
        }
    engine.dispose()
    return keys


def _served(client: httpx.Client) -> tuple[int | None, int | None]:
    answer = client.get("/api/v1/answer", params={"q": QUESTION, "locale": LOCALE, "channel": "bot"}).json()
    hits = client.get("/api/v1/search", params={"q": QUESTION, "locale": LOCALE}).json()["hits"]
    found = [h["revision"] for h in hits if h["key"] == KEY]
    return (answer.get("provenance") or {}).get("revision"), (found[0] if found else None)


def _run(writer: httpx.Client, reader: httpx.Client, revisions: range) -> dict[str, object]:
    """Publish each revision on the writer; time until the reader answers and finds it."""
    visible: list[float] = []
    publish: list[float] = []
    for revision in revisions:
        started = time.perf_counter()
        reply = writer.post(f"/api/v1/articles/{LOCALE}/{KEY}/publish", json={"revision": revision})
        reply.raise_for_status()
        publish.append(time.perf_counter() - started)
        while _served(reader) != (revision, revision):
            if time.perf_counter() - started > GIVE_UP:
                return {"error": f"revision {revision} not served on the other replica within {GIVE_UP} s"}
            time.sleep(LOOK_EVERY)
        visible.append(time.perf_counter() - started)
    return {"publishes": len(visible), "visible_ms": _figures(visible), "publish_ms": _figures(publish)}


def _figures(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return {
        "p50": round(cuts[49], 1),
        "p95": round(cuts[94], 1),
        "p99": round(cuts[98], 1),
        "max": round(ms[-1], 1),
    }


def main() -> None:
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    name = f"istok_bench_replicas_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        print(json.dumps({"bench": "replicas", "error": f"PostgreSQL is not reachable at {PG_SERVER}: {exc.orig}"}))
        return
    url = f"{PG_SERVER}/{name}"
    procs: list[subprocess.Popen[bytes]] = []
    results: dict[str, object] = {"bench": "replicas", "database": "postgresql", "target_p99_ms": 250}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            workflows = folder / "workflows.yaml"  # publish without review: the sample asks billing for approval
            workflows.write_text("", encoding="utf-8")
            os.environ["ISTOK_WORKFLOWS"] = str(workflows)
            keys = _prepare(url, PUBLISHES + POLL_ONLY_PUBLISHES)
            env = {"ISTOK_JOBS": "0", "ISTOK_RATE_LIMIT": "1000000"}
            for replica, extra in (("a", {}), ("b", {}), ("poll-only", {"ISTOK_LISTEN": "0"})):
                proc, base = _serve(url, folder / replica, **env, **extra)
                procs.append(proc)
                results[f"replica_{replica}"] = base
            bases = [str(results[f"replica_{r}"]) for r in ("a", "b", "poll-only")]
            editor = {"Authorization": f"Bearer {keys['editor']}"}
            bot = {"Authorization": f"Bearer {keys['bot']}"}
            with (
                httpx.Client(base_url=bases[0], headers=editor, timeout=30) as a,
                httpx.Client(base_url=bases[1], headers=bot, timeout=30) as b,
                httpx.Client(base_url=bases[2], headers=bot, timeout=30) as poll_only,
            ):
                results["listen_notify"] = _run(a, b, range(2, PUBLISHES + 2))
                results["listener_b"] = b.get("/healthz").json()["listener"]
                first = PUBLISHES + 2
                results["poll_only"] = _run(a, poll_only, range(first, first + POLL_ONLY_PUBLISHES))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=15)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
