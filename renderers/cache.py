"""The render cache: an in-memory LRU keyed by everything a render depends on.

A renderer is pure, so its output is fixed by (channel, locale, content hash, the
facts the unit uses with their versions and values, the options that can change
it). Only the unit's own facts and the slugs of the articles it links to enter the
key, so a change to an unrelated fact or article leaves the entry valid and a
warm lookup stays cheap however large the knowledge base grows.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any

from kb import ChannelName, FactValue, Locale, Unit
from renderers.base import Rendered, RenderOptions

DEFAULT_SIZE = 8192


def _hashable(value: Any) -> Hashable:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def _fact_signature(fact: FactValue | None) -> Hashable:
    if fact is None:
        return None
    locales = tuple(sorted((str(k), _hashable(v)) for k, v in fact.locales.items()))
    return (fact.key, fact.version, fact.type.value, _hashable(fact.value), locales)


def render_key(
    channel: ChannelName,
    *,
    unit: Unit,
    facts: Mapping[str, FactValue],
    locale: Locale,
    options: RenderOptions,
) -> Hashable:
    """The cache key of one render: the same key always means the same output."""
    related = tuple((str(title), str(key)) for title, key in options.related)
    linked = unit.links.union(key for _, key in related)
    return (
        channel,
        locale,
        unit.content_hash,
        tuple((key, _fact_signature(facts.get(key))) for key in sorted(unit.facts)),
        (
            options.format,
            options.segment,
            options.base_url,
            tuple((key, options.articles.get(key)) for key in sorted(linked)),
            related,
            options.revision,
            options.sms_max_segments,
            options.sms_short_segments,
            options.ivr_max_seconds,
            options.bot_max_chars,
            tuple(options.notices),
            tuple((asset, options.images.get(asset)) for asset in sorted(unit.assets)),
        ),
    )


class RenderCache:
    """A thread-safe least-recently-used map from render keys to rendered values."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Rendered | None:
        """The cached output for `key`, now the most recently used, or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: Hashable, value: Rendered) -> None:
        """Keep `value`, dropping the least recently used entries beyond the size."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every entry and reset the counters."""
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def info(self) -> dict[str, int]:
        """Size and hit counts, for health pages and benchmarks."""
        with self._lock:
            return {
                "entries": len(self._entries),
                "size": self.size,
                "hits": self.hits,
                "misses": self.misses,
            }
