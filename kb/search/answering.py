"""The answer engine: which published unit answers this question, and how sure we are.

Candidates and their features come from `kb.search.features` (plus the semantic ones
when enabled); the fitted ranker orders them and the calibrated confidence model says
how likely the top one is right. A channel answers when the confidence reaches its
threshold: the phone and SMS are stricter than the web, because a wrong answer read
aloud or texted costs more than handing the client to a person. Operators see more,
since they judge the alternatives themselves.

Answers are cached by the folded question, locale, channel, context and the index's
publication-log position, so repeated questions cost a dictionary look-up and any
publish, unpublish, rollback, fact or synonym change makes every cached answer miss.
Every handoff or low-confidence answer is noted as a content gap.

An announcement outside its time box (before its `from`, after its `until`) is published yet
no candidate: its page is not news yet, or no longer (`kb.announcements.out_of_time`, the same
judgement the notices get). So that set, judged by the clock on every question, is part of the
cache key too: a cached answer stops naming the announcement on the minute it ends.

A question written in another of the knowledge base's languages than the one asked
for is answered from its own (`kb.search.language`); the answer names both.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from kb.announcements import Announcement, live_announcements, out_of_time
from kb.channels import CHANNELS, check_channel
from kb.db import read_session
from kb.models import utcnow
from kb.search import features as feat
from kb.search import language
from kb.search.documents import IndexDoc
from kb.search.errors import InvalidQuery
from kb.search.gaps import Gap
from kb.search.index import SearchIndex
from kb.search.memory import FloatArray, IntArray, LocaleIndex
from kb.search.model import Model, load_model
from kb.search.query import Query, analyse_query
from kb.search.results import Alternative, Answer, AnswerStatus
from kb.search.text import MAX_QUERY_CHARS, clean_question, fold, squeeze
from kb.search.vectors import SEMANTIC_FEATURES, SemanticIndex
from kb.types import LOCALES

#: Confidence a channel needs to answer; below it the client is handed to a person. The
#: figures live in the channel table (`kb/channels.py`); this is the same data by name.
#: The confidence is calibrated (P(top answer right) on the development questions), so 0.6
#: means "answer when right at least 6 times in 10"; see `istok eval` for what each costs.
THRESHOLDS: Mapping[str, float] = MappingProxyType({c.name: c.threshold for c in CHANNELS})
#: Answers below this confidence are logged as content gaps even when given.
GAP_BELOW = 0.7
ALTERNATIVES = 3
SEMANTIC_EXTRA = 20  # the semantically nearest articles join the lexical candidates
#: Lexical confidence from which the question is not encoded: on the development sets the
#: semantic evidence changed no top answer above it (a fifth to a third of the questions).
DECISIVE = 0.95
CACHE_SIZE = 8192


@dataclass(frozen=True)
class Ranking:
    """The engine's full view of one question: candidates best first, their evidence, the confidence."""

    query: Query
    docs: list[IndexDoc]
    rows: FloatArray
    names: tuple[str, ...]
    scores: FloatArray
    shares: FloatArray
    values: dict[str, float]
    confidence: float


_answerers: dict[int, Answerer] = {}
_answerers_lock = threading.Lock()


def answerer_for(index: SearchIndex) -> Answerer:
    """The process's one answer engine for `index` (answers, content gaps and people's search share it)."""
    with _answerers_lock:
        found = _answerers.get(id(index))
        if found is None or found.index is not index:
            found = _answerers[id(index)] = Answerer(index)
        return found


def forget_answerers() -> None:
    """Drop every engine made by `answerer_for` (when the indexes close)."""
    with _answerers_lock:
        _answerers.clear()


def check_question(question: str) -> str:
    """The question stripped, or InvalidQuery when nothing is asked."""
    text = question.strip() if isinstance(question, str) else ""
    if not text:
        raise InvalidQuery("the question is empty; send the client's words in `q`")
    return text


