"""Full-text search for people: ranked hits with highlighted snippets, facets by category, pages.

Questions go through the same repairs as for the answer engine (layout, typos,
synonyms), and the ranking leads with the same evidence: the answer engine's
candidates (`Answerer.rank`: the best BM25F matches plus, when semantic vectors are
on, the semantically nearest articles) come first, in the engine's order; every other
article matching a question word follows in BM25F order. So the article the engine
would answer with is the first hit, and search still finds everything a word matches.
The engine ranks a few dozen candidates at most; the long tail costs only BM25F.

BM25F, the total, the facets and paging come from the in-memory scorer
(`kb.search.memory`): BM25F over every article of the locale is a few vector
operations per question word, and counting categories over all hits (the engine's
and BM25F's together) is one `bincount`. Each hit has one place in that order, so
pages never overlap or skip. Only the page shown touches whoosh, for its stored texts,
and only that page gets snippets. (whoosh's own search scored every matching posting
in Python: 40–80 ms at 10,000 articles, against a budget of 15 ms for search-as-you-type.)

A hit's `score` falls down the list: 1 plus the engine's share of belief (its softmax
over the candidates, so between 1 and 2) for the engine's candidates, and BM25F / (1 + BM25F),
in (0, 1), for the rest. Compare scores within one result list only.

An announcement outside its time box is left out of every list (`Answerer.hidden`), as the
answer engine leaves it out: its page is published, but it is not news yet, or no longer.

The role decides what is searched: operators (and editors and admins) also search
`internal` notes and get a separate staff-only snippet; everyone else searches and
sees public text only, and the engine ranks for them as for a public channel (internal
text weighs nothing, so an article that matches only there is not a hit).
"""

from __future__ import annotations

import numpy as np

from kb.search.answering import ALTERNATIVES, Ranking, answerer_for, check_locale, check_question
from kb.search.documents import IndexDoc
from kb.search.errors import InvalidQuery
from kb.search.features import bm25f
from kb.search.index import SearchIndex
from kb.search.memory import FloatArray, IntArray, LocaleIndex
from kb.search.query import analyse_query
from kb.search.results import SearchHit, SearchResults
from kb.search.snippets import snippet

STAFF_ROLES = frozenset({"operator", "editor", "admin"})
PUBLIC_ROLES = frozenset({"public", "bot", "anonymous"})
MAX_PER_PAGE = 50
MAX_DEPTH = 1000
#: BM25F field weights for people's search, in `FIELDS` order (title, questions, tags, summary,
#: body, internal). People scan whole articles, so the body counts more than for answers.
PUBLIC_BOOSTS = np.array([3.0, 2.0, 1.5, 1.2, 1.0, 0.0], dtype=np.float32)
STAFF_BOOSTS = np.array([3.0, 2.0, 1.5, 1.2, 1.0, 1.0], dtype=np.float32)
#: Articles the engine ranks that match no question word are hits only this high up its list.
ENGINE_ONLY = ALTERNATIVES + 1


