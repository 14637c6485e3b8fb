"""Contact-context benchmark: 100,000 contacts and 1,000,000 interactions on PostgreSQL.

Generates seeded data, bulk-loads it with COPY into a fresh migrated database, then
times in-process, as the API's handlers do it: the operator context (lookup, audit row,
every context query, in one committed transaction), lookup by phone, and the
personalised IVR menu rendered as SSML. Prints JSON. Target (issue 8): context p99 ≤ 15 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

import contacts  # noqa: E402
import kb  # noqa: E402
import renderers  # noqa: E402

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
TOPICS = ["billing", "tariffs", "roaming", "sim", "home-internet", "mobile-internet", "porting", "support"]
ARTICLES = ["top-up", "check-balance", "change-tariff", "roaming-prices", "puk-code", "slow-mobile-data"]
CHANNELS = ["chat", "ivr", "phone", "sms", "email", "telegram", "web"]
OUTCOMES = ["answered"] * 6 + ["resolved", "abandoned"]


def phone_of(i: int) -> str:
    return f"+3712{i:07d}"


def load(engine: sa.Engine, *, n_contacts: int, n_interactions: int, seed: int = 8) -> float:
    """Bulk-load contacts, phone and web identities, open cases and interactions; returns seconds."""
    rng = random.Random(seed)
    now = kb.utcnow()
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        with cur.copy("COPY contacts (id, name, locale, segments, consent, created_at, updated_at) FROM STDIN") as cp:
            for i in range(1, n_contacts + 1):
                seg = '["business"]' if i % 10 == 0 else "[]"
                cp.write_row((i, f"Client {i}", rng.choice(["ru", "uk", "en"]), seg, '{"sales_call": true}', now, now))
        with cur.copy("COPY contact_identities (contact_id, channel, address, created_at) FROM STDIN") as cp:
            for i in range(1, n_contacts + 1):
                cp.write_row((i, "phone", phone_of(i), now))
                if i % 2 == 0:
                    cp.write_row((i, "web", f"visitor-{i}", now))
        open_case: dict[int, tuple[int, str]] = {}
        with cur.copy("COPY contact_cases (id, contact_id, status, topic, channel, opened_at) FROM STDIN") as cp:
            for case_id, i in enumerate(range(1, n_contacts + 1, 8), start=1):
                topic = rng.choice(TOPICS)
                open_case[i] = (case_id, topic)
                cp.write_row((case_id, i, "open", topic, "chat", now))
        columns = "contact_id, channel, direction, at, question, article_key, article_locale, article_revision, "
        columns += "content_hash, topic, outcome, case_id, anonymised"
        with cur.copy(f"COPY contact_interactions ({columns}) FROM STDIN") as cp:
            for row in _interactions(rng, n_contacts, n_interactions, now, open_case):
                cp.write_row(row)
        for table, column in (("contacts", "id"), ("contact_cases", "id")):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), (SELECT max({column}) FROM {table}))"
            )
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def _interactions(
    rng: random.Random, n_contacts: int, n: int, now: dt.datetime, open_case: dict[int, tuple[int, str]]
) -> Iterator[tuple[object, ...]]:
    for _ in range(n):
        cid = rng.randint(1, n_contacts)
        at = now - dt.timedelta(seconds=rng.randint(0, 180 * 86400))
        served = rng.random() < 0.6
        case = open_case.get(cid)
        topic = case[1] if case and rng.random() < 0.3 else rng.choice(TOPICS)
        yield (
            cid,
            rng.choice(CHANNELS),
            "in",
            at,
            "how do I top up my balance",
            rng.choice(ARTICLES) if served else None,
            "ru" if served else None,
            1 if served else None,
            uuid.UUID(int=rng.getrandbits(128)).hex if served else None,
            topic,
            rng.choice(OUTCOMES),
            case[0] if case and topic == case[1] else None,
            False,
        )


def timed(fn: Callable[[int], object], ids: list[int]) -> dict[str, float]:
    for i in ids[:50]:  # warm the pool and the plan caches
        fn(i)
    samples = []
    for i in ids:
        t0 = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(samples), 3),
        "p99_ms": round(samples[int(len(samples) * 0.99) - 1], 3),
        "max_ms": round(samples[-1], 3),
    }


def measure(engine: sa.Engine, *, n_contacts: int, samples: int) -> dict[str, object]:
    rng = random.Random(9)
    ids = [rng.randint(1, n_contacts) for _ in range(samples)]
    menu_rules = contacts.menu_rules()

    def context(i: int) -> object:
        with kb.write_session(engine) as session:  # as GET /api/v1/contacts/{id}/context: audited
            contact = contacts.get_contact(session=session, contact_id=i)
            contacts.audit_access(session, actor="bench", role="operator", contact_id=i, action="context")
            return contacts.build_context(session=session, contact=contact)

    def lookup(i: int) -> object:
        with kb.read_session(engine) as session:
            return contacts.lookup(session=session, address=contacts.normalise("phone", phone_of(i)))

    def menu(i: int) -> object:
        with kb.write_session(engine) as session:  # as GET /api/v1/ivr/menu?caller=…
            contact = contacts.lookup(session=session, address=contacts.normalise("phone", phone_of(i)))
            cid = contact.id or 0
            opened = contacts.open_topics(session=session, contact_id=cid)
            frequent = contacts.frequent_topics(session=session, contact_id=cid)
            contacts.audit_access(session, actor="bench", role="bot", contact_id=cid, action="ivr")
        choices = contacts.order_menu(menu_rules, locale="ru", open_topics=opened, frequent=frequent)
        options = [renderers.MenuOption(label=c.label, target=c.topic, key=c.digit) for c in choices]
        return renderers.render_ivr_menu(options, locale="ru", intro=contacts.intro(menu_rules, "ru"))

    sample_ctx = context(ids[0])
    assert isinstance(sample_ctx, contacts.ContactContext) and sample_ctx.last_interactions
    return {"context": timed(context, ids), "lookup_by_phone": timed(lookup, ids), "ivr_menu": timed(menu, ids)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    name = f"istok_contacts_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = kb.make_engine(f"{PG_SERVER}/{name}")
    try:
        kb.upgrade(engine)
        seconds = load(engine, n_contacts=args.contacts, n_interactions=args.interactions)
        result: dict[str, object] = {
            "benchmark": "contacts",
            "database": "postgresql",
            "contacts": args.contacts,
            "interactions": args.interactions,
            "load_s": round(seconds, 1),
            **measure(engine, n_contacts=args.contacts, samples=args.samples),
            "target_context_p99_ms": 15,
        }
        context = result["context"]
        result["context_p99_ok"] = isinstance(context, dict) and context["p99_ms"] <= 15
        print(json.dumps(result, indent=2))
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
