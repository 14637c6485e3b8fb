"""Import benchmark: 10,000 generated articles into SQLite and PostgreSQL.

Prints JSON: full import, unchanged re-import, publish-all seconds and each phase's
peak RSS (every phase runs in its own process so the peaks are its own).
Targets (issue 3): import ≤ 30 s SQLite / ≤ 60 s PostgreSQL, re-import ≤ 10 s,
peak RSS ≤ 300 MB.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

import kb  # noqa: E402

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
_WORD_LISTS = {
    "en": (
        "balance account top up card roaming tariff internet router signal bill payment number "
        "phone support data package speed network coverage contract price month day call message"
    ),
    "ru": (
        "баланс счёт пополнить карта роуминг тариф интернет роутер сигнал оплата номер телефон "
        "поддержка пакет скорость сеть покрытие договор цена месяц день звонок сообщение"
    ),
    "uk": (
        "баланс рахунок поповнити картка роумінг тариф інтернет роутер сигнал оплата номер телефон "
        "підтримка пакет швидкість мережа покриття договір ціна місяць день дзвінок повідомлення"
    ),
}
WORDS = {locale: words.split() for locale, words in _WORD_LISTS.items()}
CATEGORIES = ["billing", "tariffs", "roaming", "sim", "home-internet", "mobile-internet", "support"]


def _sentence(rng: random.Random, words: list[str], n: int) -> str:
    return " ".join(rng.choice(words) for _ in range(n)).capitalize() + "."


def generate(folder: Path, count: int, seed: int = 7) -> None:
    """Seeded articles of realistic size: ~300 words, headings, a list, channel blocks, a fact."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "facts.yaml").write_text('support_phone:\n  type: phone\n  value: "+37167000100"\n', encoding="utf-8")
    locales = list(WORDS)
    for i in range(count):
        locale = locales[i % 3]
        words = WORDS[locale]
        category = CATEGORIES[i % len(CATEGORIES)]
        key = f"topic-{i // 3:05d}"
        paras = "\n\n".join(" ".join(_sentence(rng, words, rng.randint(8, 16)) for _ in range(4)) for _ in range(4))
        steps = "\n".join(f"{n}. {_sentence(rng, words, 6)}" for n in range(1, 5))
        body = (
            f"{paras}\n\n## {_sentence(rng, words, 3)}\n\n{steps}\n\nCall {{{{ support_phone }}}}.\n\n"
            f"::: ivr\n{_sentence(rng, words, 12)}\n:::\n\n::: internal\n{_sentence(rng, words, 10)}\n:::\n"
        )
        questions = "\n".join(f"  - {_sentence(rng, words, 5)}" for _ in range(3))
        source = (
            f"---\nkey: {key}\nlocale: {locale}\ntitle: {_sentence(rng, words, 5)}\ncategory: {category}\n"
            f"tags: [{rng.choice(words)}, {rng.choice(words)}]\nquestions:\n{questions}\n"
            f"summary: {_sentence(rng, words, 14)}\nstatus: published\n---\n{body}"
        )
        path = folder / locale / category / f"{key}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")


def _phase(url: str, folder: Path, phase: str) -> dict[str, float]:
    """One measured step, run in this (child) process."""
    engine = kb.make_engine(url)
    started = time.perf_counter()
    if phase == "publish":
        with kb.write_session(engine) as session:
            count = kb.publish_all(session=session, actor="bench")
        result = {"published": count}
    else:
        report = kb.import_paths([folder], engine=engine, publish=False, actor="bench")
        result = {"created": report.created, "unchanged": report.unchanged}
    seconds = time.perf_counter() - started
    engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(peak_mb, 1), **result}


def _run_phase(url: str, folder: Path, phase: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--url", url, "--folder", str(folder)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout))


def _bench_database(name: str, url: str, folder: Path) -> dict[str, object]:
    kb.upgrade(kb.make_engine(url))
    return {
        "database": name,
        "import": _run_phase(url, folder, "import"),
        "reimport_unchanged": _run_phase(url, folder, "import"),
        "publish_all": _run_phase(url, folder, "publish"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--phase")
    parser.add_argument("--url")
    parser.add_argument("--folder")
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(_phase(args.url, Path(args.folder), args.phase)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "content"
        started = time.perf_counter()
        generate(folder, args.articles)
        results: list[dict[str, object]] = []
        generated_s = round(time.perf_counter() - started, 2)
        results.append(_bench_database("sqlite", f"sqlite:///{tmp}/bench.db", folder))
        admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        db = f"istok_bench_{uuid.uuid4().hex[:8]}"
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{db}"')
            results.append(_bench_database("postgresql", f"{PG_SERVER}/{db}", folder))
        except sa.exc.OperationalError as exc:
            results.append({"database": "postgresql", "error": str(exc.orig)})
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    print(
        json.dumps(
            {"bench": "import", "articles": args.articles, "generate_s": generated_s, "results": results}, indent=2
        )
    )


if __name__ == "__main__":
    main()
