"""Insights benchmark: 1,000,000 interactions on PostgreSQL, the roll-ups built, every query timed.

Creates a throw-away database, migrates it, imports the sample content (articles to serve and
vote on), bulk-loads with COPY a seeded history over 120 days (contacts, cases with first
responses and resolutions, interactions with CSAT and NPS, helpful votes, search terms, content
gaps) and rolls it up as the job does. Then times, in process as the API's handlers do, every
insights query: the summary (with its no-result and unopened term tables), the daily figures,
the cases behind them and content health, over 30 and 90 days, without and with each filter.
Today is read as the job leaves it: rolled up so far, the rest (nothing, right after the job)
live. Prints JSON with p50/p99 per query; target p99 ≤ 200 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

import insights  # noqa: E402
import kb  # noqa: E402
from insights import health  # noqa: E402

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
CHANNELS = ["chat", "ivr", "phone", "sms", "email", "telegram", "web", "chatwoot"]
OUTCOMES = ["answered"] * 11 + ["handoff"] * 3 + ["escalated", "resolved"] * 2 + ["abandoned"] * 2
DAYS = 120
TARGET_MS = 200.0


def _articles(engine: sa.Engine) -> list[tuple[str, str, str, int, int]]:
    """The live articles: key, locale, category, revision number, revision id."""
    stmt = sa.select(kb.Article.key, kb.Article.locale, kb.Article.category, kb.Revision.number, kb.Revision.id).join(
        kb.Revision,
        sa.and_(kb.Revision.article_id == kb.Article.id, kb.Revision.number == kb.Article.published_revision),
    )
    with engine.connect() as conn:
        return [(str(k), str(lo), str(c or "general"), int(n), int(i)) for k, lo, c, n, i in conn.execute(stmt)]


def _history(
    rng: random.Random, served: list[tuple[str, str, str, int, int]], n: int, n_contacts: int, now: dt.datetime
) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...] | None]]:
    """Each interaction's row, with the row of the case it opens (a handoff or escalation of a known contact)."""
    start = now - dt.timedelta(days=DAYS)
    cases = 0
    for _ in range(n):
        at = start + dt.timedelta(seconds=rng.randrange(DAYS * 86400))
        contact = None if rng.random() < 0.2 else rng.randint(1, n_contacts)
        channel = rng.choice(CHANNELS)
        outcome = rng.choice(OUTCOMES)
        art = rng.choice(served) if outcome == "answered" and rng.random() < 0.85 else None
        topic = art[2] if art else served[rng.randrange(min(12, len(served)))][2]
        case = None
        if contact is not None and outcome in ("handoff", "escalated"):
            cases += 1
            closed = at + dt.timedelta(minutes=rng.randrange(10, 3 * 1440)) if rng.random() < 0.7 else None
            first = at + dt.timedelta(minutes=rng.randrange(1, 240)) if rng.random() < 0.6 else None
            resolved = closed is not None and closed < now
            first = first if first is None or first < now else None
            case = (
                cases,
                contact,
                "resolved" if resolved else "open",
                topic,
                channel,
                at,
                closed if resolved else None,
                first,
            )
        row = (
            contact,
            channel,
            "out" if rng.random() < 0.05 else "in",
            at,
            art[0] if art else None,
            art[1] if art else None,
            art[3] if art else None,
            topic,
            outcome,
            rng.randint(1, 5) if rng.random() < 0.1 else None,
            rng.randint(0, 10) if rng.random() < 0.05 else None,
            case[0] if case else None,
            False,
        )
        yield row, case


