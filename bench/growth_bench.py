"""How cost grows (issue 17): answers at 1k, 10k and 50k articles, contact context at 1 M and 10 M interactions.

Each size runs in a process of its own, so that its RSS is its own: `answer_bench.py --articles N`
(index build cold and reopened, answer p50/p99 in one thread, search, RSS with the index open, in
the default configuration and the lexical fallback) and `contacts_bench.py --interactions N`
(operator context p99 on PostgreSQL; target ≤ 15 ms). Prints one JSON object with every size's
figures, and per measure how it grew from the smallest size to the largest.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ARTICLES = (1_000, 10_000, 50_000)
#: (contacts, interactions): ten interactions a contact, as in contacts_bench's default.
CONTACTS = ((100_000, 1_000_000), (1_000_000, 10_000_000))
#: Every child stops by itself well inside this (the 50,000-article build encodes ~225,000 phrases).
CHILD_TIMEOUT = 3600


def _run(script: str, *args: str) -> dict[str, Any]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(HERE / script), *args],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    took = round(time.monotonic() - started, 1)
    if done.returncode != 0:
        return {"error": f"exit {done.returncode}", "stderr": done.stderr[-2000:], "seconds": took}
    start = done.stdout.find("{")
    result: dict[str, Any] = json.loads(done.stdout[start:])
    result["seconds"] = took
    return result


def _grew(rows: list[dict[str, Any]], part: str, names: tuple[str, ...]) -> dict[str, float | None]:
    """Largest size's figure over the smallest's, per measure (None where a run failed)."""
    first, last = rows[0].get(part), rows[-1].get(part)
    if not isinstance(first, dict) or not isinstance(last, dict):
        return dict.fromkeys(names)
    return {n: round(last[n] / first[n], 2) if first.get(n) else None for n in names}


def main() -> None:
    answers = [_run("answer_bench.py", "--articles", str(n)) for n in ARTICLES]
    contexts = [
        _run("contacts_bench.py", "--contacts", str(c), "--interactions", str(i), "--samples", "1000")
        for c, i in CONTACTS
    ]
    measured = ("build_s", "reopen_s", "answer_p50_ms", "answer_p99_ms", "rss_mb")
    print(
        json.dumps(
            {
                "bench": "growth",
                "answers": {str(n): r for n, r in zip(ARTICLES, answers, strict=True)},
                "answers_growth_50k_over_1k": _grew(answers, "default", measured),
                "contacts": {str(i): r for (_c, i), r in zip(CONTACTS, contexts, strict=True)},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
