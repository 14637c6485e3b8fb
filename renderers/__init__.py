"""Channel renderers: one parsed unit in the form each channel needs.

A registry of pure functions by channel name (web, bot, sms, ivr, operator, email).
The names are kb's channel table (`kb/channels.py`: blocks, thresholds, audience); a
renderer registers against a row of it, so a new channel is one row there, one module
and one `register_renderer()` call, the same path the built-ins take. `render()` looks
the channel up, and caches the output by the content hash, channel, facts and options.
Other packages import from here only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import kb
from kb import ChannelName, FactValue, Locale, Unit
from renderers import bot, email, ivr, operator, sms, web
from renderers.base import (
    InvalidMenu,
    RelatedArticle,
    Rendered,
    Renderer,
    RenderOptions,
    UnknownChannel,
    UnknownFormat,
)
from renderers.bot import render_bot
from renderers.cache import RenderCache, render_key
from renderers.email import render_email
from renderers.gsm import SmsSize, fold_to_gsm, is_gsm7, measure
from renderers.ivr import render_ivr
from renderers.menu import MenuOption, assign_keys, render_ivr_menu
from renderers.operator import render_operator
from renderers.sms import render_sms
from renderers.web import render_web

#: Every channel by name; `render()` and `istok render` look channels up here.
RENDERERS: dict[ChannelName, Renderer] = {}
#: The formats each channel can produce, its default first.
FORMATS: dict[ChannelName, tuple[str, ...]] = {}

_cache = RenderCache()


def register_renderer(name: ChannelName, renderer: Renderer, *, formats: Sequence[str] = ()) -> None:
    """Make `renderer` the channel `name`, replacing any before; `formats` lists default first.

    `name` must be a row of kb's channel table: a renderer under a name kb does not know
    would render output no threshold, audience or block rule covers, so it fails here, at
    import, rather than on the first request. Raises kb.UnknownChannel.
    """
    if name not in kb.CHANNEL_NAMES:
        raise UnknownChannel(name, hint="add the channel to kb/channels.py CHANNELS before registering a renderer")
    RENDERERS[name] = renderer
    FORMATS[name] = tuple(formats)
    _cache.clear()  # outputs of a replaced renderer must not be served again


def render(
    channel: ChannelName,
    *,
    unit: Unit,
    facts: Mapping[str, FactValue],
    locale: Locale | None = None,
    options: RenderOptions | None = None,
) -> Rendered:
    """The unit in `channel`'s form, from the cache when nothing it depends on changed.

    `locale` defaults to the unit's own; `options` to `RenderOptions()`. A channel not in
    kb's table (or with no renderer) raises UnknownChannel naming the known ones; an unknown format,
    UnknownFormat. Content problems never raise: they come back as warnings.
    """
    renderer = RENDERERS.get(kb.check_channel(channel).name)
    if renderer is None:
        raise UnknownChannel(channel, list(RENDERERS))
    locale = unit.locale if locale is None else locale
    options = RenderOptions() if options is None else options
    key = render_key(channel, unit=unit, facts=facts, locale=locale, options=options)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    result = renderer(unit=unit, facts=facts, locale=locale, options=options)
    _cache.put(key, result)
    return result


def clear_render_cache() -> None:
    """Forget every cached output (benchmarks, tests, and a process told facts changed)."""
    _cache.clear()


def render_cache_info() -> dict[str, int]:
    """Entries, capacity, hits and misses of the render cache."""
    return _cache.info()


register_renderer("web", render_web, formats=web.FORMATS)
register_renderer("bot", render_bot, formats=bot.FORMATS)
register_renderer("sms", render_sms, formats=sms.FORMATS)
register_renderer("ivr", render_ivr, formats=ivr.FORMATS)
register_renderer("operator", render_operator, formats=operator.FORMATS)
register_renderer("email", render_email, formats=email.FORMATS)

__all__ = [
    "FORMATS",
    "RENDERERS",
    "InvalidMenu",
    "MenuOption",
    "RelatedArticle",
    "RenderOptions",
    "Rendered",
    "Renderer",
    "SmsSize",
    "UnknownChannel",
    "UnknownFormat",
    "assign_keys",
    "clear_render_cache",
    "fold_to_gsm",
    "is_gsm7",
    "measure",
    "register_renderer",
    "render",
    "render_bot",
    "render_cache_info",
    "render_email",
    "render_ivr",
    "render_ivr_menu",
    "render_operator",
    "render_sms",
    "render_web",
]
