"""One published unit as the search index sees it: plain texts per field, analysed once.

The public fields hold only what public channels show: title, alternative questions,
tags, the summary, and the body's general text plus the public channel blocks.
`internal` and `operator` blocks go to the one `internal` field, which only operators
search and which never feeds a public snippet. Facts are filled in with their values,
so "*100#" or "5.00 EUR" can be searched for, and a fact change re-indexes the unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kb import tree
from kb.channels import PUBLIC_BLOCK_CHANNELS, STAFF_BLOCK_CHANNELS
from kb.facts import FactValue
from kb.search import analysis
from kb.types import ArticleKey, Locale

#: The searchable fields, in the order the in-memory index keeps their columns.
FIELDS: tuple[str, ...] = ("title", "questions", "tags", "summary", "body", "internal")
PUBLIC_FIELDS: tuple[str, ...] = FIELDS[:-1]
#: Fields short enough to keep function words in ("what is your name").
_HEAD_FIELDS = frozenset({"title", "questions", "tags"})


@dataclass(frozen=True, slots=True)
class IndexDoc:
    """A published unit, analysed: what both the whoosh index and the in-memory scorer hold."""

    key: ArticleKey
    locale: Locale
    title: str
    category: str | None
    revision: int
    content_hash: str
    texts: dict[str, str]
    counts: dict[str, dict[str, int]]
    phrases: tuple[tuple[str, ...], ...]  # title and each alternative question, as terms

    @property
    def uid(self) -> str:
        return f"{self.locale}/{self.key}"

    def to_data(self) -> dict[str, Any]:
        """A JSON-ready form, stored in the whoosh index so a restart need not re-analyse."""
        return {
            "key": self.key,
            "locale": self.locale,
            "title": self.title,
            "category": self.category,
            "revision": self.revision,
            "content_hash": self.content_hash,
            "texts": self.texts,
            "counts": self.counts,
            "phrases": [list(p) for p in self.phrases],
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> IndexDoc:
        return cls(
            key=data["key"],
            locale=data["locale"],
            title=data["title"],
            category=data["category"],
            revision=int(data["revision"]),
            content_hash=data["content_hash"],
            texts=dict(data["texts"]),
            counts={f: dict(c) for f, c in data["counts"].items()},
            phrases=tuple(tuple(p) for p in data["phrases"]),
        )


def build_doc(unit: tree.Unit, *, revision: int, facts: Mapping[str, FactValue]) -> IndexDoc:
    """Analyse a published unit for the index."""
    locale = unit.locale

    def fact_text(key: str) -> str:
        fact = facts.get(key)
        return "" if fact is None else str(fact.raw_for(locale))

    public: list[tree.Block] = []
    staff: list[tree.Block] = []
    for block in unit.body:
        if isinstance(block, tree.ChannelBlock):
            if block.channel in STAFF_BLOCK_CHANNELS:
                staff.extend(block.children)
            elif block.channel in PUBLIC_BLOCK_CHANNELS:
                public.extend(block.children)
        else:
            public.append(block)
    texts = {
        "title": unit.title,
        "questions": "\n".join(unit.questions),
        "tags": "\n".join(unit.tags),
        "summary": tree.plain_text(unit.summary, fact_text).strip(),
        "body": tree.plain_text(tuple(public), fact_text).strip(),
        "internal": tree.plain_text(tuple(staff), fact_text).strip(),
    }
    counts = {f: analysis.counts(texts[f], locale, keep_stop=f in _HEAD_FIELDS) for f in FIELDS}
    phrases = tuple(tuple(analysis.terms(text, locale)) for text in (unit.title, *unit.questions) if text.strip())
    return IndexDoc(
        key=unit.key,
        locale=locale,
        title=unit.title,
        category=unit.category,
        revision=revision,
        content_hash=unit.content_hash,
        texts=texts,
        counts=counts,
        phrases=phrases,
    )
