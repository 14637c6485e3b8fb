"""Candidates for a question, and the evidence about each that the learned scorer weighs.

First BM25F over every article of the locale (one vector operation per question term)
picks the best `CANDIDATES`. Then each candidate is described by features that say
more than one score can: which fields the question's words are in, how close the
question is to the nearest title or example question (function words included, so
"what is your name" is not "what's my name"), whether word pairs recur, and where
BM25F ranked it. `kb.search.model` turns these into a ranking and a confidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from kb.search.memory import NF, FloatArray, IntArray, LocaleIndex
from kb.search.query import Query

CANDIDATES = 20
K1 = 1.2
#: Field weights and length normalisation of BM25F, in `FIELDS` order (title, questions,
#: tags, summary, body, internal). Internal text counts only where staff ask.
PUBLIC_BOOSTS = np.array([3.0, 2.5, 1.5, 1.2, 0.5, 0.0], dtype=np.float32)
STAFF_BOOSTS = np.array([3.0, 2.5, 1.5, 1.2, 0.5, 0.5], dtype=np.float32)
LENGTH_NORM = np.array([0.5, 0.6, 0.3, 0.5, 0.75, 0.75], dtype=np.float32)

LEXICAL_FEATURES: tuple[str, ...] = (
    "bm25_rel",
    "bm25_log",
    "cov_title",
    "cov_questions",
    "cov_tags",
    "cov_summary",
    "cov_body",
    "cov_any",
    "qsim_max",
    "qsim_top3",
    "bigram",
    "rank_recip",
    "lm_head",
    "qsim_recall",
    "qsim_precision",
    "phrase_share",
)
#: Dirichlet smoothing of the title-and-questions language model (about one question's length).
LM_MU = 20.0


@dataclass
class Candidates:
    """The candidates of one question: slots, BM25F scores, and a feature row each."""

    slots: IntArray
    scores: FloatArray
    features: FloatArray  # candidates × features
    names: tuple[str, ...]
    lm: np.ndarray  # each one's log-likelihood under the head language model (`lm_head` before it is relative)

    def joined(self, index: LocaleIndex, query: Query, extra: IntArray) -> tuple[IntArray, FloatArray]:
        """These candidates and `extra` slots (found otherwise, BM25F 0), with every row's features.

        Only the extra rows are computed; the relative columns are renormalised over all of them.
        """
        if len(extra) == 0:
            return self.slots, self.features
        rows, lm = _features(index, query, extra, np.zeros(len(extra), dtype=np.float32), first=len(self.slots))
        slots = np.concatenate((self.slots, extra))
        rows = np.concatenate((self.features, rows))
        lm = np.concatenate((self.lm, lm))
        rows[:, _LM] = _relative(lm)
        return slots, rows


def bm25f(index: LocaleIndex, query: Query, boosts: FloatArray) -> tuple[IntArray, FloatArray]:
    """Slots and scores of every article matching a content word (or, failing that, any word)."""
    terms = query.content or query.terms
    if not terms or index.live == 0:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
    scores = np.zeros(len(index.docs), dtype=np.float32)
    avg = index.average_lengths()
    one_minus_b = 1.0 - LENGTH_NORM
    b_over_avg = LENGTH_NORM / avg
    for qt in terms:
        p = index.postings.get(qt.term)
        if p is None:
            continue
        norm = one_minus_b + index.lengths[p.slots] * b_over_avg
        tfn = (p.tfs / norm) @ boosts
        gain = (index.idf(qt.term) * qt.weight * (K1 + 1.0)) * tfn / (tfn + K1)
        scores[p.slots] += gain.astype(np.float32)
    hits = np.flatnonzero(scores > 0)
    return hits.astype(np.int32), scores[hits]


def candidates(
    index: LocaleIndex, query: Query, *, staff: bool = False, limit: int = CANDIDATES, hidden: IntArray | None = None
) -> Candidates:
    """The best `limit` articles by BM25F, each with its lexical features; no slot of `hidden` among them."""
    slots, scores = bm25f(index, query, STAFF_BOOSTS if staff else PUBLIC_BOOSTS)
    if hidden is not None and len(hidden):
        keep = ~np.isin(slots, hidden)
        slots, scores = slots[keep], scores[keep]
    if len(slots) > limit:
        top = np.argpartition(-scores, limit)[:limit]
        slots, scores = slots[top], scores[top]
    order = np.argsort(-scores, kind="stable")
    slots, scores = slots[order], scores[order]
    rows, lm = _features(index, query, slots, scores)
    return Candidates(slots, scores, rows, LEXICAL_FEATURES, lm)


_LM = LEXICAL_FEATURES.index("lm_head")


def _relative(lm: np.ndarray) -> np.ndarray:
    return np.maximum(lm - lm.max(), -20.0) if len(lm) else lm


def _features(
    index: LocaleIndex, query: Query, slots: IntArray, scores: FloatArray, *, first: int = 0
) -> tuple[FloatArray, np.ndarray]:
    """The feature rows of `slots` (`first`: the BM25F rank of the first) and their raw head log-likelihoods."""
    k = len(slots)
    out = np.zeros((k, len(LEXICAL_FEATURES)), dtype=np.float32)
    if k == 0:
        return out, np.zeros(0, dtype=np.float64)
    idf = index.idf
    weights = {qt.term: qt.weight * idf(qt.term) for qt in query.terms}
    content_total = sum(weights[qt.term] for qt in query.content) or 1.0
    coverage = np.zeros((k, NF), dtype=np.float32)
    anywhere = np.zeros(k, dtype=np.float32)
    head_len = index.lengths[slots, 0] + index.lengths[slots, 1]
    head_total = max(float(index.length_sums[0] + index.length_sums[1]), 1.0)
    lm = np.zeros(k, dtype=np.float64)
    for qt in query.content:
        p = index.postings.get(qt.term)
        if p is None:
            continue
        pos = np.minimum(np.searchsorted(p.slots, slots), len(p.slots) - 1)
        hit = p.slots[pos] == slots
        tfs = np.where(hit[:, None], p.tfs[pos], 0.0)
        present = tfs > 0
        coverage += present * weights[qt.term]
        anywhere += present[:, : NF - 1].any(axis=1) * weights[qt.term]
        background = float(p.tfs[:, 0].sum() + p.tfs[:, 1].sum()) / head_total
        if background > 0:
            head_tf = tfs[:, 0] + tfs[:, 1]
            lm += qt.weight * np.log((head_tf + LM_MU * background) / (head_len + LM_MU))
    out[:, 0] = scores / max(float(scores[0]), 1e-9)
    out[:, 1] = np.log1p(scores)
    out[:, 2:7] = coverage[:, :5] / content_total
    out[:, 7] = anywhere / content_total
    q_norm = math.sqrt(sum(weights.values())) or 1.0
    q_mass = sum(weights.values()) or 1.0
    content = {qt.term for qt in query.content}
    asked = frozenset(weights)
    q_bigrams = set(pairwise(query.sequence))
    for i, slot in enumerate(slots.tolist()):
        info = index.docs[slot]
        if info is None:
            continue
        phrases = info.phrases
        if phrases:
            sims, best_share, best_precision, touched = [], 0.0, 0.0, 0
            for which, phrase in enumerate(phrases):
                if asked.isdisjoint(phrase):
                    continue  # most phrases share no term with the question: nothing to count or weigh
                shared = sum(w for t, w in weights.items() if t in phrase)
                touched += 0 if content.isdisjoint(phrase) else 1
                if shared == 0:
                    continue
                mass = index.phrase_mass(slot, which, phrase)
                sims.append(shared / math.sqrt(mass) / q_norm)
                best_share = max(best_share, shared)
                best_precision = max(best_precision, min(shared / mass, 1.0))
            if sims:
                sims.sort(reverse=True)
                out[i, 8] = sims[0]
                out[i, 9] = sum(sims[:3]) / 3.0
            out[i, 13] = best_precision
            out[i, 14] = best_share / q_mass
            out[i, 15] = touched / len(phrases)
        if q_bigrams:
            out[i, 10] = len(q_bigrams & {b for p in phrases for b in pairwise(p)}) / len(q_bigrams)
        out[i, 11] = 1.0 / (1.0 + first + i)
    out[:, _LM] = _relative(lm)
    return out, lm