def search(
    index: SearchIndex,
    question: str,
    locale: str,
    role: str = "public",
    *,
    page: int = 1,
    per_page: int = 10,
    category: str | None = None,
) -> SearchResults:
    """One page of articles matching `question` in `locale`, as `role` may see them."""
    text = check_question(question)
    if role not in STAFF_ROLES | PUBLIC_ROLES:
        raise InvalidQuery(f"no role {role!r} (roles: {', '.join(sorted(STAFF_ROLES | PUBLIC_ROLES))})")
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE or page * per_page > MAX_DEPTH:
        raise InvalidQuery(f"page must be ≥ 1 and per_page 1…{MAX_PER_PAGE}, at most {MAX_DEPTH} results deep")
    index.poll()
    known = index.state.locales
    check_locale(locale, known)
    staff = role in STAFF_ROLES
    results = SearchResults(query=text, locale=locale, role=role, page=page, per_page=per_page, total=0)
    engine = answerer_for(index)
    hidden = engine.hidden()
    with index.lock:  # an RLock; `rank` reads the same state and takes no lock of its own
        idx = known.get(locale)
        if idx is None:
            return results
        ranking = engine.rank(text, locale, staff=staff, hidden=hidden)
        query = ranking.query if ranking else analyse_query(text, locale, idx, index.state.synonyms.get(locale))
        matched, bm25 = bm25f(idx, query, STAFF_BOOSTS if staff else PUBLIC_BOOSTS)
        gone = engine.hidden_slots(idx, hidden)
        if len(gone):
            keep = ~np.isin(matched, gone)
            matched, bm25 = matched[keep], bm25[keep]
        slots, scores = _ordered(idx, ranking, matched, bm25)
        if category is not None:
            keep = idx.category_ids[slots] == idx.category_id(category)
            slots, scores = slots[keep], scores[keep]
        facets = _facets(idx, slots)
        shown = _page(slots, scores, page, per_page)
        infos = [(info.doc, float(score)) for slot, score in shown if (info := idx.docs[slot]) is not None]
        stored = index.text.stored_docs([doc.uid for doc, _ in infos])
    marked = {t.term for t in query.terms}
    hits = [_hit(stored.get(doc.uid, doc), score, marked, staff) for doc, score in infos]
    return SearchResults(
        query=text,
        locale=locale,
        role=role,
        page=page,
        per_page=per_page,
        total=len(slots),
        hits=hits,
        facets=facets,
        corrected=query.text if (query.switched or query.repaired) else None,
    )


def _facets(idx: LocaleIndex, slots: IntArray) -> dict[str, int]:
    """Hits per category over all hits, most first (articles without a category are not counted)."""
    ids = idx.category_ids[slots]
    counts = np.bincount(ids[ids >= 0], minlength=len(idx.categories))
    named = sorted(((idx.categories[i], int(n)) for i, n in enumerate(counts.tolist()) if n), key=lambda c: -c[1])
    return dict(named)


def _ordered(
    idx: LocaleIndex, ranking: Ranking | None, slots: IntArray, bm25: FloatArray
) -> tuple[IntArray, FloatArray]:
    """Every hit in search order with its score: the engine's candidates first, then BM25F's (ties by slot).

    The engine was asked with the searcher's role, so its candidates are theirs to see; a
    candidate no longer in the locale index is skipped, and one that shares no word with the
    question (found by the semantic evidence) is a hit only among the engine's first
    `ENGINE_ONLY`, what it would offer as the answer and its alternatives.
    """
    order = np.lexsort((slots, -bm25))
    slots, bm25 = slots[order], bm25[order]
    if ranking is None:
        return slots, bm25 / (1.0 + bm25)
    matched = set(slots.tolist())
    ranked = [
        (slot, share)
        for place, (doc, share) in enumerate(zip(ranking.docs, ranking.shares.tolist(), strict=False))
        if (slot := idx.by_uid.get(doc.uid)) is not None and (slot in matched or place < ENGINE_ONLY)
    ]
    first = np.array([slot for slot, _ in ranked], dtype=np.int32)
    rest = ~np.isin(slots, first)
    head = 1.0 + np.array([share for _, share in ranked], dtype=np.float32)
    tail = bm25[rest] / (1.0 + bm25[rest])
    return np.concatenate((first, slots[rest])), np.concatenate((head, tail)).astype(np.float32)


def _page(slots: IntArray, scores: FloatArray, page: int, per_page: int) -> list[tuple[int, float]]:
    """(slot, score) of one page of hits already in search order, so pages never overlap or skip."""
    window = slice((page - 1) * per_page, page * per_page)
    return list(zip(slots[window].tolist(), scores[window].tolist(), strict=True))


def _hit(doc: IndexDoc, score: float, marked: set[str], staff: bool) -> SearchHit:
    public = snippet([doc.texts.get("summary", ""), doc.texts.get("body", "")], marked, doc.locale)
    internal = None
    if staff and doc.texts.get("internal"):
        internal = snippet([doc.texts["internal"]], marked, doc.locale) or None
    return SearchHit(
        key=doc.key,
        locale=doc.locale,
        title=doc.title,
        category=doc.category,
        revision=doc.revision,
        content_hash=doc.content_hash,
        score=round(score, 4),
        snippet=public,
        internal_snippet=internal,
    )
