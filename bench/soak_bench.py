"""Soak benchmark: answers, searches, edits and publishes against two replicas behind nginx (issue 17).

Not a test and not in `make bench`: it lasts ISTOK_SOAK_SECONDS (default 600). Two replicas run
as `istok@.service` runs them (`istok serve --workers 2`, the default configuration, the
semantic evidence on) over one throw-away PostgreSQL database on 127.0.0.1 holding the sample
content, each with a data folder of its own, behind Debian's nginx running the shipped
`deploy/nginx/istok.conf` (started the way tests/test_deploy_nginx.py starts it). Readers ask
and search the questions of content/questions.csv and a writer edits and publishes the sample
articles in turn, each source keeping its size (tests/faults/traffic.py), all through nginx, each
pausing a little between requests: what grows is the revision history, not what a replica serves.

Reported as JSON: requests and statuses, the 5xx count and requests with no answer, lost
revisions (acknowledged saves and publishes missing from the store afterwards, and published
revisions a replica does not serve at the end), and the RSS of each replica (its supervisor and
workers summed, and each process) after the warm-up and at the end, with the growth in percent,
and the workers uvicorn's supervisor restarted meanwhile.
Targets (the issue's): zero 5xx, zero lost revisions, RSS growth ≤ 5 % after the warm-up.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psutil  # noqa: E402
import yaml  # noqa: E402

import kb  # noqa: E402
from tests.api.conftest import make_keys  # noqa: E402
from tests.conftest import CONTENT, fresh_pg_database  # noqa: E402
from tests.faults.store import missing_acknowledged  # noqa: E402
from tests.faults.traffic import Traffic  # noqa: E402
from tests.test_deploy_nginx import Replica, _launch_replica, _start_nginx, _wait_ready  # noqa: E402

SECONDS = float(os.environ.get("ISTOK_SOAK_SECONDS", "600"))
#: The first part of the run, not measured for growth: caches and the allocator settle.
WARM_UP = min(60.0, max(10.0, SECONDS * 0.15))
READERS, WRITERS = 3, 1
#: Seconds each reader and writer waits between two requests: a steady load, not a saturating one.
PAUSE = 0.02
CLIENT_TIMEOUT = 30.0


def _questions() -> list[tuple[str, str]]:
    with (CONTENT / "questions.csv").open(encoding="utf-8") as f:
        return [(row["locale"], row["question"]) for row in csv.DictReader(f)]


def _sample_articles() -> list[tuple[str, str]]:
    """(locale, key) of the sample articles an editor may publish at once: `content/<locale>/<category>/<key>.md`
    in a category whose workflow (content/workflows.yaml) asks no approval first."""
    workflows = yaml.safe_load((CONTENT / "workflows.yaml").read_text(encoding="utf-8")) or {}
    default = (workflows.get("default") or {}).get("approvals", 0)
    reviewed = {name for name, flow in workflows.items() if (flow or {}).get("approvals", default)}
    return sorted(
        (path.parent.parent.name, path.stem) for path in CONTENT.glob("*/*/*.md") if path.parent.name not in reviewed
    )


def _rss(replica: Replica) -> dict[str, Any]:
    """RSS in MB of the replica's process group: each process, and their sum."""
    try:
        top = psutil.Process(replica.proc.pid)
        procs = [top, *top.children(recursive=True)]
        each = {str(p.pid): round(p.memory_info().rss / 2**20, 1) for p in procs}
    except psutil.NoSuchProcess:
        return {"total_mb": None, "processes_mb": {}}
    return {"total_mb": round(sum(each.values()), 1), "processes_mb": each}


def _growth(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float | None]:
    """Growth in percent of the summed RSS, and of the processes alive at both samples only (a worker
    restarted by uvicorn's supervisor starts small again, which would hide growth in the sum)."""
    same = sorted(set(before["processes_mb"]) & set(after["processes_mb"]))
    then = sum(before["processes_mb"][p] for p in same)
    now = sum(after["processes_mb"][p] for p in same)
    total = None
    if before["total_mb"] and after["total_mb"]:
        total = round(100.0 * (after["total_mb"] - before["total_mb"]) / before["total_mb"], 2)
    return {"total": total, "same_processes": round(100.0 * (now - then) / then, 2) if then else None}


def _since(before: dict[str, int], now: dict[str, int]) -> dict[str, int]:
    return {what: now[what] - before[what] for what in now}


def _restarts(replica: Replica) -> dict[str, int]:
    """Workers uvicorn's supervisor found dead or killed for missing its health check, from the log."""
    text = replica.log.read_text(encoding="utf-8", errors="replace")
    return {"died": text.count("] died"), "terminated": text.count("Terminated child process")}


