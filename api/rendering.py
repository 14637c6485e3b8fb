"""What a renderer needs from the store, loaded once per publication and shared by requests.

Facts and the slugs of live articles change only with a publication-log entry, so they
are cached per sequence number; units are cached per revision. An answer then costs no
database read at all when the same unit was served before at the same sequence.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import kb
import renderers
from api import runtime

UNIT_CACHE = 4096


@dataclass(frozen=True)
class Context:
    facts: dict[str, kb.FactValue]
    slugs: dict[str, dict[str, str]]  # locale -> article key -> slug of live articles
    titles: dict[tuple[str, str], str]  # (locale, key) -> title


_lock = threading.Lock()
_context: tuple[int, Context] | None = None
_units: OrderedDict[tuple[str, str, int], kb.Unit] = OrderedDict()


def context(seq: int) -> Context:
    """Facts and live slugs as of publication sequence `seq` (reloaded when it moves)."""
    global _context
    with _lock:
        if _context is not None and _context[0] == seq:
            return _context[1]
    with kb.read_session(runtime.engine()) as session:
        facts = kb.fact_values(session=session)
        live = kb.list_articles(session=session, status=kb.ArticleStatus.PUBLISHED)
        current = kb.last_seq(session)
    slugs: dict[str, dict[str, str]] = {}
    for article in live:
        slugs.setdefault(article.locale, {})[article.key] = article.slug
    loaded = Context(facts=facts, slugs=slugs, titles={(a.locale, a.key): a.title for a in live})
    with _lock:
        _context = (current, loaded)
    return loaded


def unit(locale: str, key: str, revision: int) -> kb.Unit:
    """The parsed unit of one revision (revisions never change, so this never goes stale)."""
    ident = (locale, key, revision)
    with _lock:
        found = _units.get(ident)
        if found is not None:
            _units.move_to_end(ident)
            return found
    with kb.read_session(runtime.engine()) as session:
        loaded = kb.load_unit_of(session=session, key=key, locale=locale, number=revision)
    with _lock:
        _units[ident] = loaded
        while len(_units) > UNIT_CACHE:
            _units.popitem(last=False)
    return loaded


def render_revision(
    channel: str,
    *,
    locale: str,
    key: str,
    revision: int,
    seq: int,
    format: str | None = None,
    related: list[renderers.RelatedArticle] | None = None,
    segment: str | None = None,
) -> renderers.Rendered:
    """One revision of an article in one channel's form, with links resolved to live articles."""
    ctx = context(seq)
    options = renderers.RenderOptions(
        format=format,
        segment=segment,
        articles=ctx.slugs.get(locale, {}),
        related=related or [],
        revision=revision,
    )
    return renderers.render(channel, unit=unit(locale, key, revision), facts=ctx.facts, locale=locale, options=options)


def render_answer(answer: kb.Answer, format: str | None = None, segment: str | None = None) -> renderers.Rendered:
    """The unit an answer chose, rendered for the answer's channel, alternatives as quick replies.

    A contact's `segment` picks that segment's variant of a channel block.
    """
    if answer.key is None or answer.revision is None:
        raise kb.InvalidChange("this answer names no unit to render")
    related = [renderers.RelatedArticle(a.title, a.key) for a in answer.alternatives]
    return render_revision(
        answer.channel,
        locale=answer.locale,
        key=answer.key,
        revision=answer.revision,
        seq=answer.seq,
        format=format,
        related=related,
        segment=segment,
    )
