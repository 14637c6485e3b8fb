"""The learned part of the answer engine: a linear ranker and a calibrated confidence.

Both are fitted on the development questions (`kb.search.training`) and kept as
small JSON beside this module (`model.json`), so what the service does is reviewable
in a diff. The ranker scores each candidate from its features; the confidence is a
logistic model of "the top answer is right", from the ranker's own margin and the
evidence about the question (how much of it the article covers, how many words were
unknown or repaired). It is fitted on questions that have an answer and questions
that have none, so it is the probability a client gets the right article.

There is one model without and one with the optional semantic features; a missing or
unreadable file falls back to hand-set weights, so the service always answers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kb.search.features import LEXICAL_FEATURES
from kb.search.memory import FloatArray

MODEL_FILE = Path(__file__).with_name("model.json")

CONFIDENCE_FEATURES: tuple[str, ...] = (
    "top",
    "margin",
    "p_top",
    "cov_any",
    "cov_head",
    "qsim_max",
    "bigram",
    "unknown_share",
    "repaired_share",
    "words_log",
    "bm25_log",
    "agree",
)
SEMANTIC_CONFIDENCE: tuple[str, ...] = ("sem_max", "sem_margin")

_DEFAULT_RANK = {
    "bm25_rel": 2.0,
    "cov_title": 1.0,
    "cov_questions": 1.0,
    "cov_any": 1.0,
    "qsim_max": 3.0,
    "qsim_top3": 1.0,
    "bigram": 1.0,
    "rank_recip": 0.5,
    "sem_max": 8.0,
    "sem_centroid": 2.0,
}
_DEFAULT_CONFIDENCE = {"margin": 1.5, "cov_any": 2.0, "qsim_max": 2.0, "unknown_share": -3.0, "sem_max": 6.0}


@dataclass(frozen=True)
class Model:
    """One fitted variant: ranker weights per feature, confidence weights and bias."""

    rank: Mapping[str, float]
    confidence: Mapping[str, float]
    bias: float
    info: Mapping[str, Any] = field(default_factory=dict)

    def rank_vector(self, names: Sequence[str]) -> FloatArray:
        return np.array([self.rank.get(n, 0.0) for n in names], dtype=np.float32)

    def score(self, features: FloatArray, names: Sequence[str]) -> FloatArray:
        """The ranker's score of each candidate row."""
        if len(features) == 0:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(features @ self.rank_vector(names), dtype=np.float32)

    def confidence_of(self, values: Mapping[str, float]) -> float:
        """The probability that the top answer is the right one."""
        z = self.bias + sum(w * values.get(name, 0.0) for name, w in self.confidence.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def default_model(semantic: bool) -> Model:
    """Hand-set weights, used when no fitted model is available."""
    rank = {k: v for k, v in _DEFAULT_RANK.items() if semantic or not k.startswith("sem_")}
    conf = {k: v for k, v in _DEFAULT_CONFIDENCE.items() if semantic or not k.startswith("sem_")}
    return Model(rank=rank, confidence=conf, bias=-3.0, info={"fitted": False})


def load_model(semantic: bool, path: Path = MODEL_FILE) -> Model:
    """The fitted model for the lexical or the semantic variant (hand-set weights if none)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        part = data["semantic" if semantic else "lexical"]
        return Model(
            rank={str(k): float(v) for k, v in part["rank"].items()},
            confidence={str(k): float(v) for k, v in part["confidence"].items()},
            bias=float(part["bias"]),
            info=dict(part.get("info", {})),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return default_model(semantic)


def rank_feature_names(semantic: bool) -> tuple[str, ...]:
    from kb.search.vectors import SEMANTIC_FEATURES

    return LEXICAL_FEATURES + (SEMANTIC_FEATURES if semantic else ())


def confidence_feature_names(semantic: bool) -> tuple[str, ...]:
    return CONFIDENCE_FEATURES + (SEMANTIC_CONFIDENCE if semantic else ())