def _not_served(replicas: list[Replica], bot: str, traffic: Traffic) -> list[str]:
    """Articles whose newest acknowledged publish a replica does not render at the end."""
    newest = {(p.locale, p.key): p.revision for p in sorted(traffic.published, key=lambda p: p.seq or 0)}
    behind = []
    auth = {"Authorization": f"Bearer {bot}"}
    for replica in replicas:
        with httpx.Client(base_url=replica.base, headers=auth, timeout=CLIENT_TIMEOUT) as client:
            for (locale, key), revision in newest.items():
                got = client.get(f"/api/v1/articles/{locale}/{key}/render/web")
                if got.status_code != 200 or got.headers.get("X-Istok-Revision") != str(revision):
                    behind.append(f"{replica.name}: {locale}/{key} revision {revision} ({got.status_code})")
    return behind


def _nginx_binary() -> str:
    path = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if path is None:
        raise SystemExit("nginx is not installed (apt-get install nginx)")
    return path


def soak(folder: Path) -> dict[str, Any]:
    with fresh_pg_database("istok_soak") as db_url:
        engine = kb.make_engine(db_url)
        kb.import_paths([CONTENT], engine=engine, publish=True)
        engine.dispose()
        keys = make_keys(db_url)
        shared = {"ISTOK_SECRET_KEY": secrets.token_urlsafe(32), "ISTOK_RATE_LIMIT": "100000"}
        replicas = [_launch_replica(name, db_url, folder / name, shared) for name in ("a", "b")]
        nginx = None
        try:
            for replica in replicas:
                _wait_ready(replica)
            (folder / "nginx").mkdir()
            nginx, base = _start_nginx(
                _nginx_binary(), folder / "nginx", [r.base.removeprefix("http://") for r in replicas]
            )
            traffic = Traffic(
                [base],
                keys["bot"],
                keys["editor"],
                readers=READERS,
                writers=WRITERS,
                timeout=CLIENT_TIMEOUT,
                tag="soak",
                questions=_questions(),
                edits=_sample_articles(),
                pause=PAUSE,
            ).start()
            started = time.monotonic()
            try:
                time.sleep(WARM_UP)
                warm = {r.name: _rss(r) for r in replicas}
                restarted = {r.name: _restarts(r) for r in replicas}
                time.sleep(max(0.0, SECONDS - WARM_UP))
            finally:
                traffic.stop()
            took = time.monotonic() - started
            end = {r.name: _rss(r) for r in replicas}
            statuses = Counter(o.status for o in traffic.outcomes)
            lost = missing_acknowledged(db_url, traffic)
            not_served = _not_served(replicas, keys["bot"], traffic)
            return {
                "bench": "soak",
                "seconds": round(took, 1),
                "warm_up_seconds": WARM_UP,
                "replicas": 2,
                "workers_per_replica": 2,
                "database": "postgresql",
                "requests": len(traffic.outcomes),
                "requests_per_second": round(len(traffic.outcomes) / took, 1),
                "by_kind": dict(Counter(o.kind for o in traffic.outcomes)),
                "statuses": {str(k): v for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0]))},
                "server_errors_5xx": sum(n for s, n in statuses.items() if s is not None and s >= 500),
                "no_answer": statuses.get(None, 0),
                "acknowledged_saves": len(traffic.saved),
                "acknowledged_publishes": len(traffic.published),
                "lost_revisions": len(lost),
                "lost": lost[:20],
                "not_served_at_end": not_served[:20],
                "rss_after_warm_up": warm,
                "rss_at_end": end,
                "rss_growth_percent": {r.name: _growth(warm[r.name], end[r.name]) for r in replicas},
                "worker_restarts": {
                    r.name: {"before_warm_up_end": restarted[r.name], "after": _since(restarted[r.name], _restarts(r))}
                    for r in replicas
                },
                "targets": {"server_errors_5xx": 0, "lost_revisions": 0, "rss_growth_percent_max": 5.0},
            }
        finally:
            if nginx is not None:
                nginx.terminate()
                nginx.wait(timeout=15)
            for replica in replicas:
                replica.stop()


def main() -> None:
    """ISTOK_SOAK_DIR names a new folder to run in and keep (the replicas' and nginx's logs)."""
    keep = os.environ.get("ISTOK_SOAK_DIR")
    if keep:
        Path(keep).mkdir(parents=True)
        print(json.dumps(soak(Path(keep)), ensure_ascii=False, indent=2))
        return
    with tempfile.TemporaryDirectory(prefix="istok-soak-") as tmp:
        print(json.dumps(soak(Path(tmp)), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