def load(engine: sa.Engine, *, n_interactions: int, n_contacts: int, seed: int = 18) -> float:
    """Bulk-load the history with COPY; returns seconds."""
    rng = random.Random(seed)
    now = kb.utcnow()
    start = now - dt.timedelta(days=DAYS)
    served = _articles(engine)
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        with cur.copy("COPY contacts (id, segments, consent, created_at, updated_at) FROM STDIN") as cp:
            for i in range(1, n_contacts + 1):
                cp.write_row((i, "[]", "{}", start, start))
        case_rows = [c for _, c in _history(random.Random(seed), served, n_interactions, n_contacts, now) if c]
        with cur.copy(
            "COPY contact_cases (id, contact_id, status, topic, channel, opened_at, closed_at, first_response_at) "
            "FROM STDIN"
        ) as cp:
            for case in case_rows:
                cp.write_row(case)
        columns = "contact_id, channel, direction, at, article_key, article_locale, article_revision, topic, "
        columns += "outcome, csat, nps, case_id, anonymised"
        with cur.copy(f"COPY contact_interactions ({columns}) FROM STDIN") as cp:
            for row, _ in _history(random.Random(seed), served, n_interactions, n_contacts, now):
                cp.write_row(row)
            for case_id, contact, _status, topic, _channel, opened, *_ in case_rows:
                if rng.random() < 0.5:  # the client comes back on the case, on some channel
                    at = min(opened + dt.timedelta(minutes=rng.randrange(5, 2000)), now)
                    row = (contact, rng.choice(CHANNELS), "in", at, None, None, None, topic, "answered")
                    cp.write_row((*row, None, None, case_id, False))
        with cur.copy(
            "COPY helpful_votes (revision_id, key, locale, revision, helpful, voter, at, reason) FROM STDIN"
        ) as cp:
            for n in range(50_000):
                key, locale, _cat, number, rev_id = rng.choice(served)
                helpful = rng.random() < 0.7
                at = start + dt.timedelta(seconds=rng.randrange(DAYS * 86400))
                reason = None if helpful else rng.choice([None, "wrong", "unclear", "incomplete"])
                cp.write_row((rev_id, key, locale, number, helpful, f"voter-{n}", at, reason))
        zone = kb.editor_zone()
        with cur.copy(
            "COPY insights_search_terms (day, surface, locale, normalised, term, searches, opens) FROM STDIN"
        ) as cp:
            for d in range(DAYS + 1):
                day = insights.company_day(start + dt.timedelta(days=d), zone)
                for t in range(400):
                    term = f"term {t} {rng.choice(['price', 'sim', 'roaming', 'balance'])}"
                    surface = "help" if t % 3 else "panel"
                    searches = rng.randint(1, 20)
                    cp.write_row((day, surface, ["en", "ru", "uk"][t % 3], term, term, searches, rng.randint(0, 1)))
        with cur.copy(
            "COPY content_gaps (normalised, question, locale, channel, count, best_key, best_confidence, "
            "first_seen, last_seen) FROM STDIN"
        ) as cp:
            for g in range(2000):
                seen = start + dt.timedelta(seconds=rng.randrange(DAYS * 86400))
                question = f"question {g} about {rng.choice(['esim', 'roaming', 'bill', 'internet'])}"
                cp.write_row(
                    (
                        question,
                        question,
                        ["en", "ru", "uk"][g % 3],
                        rng.choice(CHANNELS),
                        rng.randint(1, 50),
                        rng.choice(served)[0],
                        round(rng.random() * 0.5, 2),
                        seen,
                        seen,
                    )
                )
        for table in ("contacts", "contact_cases"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def timed(fn: Callable[[], object], samples: int) -> dict[str, float]:
    for _ in range(3):  # warm the pool and the plan caches
        fn()
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {
        "n": len(times),
        "p50_ms": round(statistics.median(times), 1),
        "p99_ms": round(times[max(0, int(len(times) * 0.99) - 1)], 1),
        "max_ms": round(times[-1], 1),
    }


def queries(engine: sa.Engine) -> dict[str, Callable[[], object]]:
    """Every insights query the API, the CLI and the admin page run, with and without filters."""
    d30, d90 = insights.parse_range("30d"), insights.parse_range("90d")
    none = insights.Filters()
    filters = {
        "channel": insights.Filters(channel="chat"),
        "locale": insights.Filters(locale="ru"),
        "category": insights.Filters(category="billing"),
        "all_three": insights.Filters(channel="chat", locale="ru", category="billing"),
    }

    def read(fn: Callable[..., object], *args: Any) -> Callable[[], object]:
        def run() -> object:
            with kb.read_session(engine) as session:
                return fn(session, *args)

        return run

    out: dict[str, Callable[[], object]] = {
        "summary_30d": read(insights.summary, d30, none),
        "summary_90d": read(insights.summary, d90, none),
        "daily_30d": read(insights.daily, d30, none),
        "daily_90d": read(insights.daily, d90, none),
        "summary_90d_channel": read(insights.summary, d90, filters["channel"]),
        "summary_90d_category": read(insights.summary, d90, filters["category"]),
        "unopened_terms_30d": read(lambda s: insights.unopened_terms(s, d30.first, d30.last, none)),
        "cases_behind_30d": read(lambda s: insights.cases_behind(s, d30.first, d30.last, none)),
        "health": read(lambda s: health.check(session=s)),
    }
    for name, f in filters.items():
        out[f"summary_30d_{name}"] = read(insights.summary, d30, f)
        out[f"daily_30d_{name}"] = read(insights.daily, d30, f)
        out[f"cases_behind_30d_{name}"] = read(lambda s, f=f: insights.cases_behind(s, d30.first, d30.last, f))
        out[f"unopened_terms_30d_{name}"] = read(lambda s, f=f: insights.unopened_terms(s, d30.first, d30.last, f))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    os.environ.setdefault("ISTOK_TIMEZONE", "Europe/Kyiv")
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    name = f"istok_insights_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = kb.make_engine(f"{PG_SERVER}/{name}")
    try:
        kb.upgrade(engine)
        kb.import_paths([ROOT / "content"], engine=engine, publish=True, actor="bench")
        load_s = load(engine, n_interactions=args.interactions, n_contacts=args.contacts)
        t0 = time.perf_counter()
        with kb.write_session(engine) as session:  # as the hourly job does
            built = insights.roll_up(session)
            insights.rebuild_today(session)
        rollup_s = time.perf_counter() - t0
        with engine.connect() as conn:
            # What autovacuum does shortly after a big roll-up; the bench reads right away.
            conn.execute(sa.text("ANALYZE insights_daily, insights_daily_coarse"))
            conn.commit()
            rows = conn.execute(sa.text("SELECT count(*) FROM insights_daily")).scalar_one()
            levels = conn.execute(sa.text("SELECT level, count(*) FROM insights_daily_coarse GROUP BY level"))
            coarse = {str(level): int(n) for level, n in levels}
        timings = {name: timed(fn, args.samples) for name, fn in queries(engine).items()}
        worst = max(t["p99_ms"] for t in timings.values())
        result = {
            "benchmark": "insights",
            "database": "postgresql",
            "interactions": args.interactions,
            "contacts": args.contacts,
            "days": DAYS,
            "load_s": round(load_s, 1),
            "rollup_s": round(rollup_s, 1),
            "rolled_up_days": [str(d) for d in built] if built else None,
            "rollup_rows": rows,
            "coarse_rollup_rows": coarse,
            "queries": timings,
            "worst_p99_ms": worst,
            "target_p99_ms": TARGET_MS,
            "p99_ok": worst <= TARGET_MS,
        }
        print(json.dumps(result, indent=2))
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
