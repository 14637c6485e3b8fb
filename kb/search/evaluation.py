"""`istok eval`: how often the engine picks the right unit, and how often it rightly hands off.

A throw-away store (a temporary SQLite file) and index are built from a content
folder, every question of a CSV (`question,expected[,locale]`; empty `expected` means
"no unit answers this: hand off") is asked once, and the figures come back as a dict:
ranking quality over the questions that have an answer (top-1, top-3, MRR), the
outcome at each channel's threshold (right answers, wrong answers over all questions,
out-of-scope questions handed off), how well the confidence is calibrated (expected
calibration error, Brier score, a reliability table), and latency.
"""

from __future__ import annotations

import csv
import re
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.channels import check_channel
from kb.db import make_engine, upgrade
from kb.frontmatter import KEY_RE
from kb.importer import import_paths
from kb.search import semantic
from kb.search.answering import THRESHOLDS, Answerer, Ranking
from kb.search.errors import InvalidQuery
from kb.search.index import SearchIndex
from kb.search.model import Model

_KEY_LINE = re.compile(r"""^key:\s*["']?([^"'\n]+?)["']?\s*$""", re.MULTILINE)


@dataclass(frozen=True)
class Question:
    text: str
    expected: str | None
    locale: str


@dataclass(frozen=True)
class Outcome:
    question: Question
    ranked: list[str]
    confidence: float
    ms: float


