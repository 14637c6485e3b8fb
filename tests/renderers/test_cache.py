"""The render cache: a hit for the same inputs, a miss whenever anything the output depends on moves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import kb
from renderers import RenderOptions, clear_render_cache, render, render_cache_info
from renderers.cache import RenderCache
from tests.renderers.support import make_fact, unit_of

SOURCE = "Звоните {{ support_phone }}, см. [пополнение](kb:top-up)."


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    clear_render_cache()
    yield
    clear_render_cache()


def facts(version: int = 1, phone: str = "+37167000100") -> dict[str, kb.FactValue]:
    return {
        "support_phone": make_fact("support_phone", "phone", phone, version=version),
        "unrelated": make_fact("unrelated", "number", version, version=version),
    }


def test_same_inputs_are_served_from_the_cache() -> None:
    unit = unit_of(SOURCE)
    first = render("web", unit=unit, facts=facts())
    again = render("web", unit=unit_of(SOURCE), facts=facts())
    assert again is first
    assert render_cache_info() | {"size": 0} == {"entries": 1, "size": 0, "hits": 1, "misses": 1}


def test_a_changed_fact_of_the_unit_misses() -> None:
    unit = unit_of(SOURCE)
    first = render("sms", unit=unit, facts=facts())
    newer = render("sms", unit=unit, facts=facts(version=2, phone="+37167000200"))
    assert newer is not first
    assert newer.body == "Звоните +371 67 000 200, см. пополнение."


def test_an_unrelated_fact_does_not_invalidate() -> None:
    unit = unit_of(SOURCE)
    base = {"support_phone": make_fact("support_phone", "phone", "+37167000100")}
    first = render("sms", unit=unit, facts=base | {"x": make_fact("x", "number", 1)})
    assert render("sms", unit=unit, facts=base | {"x": make_fact("x", "number", 2, version=2)}) is first


def test_options_that_change_the_output_are_in_the_key() -> None:
    unit = unit_of(SOURCE)
    one = render("web", unit=unit, facts=facts(), options=RenderOptions(articles={"top-up": "a"}))
    two = render("web", unit=unit, facts=facts(), options=RenderOptions(articles={"top-up": "b"}))
    assert "/help/ru/a" in one.body and "/help/ru/b" in two.body
    other_article = RenderOptions(articles={"top-up": "a", "elsewhere": "z"})
    assert render("web", unit=unit, facts=facts(), options=other_article) is one
    explicit = RenderOptions(format="html", articles={"top-up": "a"})
    assert render("web", unit=unit, facts=facts(), options=explicit) is not one


def test_lru_drops_the_least_recently_used() -> None:
    cache = RenderCache(size=2)
    unit = unit_of("x")
    a, b, c = (render(ch, unit=unit, facts={}) for ch in ("web", "sms", "bot"))
    cache.put("a", a)
    cache.put("b", b)
    assert cache.get("a") is a
    cache.put("c", c)
    assert cache.get("b") is None
    assert cache.get("a") is a and cache.get("c") is c
