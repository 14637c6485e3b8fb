"""`istok eval`: how often the engine picks the right unit, and how often it rightly hands off.

A throw-away store (a temporary SQLite file) and index are built from a content
folder, every question of a CSV (`question,expected[,locale]`; empty `expected` means
"no unit answers this: hand off") is asked once, and the figures come back as a dict:
ranking quality over the questions that have an answer (top-1, top-3, MRR), the
outcome at each channel's threshold (right answers, wrong answers over all questions,
out-of-scope questions handed off), how well the confidence is calibrated (expected
calibration error, Brier score, a reliability table), latency, and how well people's
search ranks the expected article (MRR@10, top-1). Each question's `Verdict` can also be
written to a file, one row per question, to see which questions fail and how.

A folder with no published article, or a question file with nothing to ask, is refused
with `NothingToMeasure` rather than measured as a report of zeros.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from kb.channels import check_channel
from kb.db import make_engine, upgrade
from kb.frontmatter import KEY_RE
from kb.importer import ImportReport, import_paths
from kb.search import semantic
from kb.search.answering import THRESHOLDS, Answerer, Ranking
from kb.search.errors import InvalidQuery
from kb.search.index import SearchIndex
from kb.search.model import Model
from kb.search.searching import search

_KEY_LINE = re.compile(r"""^key:\s*["']?([^"'\n]+?)["']?\s*$""", re.MULTILINE)
#: How many ranked keys a per-question row shows, and how deep people's search is measured.
ROW_KEYS = 5
SEARCH_DEPTH = 10


class NothingToMeasure(InvalidQuery):
    """The run would measure nothing: no published article, or no question that could find one.

    Refused rather than reported, since a report of zeros reads like a broken engine.
    """

    slug = "nothing-to-measure"


class Verdict(StrEnum):
    """What happened to one question at a channel's threshold; the metrics count these."""

    RIGHT = "right"  # answered with the expected article
    WRONG = "wrong"  # answered with another article (any answer to an out-of-scope question)
    HANDOFF_RIGHT = "handoff-right"  # handed off an out-of-scope question
    HANDOFF_MISSED = "handoff-missed"  # handed off a question the knowledge base answers


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
    """Rows of `question,expected[,locale]` (header required; locale defaults to en); NothingToMeasure if none."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"question", "expected"} <= set(reader.fieldnames):
            raise InvalidQuery(f"{path}: the CSV needs the columns question,expected[,locale]")
        questions = [
            Question(
                row["question"],
                safe_key((row.get("expected") or "").strip()) if (row.get("expected") or "").strip() else None,
                (row.get("locale") or "en").strip(),
            )
            for row in reader
            if (row.get("question") or "").strip()
        ]
    if not questions:
        raise NothingToMeasure(f"{path}: no questions (a header and at least one row of question,expected[,locale])")
    return questions


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
            _check_published(content, import_paths([source], engine=engine, publish=True, actor="eval"))
            index = SearchIndex(
                engine, data_dir=Path(tmp), poll_interval=3600.0, use_semantic=use_semantic, defer_vectors=False
            )
            index.open()
            try:
                yield index
            finally:
                index.close()
        finally:
            engine.dispose()


def _check_published(content: Path, report: ImportReport) -> None:
    """NothingToMeasure unless the import published something: drafts are not searched."""
    if report.published == 0:
        raise NothingToMeasure(
            f"no published article in {content} ({report.articles - report.published} drafts): "
            "publish some (status: published), or point --kb at another folder"
        )


def _check_locales(index: SearchIndex, questions: Sequence[Question]) -> None:
    """NothingToMeasure when no question's locale has a published article to find."""
    published = {name for name, idx in index.state.locales.items() if idx.live > 0}
    asked = {q.locale for q in questions}
    if not asked & published:
        raise NothingToMeasure(
            f"no published article in the questions' locales ({', '.join(sorted(asked))}); "
            f"the knowledge base has articles in: {', '.join(sorted(published))}"
        )


def ask_all(answerer: Answerer, questions: Sequence[Question]) -> list[Outcome]:
    """Rank every question once, from the locale an answer would come from, timing each."""
    outcomes = []
    for q in questions:
        started = time.perf_counter()
        ranked: Ranking | None = answerer.rank(q.text, answerer.served_locale(q.text, q.locale))
        ms = (time.perf_counter() - started) * 1000.0
        keys = [d.key for d in ranked.docs] if ranked else []
        outcomes.append(Outcome(q, keys, ranked.confidence if ranked else 0.0, ms))
    return outcomes


