"""The registry: channels by name, one registration path, clear errors for unknown names."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest

import kb
import renderers
from renderers import (
    FORMATS,
    RENDERERS,
    Rendered,
    RenderOptions,
    UnknownChannel,
    register_renderer,
    render,
)
from tests.renderers.support import unit_of


def test_built_in_channels_and_their_default_formats() -> None:
    assert list(RENDERERS) == ["web", "bot", "sms", "ivr", "operator", "email"]
    assert {name: formats[0] for name, formats in FORMATS.items()} == {
        "web": "html",
        "bot": "plain",
        "sms": "plain",
        "ivr": "ssml",
        "operator": "html",
        "email": "multipart",
    }


def test_unknown_channel_is_kbs_422_naming_the_known_ones() -> None:
    with pytest.raises(UnknownChannel) as err:
        render("fax", unit=unit_of("x"), facts={})
    assert isinstance(err.value, kb.UnknownChannel)
    assert (err.value.status, err.value.slug) == (422, "unknown-channel")
    assert err.value.detail == "no channel 'fax' (known channels: web, bot, sms, ivr, operator, email)"


@pytest.fixture
def shouting() -> Iterator[str]:
    """A channel of the table re-registered the way the built-ins are, restored afterwards."""
    before, formats = RENDERERS["sms"], FORMATS["sms"]

    def render_shout(
        *, unit: kb.Unit, facts: Mapping[str, kb.FactValue], locale: str, options: RenderOptions
    ) -> Rendered:
        return Rendered(channel="sms", format="plain", body=unit.title.upper(), media_type="text/plain")

    register_renderer("sms", render_shout, formats=("plain",))
    yield "sms"
    register_renderer("sms", before, formats=formats)


def test_a_channel_is_one_function_and_one_registration_against_the_table(shouting: str) -> None:
    out = render(shouting, unit=unit_of("x", title="Привет"), facts={})
    assert out.body == "ПРИВЕТ"
    with pytest.raises(UnknownChannel, match=r"add the channel to kb/channels\.py"):
        register_renderer("shout", RENDERERS[shouting])
    assert "shout" not in RENDERERS


def test_render_defaults_to_the_units_locale_and_default_options() -> None:
    out = render("web", unit=unit_of("Текст.", locale="uk", slug="s"), facts={})
    assert out.meta["url"] == "/help/uk/s"
    assert out.format == "html"


def test_public_names_are_exported_from_the_front_door() -> None:
    for name in renderers.__all__:
        assert hasattr(renderers, name), name
