"""Search for people: the engine's ranking first, snippets, facets, pages, and internal notes kept from the public."""

from __future__ import annotations

import numpy as np

import kb
from kb.search.answering import Answerer
from kb.search.features import bm25f
from kb.search.query import analyse_query
from kb.search.searching import ENGINE_ONLY, PUBLIC_BOOSTS


def test_hits_have_highlighted_escaped_snippets_and_facets(content_index: kb.SearchIndex) -> None:
    found = kb.search_articles("баланс", "ru", index=content_index)
    assert found.total >= 1 and found.hits[0].key == "check-balance"
    assert "<mark>" in found.hits[0].snippet
    assert found.facets.get("billing", 0) >= 1
    assert sum(found.facets.values()) == found.total


def test_pages_and_category_filter(content_index: kb.SearchIndex) -> None:
    everything = kb.search_articles("интернет", "ru", per_page=50, index=content_index)
    first = kb.search_articles("интернет", "ru", per_page=2, index=content_index)
    second = kb.search_articles("интернет", "ru", page=2, per_page=2, index=content_index)
    assert [h.key for h in first.hits + second.hits] == [h.key for h in everything.hits[:4]]
    only = kb.search_articles("интернет", "ru", category="home-internet", index=content_index)
    assert only.hits and {h.category for h in only.hits} == {"home-internet"}


def test_internal_text_never_reaches_a_public_snippet_but_operators_find_it(content_index: kb.SearchIndex) -> None:
    # "синхронизации" is only in the internal block of check-balance (ru)
    public = kb.search_articles("задержка синхронизации", "ru", index=content_index)
    assert "check-balance" not in [h.key for h in public.hits]
    broad = kb.search_articles("баланс синхронизации", "ru", index=content_index)
    for hit in broad.hits:
        assert "синхрониз" not in hit.snippet.lower() and hit.internal_snippet is None
    staff = kb.search_articles("задержка синхронизации", "ru", "operator", index=content_index)
    top = staff.hits[0]
    assert top.key == "check-balance"
    assert top.internal_snippet is not None and "<mark>синхронизации</mark>" in top.internal_snippet
    assert "синхрониз" not in top.snippet


def test_wrong_layout_is_reported_as_understood(content_index: kb.SearchIndex) -> None:
    found = kb.search_articles("ghjdthbnm ,fkfyc", "ru", index=content_index)
    assert found.corrected == "проверить баланс"
    assert found.hits[0].key == "check-balance"


def test_the_article_the_answer_engine_ranks_first_leads_even_where_bm25f_puts_it_lower(
    content_index: kb.SearchIndex, answerer: Answerer
) -> None:
    question = "не работает интернет"
    ranked = answerer.rank(question, "ru")
    assert ranked is not None and ranked.docs[0].key == "home-internet-not-working"
    idx = content_index.state.locales["ru"]
    query = analyse_query(question, "ru", idx, content_index.state.synonyms.get("ru"))
    slots, scores = bm25f(idx, query, PUBLIC_BOOSTS)
    by_bm25f = [idx.docs[s].doc.key for s in slots[np.lexsort((slots, -scores))].tolist()]
    assert by_bm25f.index("home-internet-not-working") > 0
    found = kb.search_articles(question, "ru", index=content_index)
    assert [h.key for h in found.hits[: len(ranked.docs)]] == [d.key for d in ranked.docs][: found.per_page]
    assert found.hits[0].key == "home-internet-not-working"


def test_an_article_sharing_no_word_is_a_hit_only_where_the_engine_would_offer_it(
    content_index: kb.SearchIndex, answerer: Answerer
) -> None:
    question = "someone nicked my sim"
    idx = content_index.state.locales["en"]
    query = analyse_query(question, "en", idx, content_index.state.synonyms.get("en"))
    matched = {idx.docs[s].doc.key for s in bm25f(idx, query, PUBLIC_BOOSTS)[0].tolist()}
    ranked = answerer.rank(question, "en")
    assert ranked is not None
    offered = [d.key for d in ranked.docs][:ENGINE_ONLY]
    found = kb.search_articles(question, "en", per_page=50, index=content_index)
    assert found.hits[0].key == ranked.docs[0].key
    assert {h.key for h in found.hits} == matched | set(offered)
    assert found.total == len(matched | set(offered))


def test_pages_cover_the_union_once_in_order_with_falling_scores(content_index: kb.SearchIndex) -> None:
    question = "не работает интернет"
    everything = kb.search_articles(question, "ru", per_page=50, index=content_index)
    assert 5 < everything.total <= 50 and len(everything.hits) == everything.total
    paged = []
    for page in range(1, everything.total // 4 + 2):
        paged += kb.search_articles(question, "ru", page=page, per_page=4, index=content_index).hits
    assert [h.key for h in paged] == [h.key for h in everything.hits]
    assert len({h.key for h in paged}) == everything.total
    scores = [h.score for h in everything.hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > 1.0 >= scores[-1] > 0.0
    counted: dict[str, int] = {}
    for hit in everything.hits:
        if hit.category:
            counted[hit.category] = counted.get(hit.category, 0) + 1
    assert everything.facets == counted


def test_category_filter_keeps_the_order_and_counts_of_the_union(content_index: kb.SearchIndex) -> None:
    question = "не работает интернет"
    everything = kb.search_articles(question, "ru", per_page=50, index=content_index)
    only = kb.search_articles(question, "ru", per_page=50, category="home-internet", index=content_index)
    inside = [h.key for h in everything.hits if h.category == "home-internet"]
    assert len(inside) >= 2 and [h.key for h in only.hits] == inside
    assert only.total == everything.facets["home-internet"] == len(inside)
    assert only.facets == {"home-internet": len(inside)}
    assert kb.search_articles(question, "ru", category="no-such-category", index=content_index).total == 0


def test_public_roles_never_get_an_article_that_matches_only_in_internal_notes(
    content_index: kb.SearchIndex,
) -> None:
    # "синхронизации" and "задержка" match check-balance (ru) only in its internal block
    for role in ("public", "bot", "anonymous"):
        found = kb.search_articles("задержка синхронизации", "ru", role, per_page=50, index=content_index)
        assert "check-balance" not in [h.key for h in found.hits]
        assert found.total == len(found.hits) and all(h.internal_snippet is None for h in found.hits)
    staff = kb.search_articles("задержка синхронизации", "ru", "operator", per_page=50, index=content_index)
    assert staff.hits[0].key == "check-balance"
