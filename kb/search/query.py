"""A client's question as weighted index terms, repaired the way clients need.

In order: fold and cap the text; switch words typed in the wrong keyboard layout;
analyse like articles; repair unknown words of five letters or more to the nearest
known term (scored below exact words); add the editors' synonyms of what was asked
(scored below the words themselves). Nothing here is slow: every step is a few dict
look-ups per word, and long questions are cut to `MAX_WORDS` words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kb.search import analysis, morphology
from kb.search.layout import fix_layout
from kb.search.memory import LocaleIndex
from kb.search.text import MAX_QUERY_CHARS, fold, script_of, words
from kb.types import Locale

MAX_WORDS = 40
TYPO_WEIGHT = 0.6
SYNONYM_WEIGHT = 0.5
MAX_EXPANSIONS = 12
MAX_VARIANTS = 9


@dataclass(frozen=True, slots=True)
class QueryTerm:
    """A term to look for, how much it counts, and why it is there."""

    term: str
    weight: float
    kind: str  # "exact", "typo" or "synonym"
    stop: bool = False


@dataclass(frozen=True)
class Query:
    """An analysed question."""

    text: str  # folded, after layout repair
    terms: tuple[QueryTerm, ...]
    sequence: tuple[str, ...]  # every word's term in order, function words included
    words: int
    unknown: int  # content words that match nothing, even after repair
    repaired: int
    switched: int  # words switched to the other keyboard layout
    expanded: int = 0
    repaired_text: str = ""  # `text` with each repaired word replaced by the term it was taken for

    def forms(self, asked: str) -> tuple[str, ...]:
        """The question as asked and, when repairs changed it, as understood: what the encoder sees."""
        understood = self.repaired_text or self.text
        return (asked,) if understood == fold(asked) else (asked, understood)

    @property
    def content(self) -> tuple[QueryTerm, ...]:
        return tuple(t for t in self.terms if not t.stop)


@dataclass
class SynonymMap:
    """The editors' synonym sets of one locale, as phrases of content terms."""

    sets: list[list[tuple[str, ...]]] = field(default_factory=list)
    by_first: dict[str, list[tuple[tuple[str, ...], int]]] = field(default_factory=dict)

    @classmethod
    def build(cls, sets: Sequence[Sequence[str]], locale: Locale) -> SynonymMap:
        result = cls()
        for terms in sets:
            phrases = [tuple(analysis.terms(t, locale, keep_stop=False)) for t in terms]
            phrases = [p for p in phrases if p]
            if len(phrases) < 2:
                continue
            idx = len(result.sets)
            result.sets.append(phrases)
            for phrase in phrases:
                result.by_first.setdefault(phrase[0], []).append((phrase, idx))
        return result

    def expansions(self, sequence: Sequence[str]) -> list[tuple[str, ...]]:
        """Phrases synonymous with some phrase in `sequence` (content terms in order).

        Phrases are also matched with one word swapped for a one-word synonym, so
        "тормозит инет" finds the set of "тормозит интернет" through "инет = интернет".
        """
        found: list[tuple[str, ...]] = []
        variants = [tuple(sequence)]
        for i, term in enumerate(sequence):
            for phrase, idx in self.by_first.get(term, ()):
                if len(phrase) == 1:
                    others = [p[0] for p in self.sets[idx] if len(p) == 1 and p != phrase]
                    variants.extend((*sequence[:i], o, *sequence[i + 1 :]) for o in others[:4])
        for seq in variants[:MAX_VARIANTS]:
            for i, term in enumerate(seq):
                for phrase, idx in self.by_first.get(term, ()):
                    if seq[i : i + len(phrase)] == phrase:
                        found.extend(p for p in self.sets[idx] if p != phrase and p not in found)
        return found


def analyse_query(text: str, locale: Locale, index: LocaleIndex, synonyms: SynonymMap | None) -> Query:
    """The weighted terms of a question in `locale`, against the vocabulary of `index`."""
    folded = fold(text[:MAX_QUERY_CHARS])

    def known_share(chunk: str) -> float:
        found = list(words(chunk))
        if not found:
            return 0.0
        hits = 0
        for w in found:
            term, stop = analysis.analyse_word(locale, w.text)
            if stop or index.df(term) > 0 or morphology.is_real_word(locale, w.text):
                hits += 1
        return hits / len(found)

    folded, switched = fix_layout(folded, locale, known_share)
    tokens = analysis.tokens(folded, locale)[:MAX_WORDS]
    chosen: dict[str, QueryTerm] = {}
    sequence: list[str] = []
    content_seq: list[str] = []
    unknown = repaired = 0
    pieces: list[str] = []
    at = 0
    for tok in tokens:
        term = tok.term
        kind = "exact"
        if not tok.stop and index.df(term) == 0 and script_of(tok.surface) != "other":
            fixed = index.corrector.suggest(tok.surface, index.df) or index.corrector.suggest(term, index.df)
            if fixed is not None:
                term, kind = fixed, "typo"
                repaired += 1
                pieces += [folded[at : tok.start], fixed]
                at = tok.end
            else:
                unknown += 1
        sequence.append(term)
        if not tok.stop:
            content_seq.append(term)
        weight = 1.0 if kind == "exact" else TYPO_WEIGHT
        old = chosen.get(term)
        if old is None or old.weight < weight:
            chosen[term] = QueryTerm(term, weight, kind, tok.stop)
    expanded = 0
    if synonyms is not None:
        for phrase in synonyms.expansions(content_seq):
            for term in phrase:
                if term not in chosen and expanded < MAX_EXPANSIONS:
                    chosen[term] = QueryTerm(term, SYNONYM_WEIGHT / len(phrase) ** 0.5, "synonym")
                    expanded += 1
    return Query(
        text=folded,
        terms=tuple(chosen.values()),
        sequence=tuple(sequence),
        words=sum(1 for t in tokens if not t.stop),
        unknown=unknown,
        repaired=repaired,
        switched=switched,
        expanded=expanded,
        repaired_text="".join(pieces) + folded[at:],
    )