def check_locale(locale: str, indexed: Iterable[str] = ()) -> None:
    """InvalidQuery unless `locale` is one of `kb.LOCALES` or has articles in the index.

    Shared by answering and search, so both accept and refuse the same locales with the
    same words; a locale of the content's own (indexed) is accepted though not in the list.
    """
    known = set(indexed)
    if locale not in LOCALES and locale not in known:
        raise InvalidQuery(f"no locale {locale!r} (locales: {', '.join(sorted({*LOCALES, *known}))})")


class Answerer:
    """Answers for one `SearchIndex`, with the model for its variant and the answer cache."""

    def __init__(self, index: SearchIndex, model: Model | None = None, *, record_gaps: bool = True) -> None:
        self.index = index
        self.model = model or load_model(index.use_semantic)
        self.lexical = self.model if not index.use_semantic else load_model(False)
        self.record_gaps = record_gaps
        self._cache: OrderedDict[tuple[Any, ...], Answer] = OrderedDict()
        # (the index's log position and generation, the announcements live there)
        self._announced: tuple[tuple[int, int], tuple[Announcement, ...]] | None = None

    def hidden(self) -> frozenset[str]:
        """The `locale/key` of published units not to be found nor answered with now (see the module docstring).

        What is live is read once per index position (only the log changes it); the clock is
        judged on every call, so nobody has to unpublish an announcement when it ends.
        """
        at = (self.index.seq, self.index.generation)
        kept = self._announced
        if kept is None or kept[0] != at:
            with read_session(self.index.engine) as session:
                kept = self._announced = (at, live_announcements(session=session))
        return out_of_time(kept[1], utcnow())

    @staticmethod
    def hidden_slots(idx: LocaleIndex, hidden: frozenset[str]) -> IntArray:
        """The slots in `idx` of the `hidden` units (`Answerer.hidden`)."""
        found = [slot for uid in hidden if (slot := idx.by_uid.get(uid)) is not None]
        return np.array(sorted(found), dtype=np.int32)

    def answer(
        self,
        question: str,
        locale: str,
        channel: str,
        context: Mapping[str, Any] | None = None,
        *,
        contact_id: int | None = None,
    ) -> Answer:
        """The best unit for `question` in `locale`, judged for `channel` (see the module docstring).

        `contact_id` (who asked, when known) goes with a content gap, so erasing the contact erases it.
        """
        started = time.perf_counter()
        text = check_question(question)
        spec = check_channel(channel)
        threshold = spec.threshold
        self.index.poll()
        check_locale(locale, self.index.state.locales)
        ctx = dict(context or {})
        hidden = self.hidden()
        key = (
            squeeze(fold(text[:MAX_QUERY_CHARS])),
            locale,
            channel,
            self.index.seq,
            self.index.generation,
            repr(sorted(ctx.items())),
            hidden,
        )
        with self.index.lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                result = replace(found, cached=True)
            else:
                served = self.served_locale(text, locale)
                result = replace(self._compute(text, served, channel, threshold, ctx, hidden), asked_locale=locale)
                self._cache[key] = result
                if len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        result = replace(result, elapsed_ms=(time.perf_counter() - started) * 1000.0)
        self.note_gap(text, result, contact_id=contact_id)
        return result

    def served_locale(self, text: str, asked: str) -> str:
        """The locale to answer `text` from: its own language when clearly another indexed one."""
        return language.detect(text, asked, self.index.state.locales)

    def note_gap(self, question: str, result: Answer, *, contact_id: int | None = None) -> None:
        """Count `question` as a content gap when `result` is no confident answer.

        Also called for an answer its caller kept and serves again (the HTTP answer cache),
        so a repeated question counts exactly as often as it is asked.
        """
        if self.record_gaps and (not result.answered or result.confidence < GAP_BELOW):
            self.index.gaps.note(
                Gap(
                    clean_question(question),
                    question[:500],
                    result.locale,
                    result.channel,
                    result.key,
                    round(result.confidence, 4),
                    contact_id,
                )
            )

    def _compute(
        self, text: str, locale: str, channel: str, threshold: float, ctx: dict[str, Any], hidden: frozenset[str]
    ) -> Answer:
        base = Answer(
            question=text[:MAX_QUERY_CHARS],
            locale=locale,
            channel=channel,
            status=AnswerStatus.HANDOFF,
            confidence=0.0,
            threshold=threshold,
            seq=self.index.seq,
        )
        ranked = self.rank(text, locale, staff=not check_channel(channel).public, context=ctx, hidden=hidden)
        if ranked is None:
            return replace(base, reason="no article shares a word with the question")
        docs = ranked.docs[: ALTERNATIVES + 1]
        top = docs[0]
        answered = ranked.confidence >= threshold
        return replace(
            base,
            status=AnswerStatus.ANSWERED if answered else AnswerStatus.HANDOFF,
            confidence=ranked.confidence,
            key=top.key,
            title=top.title,
            category=top.category,
            revision=top.revision,
            content_hash=top.content_hash,
            alternatives=tuple(
                Alternative(d.key, d.title, round(float(s), 4), d.revision, d.content_hash)
                for d, s in zip(docs[1:], ranked.shares[1:].tolist(), strict=False)
            ),
            reason="confident" if answered else "confidence below the channel's threshold",
        )

    def rank(
        self,
        text: str,
        locale: str,
        *,
        staff: bool = False,
        context: Mapping[str, Any] | None = None,
        hidden: frozenset[str] | None = None,
    ) -> Ranking | None:
        """Every candidate for `text`, best first, with the confidence in the first; None if none.

        `hidden` (default: `self.hidden()`) names the units that are no candidates now.
        """
        idx = self.index.state.locales.get(locale)
        if idx is None or idx.live == 0:
            return None
        query = analyse_query(text, locale, idx, self.index.state.synonyms.get(locale))
        ctx = dict(context or {})
        gone = self.hidden_slots(idx, self.hidden() if hidden is None else hidden)
        cands = feat.candidates(idx, query, staff=staff, hidden=gone)
        lexical = self._ranked(idx, query, cands.slots, cands.features, cands.names, self.lexical, ctx)
        vectors = self.index.state.vectors.get(idx.locale) if self.index.use_semantic else None
        if vectors is None or not vectors.ready or (lexical is not None and lexical.confidence >= DECISIVE):
            return lexical  # decisive (or the vectors are still warming): no need to encode the question
        slots, rows, names = self._with_semantic(idx, query, text, cands, vectors, gone)
        return self._ranked(idx, query, slots, rows, names, self.model, ctx)

    def _ranked(
        self,
        idx: LocaleIndex,
        query: Query,
        slots: IntArray,
        rows: FloatArray,
        names: tuple[str, ...],
        model: Model,
        ctx: dict[str, Any],
    ) -> Ranking | None:
        slots, rows = _apply_context(idx, slots, rows, ctx)
        if len(slots) == 0:
            return None
        scores = model.score(rows, names)
        order = np.argsort(-scores, kind="stable")
        slots, rows, scores = slots[order], rows[order], scores[order]
        shares = np.exp(scores - scores[0])
        shares /= shares.sum()
        values = confidence_values(query, rows, scores, shares, names)
        docs = [info.doc for s in slots.tolist() if (info := idx.docs[s]) is not None]
        return Ranking(query, docs, rows, names, scores, shares, values, model.confidence_of(values))

    def evidence(
        self, idx: LocaleIndex, query: Query, text: str, *, staff: bool
    ) -> tuple[IntArray, FloatArray, tuple[str, ...]]:
        """Candidate slots and every feature row (lexical, plus semantic when enabled): what training sees."""
        cands = feat.candidates(idx, query, staff=staff)
        vectors = self.index.state.vectors.get(idx.locale) if self.index.use_semantic else None
        if vectors is None or not vectors.ready:
            return cands.slots, cands.features, cands.names
        return self._with_semantic(idx, query, text, cands, vectors)

    def _with_semantic(
        self,
        idx: LocaleIndex,
        query: Query,
        text: str,
        cands: feat.Candidates,
        vectors: SemanticIndex,
        hidden: IntArray | None = None,
    ) -> tuple[IntArray, FloatArray, tuple[str, ...]]:
        """The lexical candidates joined by the semantically nearest articles (none `hidden`), with their features."""
        pool, cols = vectors.scores(query.forms(text), len(idx.docs), near=cands.slots)
        live = np.array([idx.docs.alive(s) for s in pool.tolist()], dtype=bool)
        if hidden is not None and len(hidden):
            live &= ~np.isin(pool, hidden)
        pool, cols = pool[live], cols[live]
        by_sem = np.argsort(-cols[:, 0], kind="stable")
        have = set(cands.slots.tolist())
        extra = np.array([s for s in pool[by_sem[:SEMANTIC_EXTRA]].tolist() if s not in have], dtype=np.int32)
        slots, lexical = cands.joined(idx, query, extra)
        # Each candidate's semantic row: from the pool (ascending), or -1 (and the last rank) if outside it.
        rank = np.empty(len(pool), dtype=np.float32)
        rank[by_sem] = np.arange(len(pool), dtype=np.float32)
        at = np.minimum(np.searchsorted(pool, slots), max(len(pool) - 1, 0))
        inside = pool[at] == slots if len(pool) else np.zeros(len(slots), dtype=bool)
        sem = np.full((len(slots), len(SEMANTIC_FEATURES)), -1.0, dtype=np.float32)
        sem[:, -1] = 1.0 / (1.0 + len(pool))
        sem[inside, :-1] = cols[at[inside]]
        sem[inside, -1] = 1.0 / (1.0 + rank[at[inside]])
        return slots, np.concatenate((lexical, sem), axis=1).astype(np.float32), cands.names + SEMANTIC_FEATURES


