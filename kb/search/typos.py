"""Typo repair against the knowledge base's own vocabulary (symmetric-delete lookup).

Clients misspell ("балланс", "роумнг", "recieve"). A question word whose term the
index does not know, of five letters or more, is matched to a known term one edit
away (two for words of eight letters or more); the nearest, then the most common,
wins. Repaired terms are scored below exact ones by the caller, and the answer
engine's confidence knows how many words it had to repair.

The lookup keeps, for every known term, the term with each one letter deleted (and,
for long terms, each two): a query word and a term are one edit apart exactly when
some one-deletion forms meet, and two apart when some two-deletion forms do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

MIN_LENGTH = 5
_LONG = 8
_LONGEST = 14  # two-deletion forms are kept for terms up to this long (they grow with the square)
_MIN_TERM = 4


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal-string-alignment distance (a transposition is one edit), cut at `limit` + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


class Corrector:
    """Known terms of one locale, and the nearest of them to a misspelt word."""

    def __init__(self) -> None:
        self._by_delete: dict[str, list[str]] = {}
        self._known: set[str] = set()

    def add(self, terms: Iterable[str]) -> None:
        """Learn terms (repeats are ignored); digits-only and short terms are not repair targets."""
        by_delete = self._by_delete
        for term in terms:
            if term in self._known or len(term) < _MIN_TERM or not term.isalpha():
                continue
            self._known.add(term)
            keys = {term} | _deletes(term)
            if _LONG <= len(term) <= _LONGEST:
                keys |= {d2 for d in _deletes(term) for d2 in _deletes(d)}
            for key in keys:
                bucket = by_delete.get(key)
                if bucket is None:
                    by_delete[key] = [term]
                else:
                    bucket.append(term)

    def suggest(self, word: str, weight: Callable[[str], int]) -> str | None:
        """The known term nearest to `word`, or None; `weight(term)` ranks ties (e.g. its df)."""
        if len(word) < MIN_LENGTH or not word.isalpha():
            return None
        limit = 2 if len(word) >= _LONG else 1
        probes = {word} | _deletes(word)
        if limit == 2:
            probes |= {d2 for d in _deletes(word) for d2 in _deletes(d)}
        seen: set[str] = set()
        best: tuple[int, int, str] | None = None
        for probe in probes:
            for term in self._by_delete.get(probe, ()):
                if term in seen:
                    continue
                seen.add(term)
                d = distance(word, term, limit)
                if d > limit or d == 0:
                    continue
                w = weight(term)
                if w <= 0:
                    continue
                rank = (d, -w, term)
                if best is None or rank < best:
                    best = rank
        return None if best is None else best[2]
