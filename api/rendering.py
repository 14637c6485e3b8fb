"""The one render path: a unit in one channel's form over the live snapshot.

Every caller (answers, the render route, help pages, the widget, the operator panel, the
editor's preview, `istok render`) renders through `render`, so links resolve to the same
live articles and facts everywhere; only the base URL (absolute for an embedded widget or
a desk app, relative on our own pages) and the channel's options differ. Parsed units are
kept per revision, which never changes, so a repeat render reads no database.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import kb
import renderers
from api import runtime
from api.live import Snapshot

UNIT_CACHE = 4096

_lock = threading.Lock()
_units: OrderedDict[tuple[str, str, int], kb.Unit] = OrderedDict()
_sizes: dict[str, tuple[int, int]] = {}


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


def render(
    channel: str,
    source: kb.Unit,
    *,
    snapshot: Snapshot,
    format: str | None = None,
    base_url: str = "",
    related: Sequence[renderers.RelatedArticle] = (),
    segment: str | None = None,
    revision: int | None = None,
    notices: Sequence[str] = (),
) -> renderers.Rendered:
    """`source` for `channel`, its links resolved to what is live in `snapshot`, its facts from it.

    `revision` names the stored revision rendered (none for an unsaved source); a contact's
    `segment` picks that segment's variant of a channel block; `notices` (announcements of
    now) go to a renderer that fits them into its own budget (SMS).
    """
    options = renderers.RenderOptions(
        format=format,
        base_url=base_url,
        segment=segment,
        articles=snapshot.slugs(source.locale),
        related=list(related),
        revision=revision,
        images=_image_sizes(source.assets),
        notices=tuple(notices),
    )
    return renderers.render(channel, unit=source, facts=snapshot.facts, locale=source.locale, options=options)


def _image_sizes(ids: frozenset[str]) -> dict[str, tuple[int, int]]:
    """Width and height of the unit's images; kept per process, since an image never changes."""
    if not ids:
        return {}
    with _lock:
        missing = [i for i in ids if i not in _sizes]
    if missing:
        with kb.read_session(runtime.engine()) as session:
            found = kb.asset_sizes(session=session, ids=missing)
        with _lock:
            _sizes.update(found)
    with _lock:
        return {i: _sizes[i] for i in ids if i in _sizes}


def render_revision(
    channel: str,
    *,
    locale: str,
    key: str,
    revision: int,
    snapshot: Snapshot,
    format: str | None = None,
    base_url: str = "",
    related: Sequence[renderers.RelatedArticle] = (),
    segment: str | None = None,
    notices: Sequence[str] = (),
) -> renderers.Rendered:
    """One stored revision of an article for `channel` (see `render`)."""
    return render(
        channel,
        unit(locale, key, revision),
        snapshot=snapshot,
        format=format,
        base_url=base_url,
        related=related,
        segment=segment,
        revision=revision,
        notices=notices,
    )