def confidence_values(
    query: Query, rows: FloatArray, scores: FloatArray, shares: FloatArray, names: tuple[str, ...]
) -> dict[str, float]:
    """The confidence model's inputs for a ranked candidate list (the first row is the answer)."""
    col = {n: i for i, n in enumerate(names)}
    top = rows[0]
    second = float(scores[1]) if len(scores) > 1 else float(scores[0]) - 5.0
    words = max(query.words, 1)
    values = {
        "top": float(scores[0]),
        "margin": min(float(scores[0]) - second, 5.0),
        "p_top": float(shares[0]),
        "cov_any": float(top[col["cov_any"]]),
        "cov_head": float(max(top[col["cov_title"]], top[col["cov_questions"]])),
        "qsim_max": float(top[col["qsim_max"]]),
        "bigram": float(top[col["bigram"]]),
        "unknown_share": query.unknown / words,
        "repaired_share": query.repaired / words,
        "words_log": math.log1p(query.words),
        "bm25_log": float(top[col["bm25_log"]]),
        "agree": float(top[col["rank_recip"]] == 1.0),
    }
    if "sem_max" in col:
        sem = rows[:, col["sem_max"]]
        values["sem_max"] = float(sem[0])
        values["sem_margin"] = float(sem[0] - (sem[1:].max() if len(sem) > 1 else 0.0))
    return values


def _apply_context(
    idx: LocaleIndex, slots: IntArray, rows: FloatArray, ctx: dict[str, Any]
) -> tuple[IntArray, FloatArray]:
    """Honour `exclude` (keys not to offer again) and `category` (preferred, when it has candidates)."""
    if not ctx or len(slots) == 0:
        return slots, rows
    exclude = set(ctx.get("exclude") or ())
    category = ctx.get("category")
    keep = []
    for i, slot in enumerate(slots.tolist()):
        info = idx.docs[slot]
        if info is not None and info.doc.key not in exclude:
            keep.append(i)
    if category:
        inside = [i for i in keep if (d := idx.docs[int(slots[i])]) is not None and d.doc.category == category]
        keep = inside or keep
    return slots[keep], rows[keep]
