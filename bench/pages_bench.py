"""Pages benchmark: the help article page and the operator panel's search at 10,000 articles.

10,000 generated articles (bench/answer_bench.py) in SQLite, one uvicorn worker on
127.0.0.1, requests one at a time over a kept-alive connection, so the time measured is
the server's plus a loopback round trip (~0.2 ms). Article pages are measured cold (first
view of each article since start: render and build) and warm (views after that, as a
CDN-less server sees popular pages); panel search with distinct operator queries. Also the
article page's weight: its HTML plus the CSS and JS it loads, raw and gzipped (no images).
Targets (issue 7): p99 ≤ 30 ms; page weight ≤ 100 KB. Prints JSON.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import answer_bench  # noqa: E402
import http_bench  # noqa: E402

import kb  # noqa: E402

ARTICLES = 10_000
PASSWORD = "bench-operator-password"


def _timed(http: httpx.Client, paths: list[str]) -> dict[str, float]:
    times = []
    for path in paths:
        start = time.perf_counter()
        response = http.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    return {
        "requests": len(times),
        "p50_ms": round(times[len(times) // 2], 2),
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 2),
        "max_ms": round(times[-1], 2),
    }


def _sign_in(http: httpx.Client) -> None:
    token = re.search(r'name="csrf" value="([^"]+)"', http.get("/login").text)
    assert token is not None
    done = http.post("/login", data={"username": "bench-operator", "password": PASSWORD, "csrf": token.group(1)})
    assert done.status_code == 303


def _weight(http: httpx.Client, path: str) -> dict[str, int]:
    html = http.get(path).text
    assets = re.findall(r'<(?:link rel="(?:stylesheet|icon)"|script) [^>]*(?:href|src)="(/[^"]+)"', html)
    bodies = [html.encode()] + [http.get(a).content for a in assets]
    return {
        "files": len(bodies),
        "html_bytes": len(bodies[0]),
        "total_bytes": sum(len(b) for b in bodies),
        "total_gzip_bytes": sum(len(gzip.compress(b)) for b in bodies),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        made = answer_bench.generate(folder / "content", ARTICLES)
        asked = answer_bench.questions(made, 600)
        url = f"sqlite:///{folder / 'bench.db'}"
        engine = kb.make_engine(url)
        kb.upgrade(engine)
        kb.import_paths([folder / "content"], engine=engine, publish=True)
        with kb.write_session(engine) as session:
            kb.create_user(
                session=session, username="bench-operator", password=PASSWORD, role="operator", actor="bench"
            )
        kb.reindex(engine, data_dir=folder)
        engine.dispose()
        env = {**os.environ, "ISTOK_DATABASE_URL": url, "ISTOK_DATA_DIR": str(folder), "ISTOK_RATE_LIMIT": "1000000"}
        rng = random.Random(7)
        sample = rng.sample(made, 1_000)
        pages = [f"/help/{locale}/{key}" for locale, key, _ in sample]
        searches = [
            "/panel/search?" + urllib.parse.urlencode({"q": q[:60], "locale": loc}) for loc, q in asked[100:600]
        ]
        warmup = ["/panel/search?" + urllib.parse.urlencode({"q": q[:60], "locale": loc}) for loc, q in asked[:100]]
        proc, base = http_bench.serve("api.app:app", env, workers=1)
        results: dict[str, object] = {"bench": "pages", "articles": ARTICLES, "workers": 1}
        try:
            with httpx.Client(base_url=base, timeout=30) as http:
                _timed(http, ["/help/en/", "/help/ru/", "/help/uk/"])  # loads the live snapshot once
                results["help_article_cold"] = _timed(http, pages)
                results["help_article_warm"] = _timed(http, pages)
                _sign_in(http)
                _timed(http, warmup)
                results["panel_search"] = _timed(http, searches)
                results["help_article_weight"] = _weight(http, pages[0])
        finally:
            proc.terminate()
            proc.wait()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
