"""Answer-engine benchmark: 10,000 generated articles, 1,000 distinct client questions.

Prints JSON for the default configuration (semantic evidence on) and the lexical fallback:
index build seconds from the database (cold: parse, analyse, whoosh, the in-memory
scorer and, by default, every phrase vector encoded) and reopened (warm: vectors read
back by text hash), answer latency p50/p99 in one thread (first asking, then the same
questions again from the cache), search latency (public, and operator as in the side
panel that searches as the operator types), and RSS with each index open.
Targets (issue 14, default configuration): answer p50 ≤ 5 ms and p99 ≤ 20 ms; build
cold ≤ 10 min and warm ≤ 60 s; RSS growth over lexical no more than the encoder's size.

Articles are built from the sample content's own sentences (so sizes, vocabulary and
morphology are realistic: ~300-word bodies in ru, uk and en, titles, example
questions, tags, a summary, channel and internal blocks), each with a few words of
its own so that articles differ as real ones do. Questions are 3–12 words drawn from
an article's title and examples with function words, typos and unknown words mixed in.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import sqlalchemy as sa  # noqa: E402

import kb  # noqa: E402

CONTENT = ROOT / "content"
CATEGORIES = ["billing", "tariffs", "roaming", "sim", "home-internet", "mobile-internet", "support", "devices"]
FILLERS = {
    "ru": "как мне где почему можно ли у меня",
    "uk": "як мені де чому чи можна у мене",
    "en": "how do I can my why where is",
}
_SENTENCE_RE = re.compile(r"[^.!?\n]{20,}[.!?]")


def corpus() -> dict[str, tuple[list[str], list[str]]]:
    """Per locale: the sample content's sentences, and its words."""
    out: dict[str, tuple[list[str], list[str]]] = {}
    for locale in ("ru", "uk", "en"):
        sentences: list[str] = []
        for path in sorted((CONTENT / locale).rglob("*.md")):
            unit = kb.parse_source(path.read_text(encoding="utf-8"))
            text = kb.tree.plain_text(unit.body, lambda _key: "5 EUR") + " " + " ".join(unit.questions)
            sentences += [s.strip() for s in _SENTENCE_RE.findall(text)]
        words = sorted({w for s in sentences for w in re.findall(r"[^\W\d_]{4,}", s)})
        out[locale] = (sentences, words)
    return out


def _words(rng: random.Random, pool: list[str], n: int) -> str:
    return " ".join(rng.choice(pool) for _ in range(n))


def generate(folder: Path, count: int, seed: int = 11) -> list[tuple[str, str, list[str]]]:
    """Write `count` articles; returns (locale, key, the article's own phrases) per article."""
    rng = random.Random(seed)
    texts = corpus()
    made = []
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "facts.yaml").write_text('support_phone:\n  type: phone\n  value: "+37167000100"\n', encoding="utf-8")
    for i in range(count):
        locale = ("ru", "uk", "en")[i % 3]
        sentences, words = texts[locale]
        own = [rng.choice(words) for _ in range(4)] + [f"{rng.choice(words)}{i % 97}"]
        key = f"topic-{i:05d}"
        title = f"{_words(rng, own, 2)} {_words(rng, words, rng.randint(2, 5))}".capitalize()
        questions = [f"{_words(rng, own, 2)} {_words(rng, words, rng.randint(3, 6))}" for _ in range(rng.randint(2, 5))]
        paragraphs = []
        for _ in range(4):
            chosen = [rng.choice(sentences) for _ in range(rng.randint(3, 5))]
            chosen.insert(rng.randint(0, len(chosen)), f"{_words(rng, own, 3)}.".capitalize())
            paragraphs.append(" ".join(chosen))
        steps = "\n".join(f"{n}. {rng.choice(sentences)}" for n in range(1, 4))
        body = (
            "\n\n".join(paragraphs[:2])
            + f"\n\n## {_words(rng, own, 2).capitalize()}\n\n{steps}\n\n"
            + "\n\n".join(paragraphs[2:])
            + "\n\nCall {{ support_phone }}.\n\n"
            + f"::: ivr\n{rng.choice(sentences)}\n:::\n\n::: internal\n{rng.choice(sentences)}\n:::\n"
        )
        front = {
            "key": key,
            "locale": locale,
            "title": title,
            "category": CATEGORIES[i % len(CATEGORIES)],
            "tags": [rng.choice(own), rng.choice(words)],
            "questions": questions,
            "summary": rng.choice(sentences),
            "status": "published",
        }
        source = "---\n" + json.dumps(front, ensure_ascii=False) + "\n---\n" + body
        path = folder / locale / str(front["category"]) / f"{key}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
        made.append((locale, key, [title, *questions]))
    return made


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 6:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def questions(made: list[tuple[str, str, list[str]]], count: int, seed: int = 5) -> list[tuple[str, str]]:
    """`count` distinct questions of 3–12 words: (locale, question)."""
    rng = random.Random(seed)
    texts = corpus()
    out: dict[tuple[str, str], None] = {}
    while len(out) < count:
        locale, _key, phrases = rng.choice(made)
        words = " ".join(rng.sample(phrases, min(2, len(phrases)))).split()
        picked = rng.sample(words, min(len(words), rng.randint(2, 8)))
        picked += rng.sample(FILLERS[locale].split(), rng.randint(1, 3))
        if rng.random() < 0.3:
            picked.append(rng.choice(texts[locale][1]))
        if rng.random() < 0.2:
            picked = [_typo(rng, w) for w in picked]
        rng.shuffle(picked)
        out[(locale, " ".join(picked[:12]))] = None
    return list(out)


