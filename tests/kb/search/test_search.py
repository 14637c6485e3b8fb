"""Search for people: snippets, facets, pages, and internal notes kept from the public."""

from __future__ import annotations

import kb


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
