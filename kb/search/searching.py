"""Full-text search for people: ranked hits with highlighted snippets, facets by category, pages.

Questions go through the same repairs as for the answer engine (layout, typos,
synonyms), then whoosh ranks with field boosts. The role decides what is searched:
operators (and editors and admins) also search `internal` notes and get a separate
staff-only snippet; everyone else searches and sees public text only.
"""

from __future__ import annotations

from kb.search.answering import check_question
from kb.search.documents import FIELDS, PUBLIC_FIELDS
from kb.search.errors import InvalidQuery
from kb.search.index import SearchIndex
from kb.search.query import analyse_query
from kb.search.results import SearchHit, SearchResults
from kb.search.snippets import snippet

STAFF_ROLES = frozenset({"operator", "editor", "admin"})
PUBLIC_ROLES = frozenset({"public", "bot", "anonymous"})
MAX_PER_PAGE = 50
MAX_DEPTH = 1000


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
    if locale not in known and locale not in ("ru", "uk", "en"):
        raise InvalidQuery(f"no locale {locale!r} (locales: {', '.join(sorted({'ru', 'uk', 'en', *known}))})")
    staff = role in STAFF_ROLES
    empty = SearchResults(query=text, locale=locale, role=role, page=page, per_page=per_page, total=0)
    with index.lock:
        idx = known.get(locale)
        if idx is None:
            return empty
        query = analyse_query(text, locale, idx, index.state.synonyms.get(locale))
        terms = [(t.term, t.weight) for t in (query.content or query.terms)]
        found = index.text.search(
            terms,
            locale=locale,
            fields_=FIELDS if staff else PUBLIC_FIELDS,
            category=category,
            page=page,
            per_page=per_page,
        )
    marked = {t.term for t in query.terms}
    hits = []
    for hit in found.hits:
        doc = hit.doc
        public = snippet([doc.texts.get("summary", ""), doc.texts.get("body", "")], marked, locale)
        internal = None
        if staff and doc.texts.get("internal"):
            internal = snippet([doc.texts["internal"]], marked, locale) or None
        hits.append(
            SearchHit(
                key=doc.key,
                locale=doc.locale,
                title=doc.title,
                category=doc.category,
                revision=doc.revision,
                content_hash=doc.content_hash,
                score=round(hit.score, 4),
                snippet=public,
                internal_snippet=internal,
            )
        )
    corrected = query.text if (query.switched or query.repaired) else None
    return SearchResults(
        query=text,
        locale=locale,
        role=role,
        page=page,
        per_page=per_page,
        total=found.total,
        hits=hits,
        facets=found.facets,
        corrected=corrected,
    )