def _ms(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000, 3)


def _rss_mb() -> float:
    return round(psutil.Process().memory_info().rss / 2**20, 1)


def measure(engine: sa.Engine, folder: Path, asked: list[tuple[str, str]], *, semantic: bool) -> dict[str, float]:
    """Build (cold), reopen (warm), answer and search in one configuration; RSS with its index open."""
    started = time.perf_counter()
    index = kb.SearchIndex(engine, data_dir=folder, use_semantic=semantic, defer_vectors=False)
    index.open()
    build = time.perf_counter() - started
    kb.settle_heap()  # as a serving worker does once its index is open
    started = time.perf_counter()
    reopened = kb.SearchIndex(engine, data_dir=folder, use_semantic=semantic, defer_vectors=False)
    reopened.open()
    reopen = time.perf_counter() - started
    reopened.close()
    answerer = kb.Answerer(index)
    answerer.answer("warm up", "en", "web")
    first, again, searched, staff = [], [], [], []
    answered = 0
    for locale, q in asked:
        t0 = time.perf_counter()
        result = answerer.answer(q, locale, "bot")
        first.append(time.perf_counter() - t0)
        answered += result.answered
    for locale, q in asked:
        t0 = time.perf_counter()
        answerer.answer(q, locale, "bot")
        again.append(time.perf_counter() - t0)
    for locale, q in asked[:200]:
        t0 = time.perf_counter()
        kb.search_articles(q, locale, index=index)
        searched.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        kb.search_articles(q, locale, "operator", index=index)
        staff.append(time.perf_counter() - t0)
    rss = _rss_mb()
    index.close()
    return {
        "semantic": index.use_semantic,
        "build_s": round(build, 2),
        "reopen_s": round(reopen, 2),
        "answer_p50_ms": _ms(first, 50),
        "answer_p99_ms": _ms(first, 99),
        "answer_mean_ms": round(statistics.fmean(first) * 1000, 3),
        "cached_p50_ms": _ms(again, 50),
        "cached_p99_ms": _ms(again, 99),
        "search_p50_ms": _ms(searched, 50),
        "search_p99_ms": _ms(searched, 99),
        "search_operator_p50_ms": _ms(staff, 50),
        "search_operator_p99_ms": _ms(staff, 99),
        "answered_share": round(answered / len(asked), 3),
        "rss_mb": rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--questions", type=int, default=1_000)
    args = parser.parse_args()
    kb.limit_math_threads()  # as a serving worker is set up (kb/search/serving.py)
    with tempfile.TemporaryDirectory(prefix="istok-answer-bench-") as tmp:
        folder = Path(tmp)
        made = generate(folder / "content", args.articles)
        engine = kb.make_engine(f"sqlite:///{folder / 'bench.db'}")
        kb.upgrade(engine)
        kb.import_paths([folder / "content"], engine=engine, publish=True, actor="bench")
        asked = questions(made, args.questions)
        lexical = measure(engine, folder / "lexical", asked, semantic=False)
        default = measure(engine, folder / "default", asked, semantic=True)
        engine.dispose()
    print(
        json.dumps(
            {
                "articles": args.articles,
                "questions": len(asked),
                "default": default,
                "lexical": lexical,
                "rss_growth_mb": round(default["rss_mb"] - lexical["rss_mb"], 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