def search_all(index: SearchIndex, questions: Sequence[Question]) -> dict[str, Any]:
    """MRR@10 and top-1 of people's search (public role) for the expected article of each in-scope question."""
    in_scope = [q for q in questions if q.expected]
    ranks = [_search_rank(index, q) for q in in_scope]
    n = max(len(in_scope), 1)
    return {
        "role": "public",
        "depth": SEARCH_DEPTH,
        "in_scope": len(in_scope),
        "mrr_at_10": round(sum(1.0 / r for r in ranks if r) / n, 4),
        "top1": round(sum(r == 1 for r in ranks) / n, 4),
    }


def _search_rank(index: SearchIndex, q: Question) -> int | None:
    keys = [hit.key for hit in search(index, q.text, q.locale, role="public", per_page=SEARCH_DEPTH).hits]
    return keys.index(q.expected) + 1 if q.expected in keys else None


def encoding_latency(questions: Sequence[Question], sample: int = 200) -> dict[str, float]:
    """What the semantic model adds per question: one uncached encoding each, over a sample."""
    enc = semantic.encoder()
    assert enc is not None  # `evaluate` refused already unless `semantic.available()`
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


def verdict(o: Outcome, threshold: float) -> Verdict:
    """The outcome of one question at `threshold`: the one definition the figures and the rows share."""
    if o.ranked and o.confidence >= threshold:
        return Verdict.RIGHT if _correct(o) else Verdict.WRONG
    return Verdict.HANDOFF_MISSED if o.question.expected else Verdict.HANDOFF_RIGHT


def _at_threshold(outcomes: Sequence[Outcome], threshold: float) -> dict[str, Any]:
    total = max(len(outcomes), 1)
    verdicts = [verdict(o, threshold) for o in outcomes]
    oos = sum(not o.question.expected for o in outcomes)
    return {
        "threshold": threshold,
        "answered": round(sum(v in (Verdict.RIGHT, Verdict.WRONG) for v in verdicts) / total, 4),
        "answered_correct": round(verdicts.count(Verdict.RIGHT) / total, 4),
        "wrong_answer_rate": round(verdicts.count(Verdict.WRONG) / total, 4),
        "oos_recall": round(verdicts.count(Verdict.HANDOFF_RIGHT) / oos, 4) if oos else None,
    }


def question_rows(outcomes: Sequence[Outcome], threshold: float) -> list[dict[str, Any]]:
    """One row per question: what was expected, what was ranked, and the verdict at `threshold`."""
    return [
        {
            "question": o.question.text,
            "locale": o.question.locale,
            "expected": o.question.expected or "",
            "ranked": o.ranked[:ROW_KEYS],
            "confidence": round(o.confidence, 4),
            "threshold": threshold,
            "outcome": verdict(o, threshold).value,
        }
        for o in outcomes
    ]


def write_rows(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """CSV when `path` ends in .csv (ranked keys joined with a space), else JSON Lines."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        if path.suffix.lower() != ".csv":
            handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
            return
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["question"])
        writer.writeheader()
        writer.writerows({**row, "ranked": " ".join(row["ranked"])} for row in rows)


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
    per_question: Path | None = None,
) -> dict[str, Any]:
    """Build a throw-away index of `content`, ask every question of `questions_csv`, return the figures.

    With `per_question`, each question's row (see `question_rows`) is also written there.
    NothingToMeasure when the folder publishes nothing or no question's locale has an article.
    """
    check_channel(channel)
    if use_semantic and not semantic.available():
        raise InvalidQuery(f"the semantic evidence is unavailable: {semantic.status().detail}")
    questions = read_questions(questions_csv)
    started = time.perf_counter()
    with throwaway_index(content, use_semantic=use_semantic) as index:
        built = time.perf_counter() - started
        _check_locales(index, questions)
        answerer = Answerer(index, model, record_gaps=False)
        outcomes = ask_all(answerer, questions)
        info = dict(answerer.model.info)
        searched = search_all(index, questions)
    result = metrics(outcomes, channel=channel)
    result["search"] = searched
    if per_question is not None:
        write_rows(per_question, question_rows(outcomes, THRESHOLDS[channel]))
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