def read_questions(path: Path) -> list[Question]:
    """Rows of `question,expected[,locale]` (header required; locale defaults to en)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"question", "expected"} <= set(reader.fieldnames):
            raise InvalidQuery(f"{path}: the CSV needs the columns question,expected[,locale]")
        return [
            Question(
                row["question"],
                safe_key((row.get("expected") or "").strip()) if (row.get("expected") or "").strip() else None,
                (row.get("locale") or "en").strip(),
            )
            for row in reader
            if (row.get("question") or "").strip()
        ]


def safe_key(key: str) -> str:
    """`key` as the content format allows it: data sets sometimes carry keys like "reverted-card-payment?"."""
    if KEY_RE.match(key):
        return key
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9_-]+", "-", key.lower())).strip("-_") or "article"


def _importable_copy(content: Path, into: Path) -> Path:
    """`content` itself, or a copy in `into` whose keys the content format rejects are made valid.

    The questions' expected keys are passed through `safe_key` the same way, so a data
    set is measured as published, without changing its files.
    """
    bad = []
    for path in content.rglob("*.md"):
        match = _KEY_LINE.search(path.read_text(encoding="utf-8"))
        if match is not None and not KEY_RE.match(match.group(1)):
            bad.append(path)
    if not bad:
        return content
    copy = into / "content"
    shutil.copytree(content, copy)
    for path in bad:
        target = copy / path.relative_to(content)
        text = target.read_text(encoding="utf-8")
        match = _KEY_LINE.search(text)
        assert match is not None
        fixed = safe_key(match.group(1))
        text = text[: match.start(1)] + fixed + text[match.end(1) :]
        target.unlink()
        (target.parent / f"{fixed}.md").write_text(text, encoding="utf-8")
    return copy


@contextmanager
def throwaway_index(content: Path, *, use_semantic: bool) -> Iterator[SearchIndex]:
    """A temporary SQLite store with `content` imported and published, and its index."""
    with tempfile.TemporaryDirectory(prefix="istok-eval-") as tmp:
        engine = make_engine(f"sqlite:///{tmp}/eval.db")
        try:
            upgrade(engine)
            source = _importable_copy(content, Path(tmp))
            import_paths([source], engine=engine, publish=True, actor="eval")
            index = SearchIndex(engine, data_dir=Path(tmp), poll_interval=3600.0, use_semantic=use_semantic)
            index.open()
            try:
                yield index
            finally:
                index.close()
        finally:
            engine.dispose()


def ask_all(answerer: Answerer, questions: Sequence[Question]) -> list[Outcome]:
    """Rank every question once, timing each."""
    outcomes = []
    for q in questions:
        started = time.perf_counter()
        ranked: Ranking | None = answerer.rank(q.text, q.locale)
        ms = (time.perf_counter() - started) * 1000.0
        keys = [d.key for d in ranked.docs] if ranked else []
        outcomes.append(Outcome(q, keys, ranked.confidence if ranked else 0.0, ms))
    return outcomes


def encoding_latency(questions: Sequence[Question], sample: int = 200) -> dict[str, float]:
    """What the semantic model adds per question: one uncached encoding each, over a sample."""
    enc = semantic.encoder()
    timings = []
    for q in list(questions)[:sample]:
        started = time.perf_counter()
        enc.encode_uncached(q.text)
        timings.append((time.perf_counter() - started) * 1000.0)
    return {
        "semantic_p50_ms": round(_percentile(timings, 50), 3),
        "semantic_p99_ms": round(_percentile(timings, 99), 3),
    }


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100.0 * (len(ordered) - 1)))]


def metrics(outcomes: Sequence[Outcome], *, channel: str = "web") -> dict[str, Any]:
    """The figures of one run (see the module docstring)."""
    total = len(outcomes)
    in_scope = [o for o in outcomes if o.question.expected]
    oos = [o for o in outcomes if not o.question.expected]

    def rank_of(o: Outcome) -> int | None:
        return o.ranked.index(o.question.expected) + 1 if o.question.expected in o.ranked else None

    ranks = [rank_of(o) for o in in_scope]
    n_in = max(len(in_scope), 1)
    result: dict[str, Any] = {
        "questions": total,
        "in_scope": len(in_scope),
        "out_of_scope": len(oos),
        "top1": round(sum(r == 1 for r in ranks) / n_in, 4),
        "top3": round(sum(r is not None and r <= 3 for r in ranks) / n_in, 4),
        "mrr": round(sum(1.0 / r for r in ranks if r) / n_in, 4),
        "channel": channel,
        **_at_threshold(outcomes, THRESHOLDS[channel]),
        "by_channel": {name: _at_threshold(outcomes, t) for name, t in THRESHOLDS.items()},
        "calibration": calibration(outcomes),
        "p50_ms": round(_percentile([o.ms for o in outcomes], 50), 3),
        "p99_ms": round(_percentile([o.ms for o in outcomes], 99), 3),
    }
    return result


def _correct(o: Outcome) -> bool:
    return bool(o.question.expected) and bool(o.ranked) and o.ranked[0] == o.question.expected


def _at_threshold(outcomes: Sequence[Outcome], threshold: float) -> dict[str, Any]:
    total = max(len(outcomes), 1)
    answered = [o for o in outcomes if o.ranked and o.confidence >= threshold]
    oos = [o for o in outcomes if not o.question.expected]
    handed_oos = [o for o in oos if not (o.ranked and o.confidence >= threshold)]
    return {
        "threshold": threshold,
        "answered": round(len(answered) / total, 4),
        "answered_correct": round(sum(_correct(o) for o in answered) / total, 4),
        "wrong_answer_rate": round(sum(not _correct(o) for o in answered) / total, 4),
        "oos_recall": round(len(handed_oos) / len(oos), 4) if oos else None,
    }


def calibration(outcomes: Sequence[Outcome], bins: int = 10) -> dict[str, Any]:
    """Reliability of the confidence as P(top answer right): ECE, Brier score, and a table."""
    table = []
    ece = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [o for o in outcomes if lo <= o.confidence < hi or (b == bins - 1 and o.confidence == 1.0)]
        if not inside:
            continue
        conf = statistics.fmean(o.confidence for o in inside)
        acc = statistics.fmean(float(_correct(o)) for o in inside)
        ece += len(inside) / max(len(outcomes), 1) * abs(conf - acc)
        table.append(
            {"bin": f"{lo:.1f}-{hi:.1f}", "n": len(inside), "confidence": round(conf, 3), "accuracy": round(acc, 3)}
        )
    brier = statistics.fmean((o.confidence - float(_correct(o))) ** 2 for o in outcomes) if outcomes else 0.0
    return {"ece": round(ece, 4), "brier": round(brier, 4), "bins": table}


def evaluate(
    content: Path,
    questions_csv: Path,
    *,
    channel: str = "web",
    use_semantic: bool = False,
    model: Model | None = None,
) -> dict[str, Any]:
    """Build a throw-away index of `content`, ask every question of `questions_csv`, return the figures."""
    check_channel(channel)
    if use_semantic and not semantic.available():
        raise InvalidQuery("the semantic model is not installed: pip install 'istok[semantic]'")
    questions = read_questions(questions_csv)
    started = time.perf_counter()
    with throwaway_index(content, use_semantic=use_semantic) as index:
        built = time.perf_counter() - started
        answerer = Answerer(index, model, record_gaps=False)
        outcomes = ask_all(answerer, questions)
        info = dict(answerer.model.info)
    result = metrics(outcomes, channel=channel)
    if use_semantic:
        result.update(encoding_latency(questions))
        result["semantic_note"] = (
            "p50_ms/p99_ms include encoding the question unless ISTOK_SEMANTIC_CACHE already held its vector; "
            "semantic_p50_ms/semantic_p99_ms are the model's own cost per question, measured uncached"
        )
    result.update(
        {
            "kb": str(content),
            "questions_file": str(questions_csv),
            "semantic": use_semantic,
            "build_s": round(built, 2),
            "model": {k: info[k] for k in ("fitted", "fitted_on", "cross_validated") if k in info},
        }
    )
    return result
