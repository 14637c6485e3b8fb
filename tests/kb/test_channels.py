"""kb's channel table: the one list of names, blocks, thresholds and audiences, and its one check."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

import kb
import renderers

KNOWN = "web, bot, sms, ivr, operator, email"


def test_the_table_names_every_channel_once_with_its_blocks_threshold_and_audience() -> None:
    assert kb.CHANNEL_NAMES == ("web", "bot", "sms", "ivr", "operator", "email")
    rows = {c.name: c for c in kb.CHANNELS}
    assert {name: (c.threshold, c.audience) for name, c in rows.items()} == {
        "web": (0.6, kb.Audience.PUBLIC),
        "bot": (0.6, kb.Audience.PUBLIC),
        "sms": (0.7, kb.Audience.PUBLIC),
        "ivr": (0.75, kb.Audience.PUBLIC),
        "operator": (0.4, kb.Audience.STAFF),
        "email": (0.6, kb.Audience.PUBLIC),
    }
    assert all(c.blocks[0] == c.name for c in kb.CHANNELS)  # each channel's own block is its name
    assert rows["operator"].blocks == ("operator", "internal") and not rows["operator"].public


def test_block_names_thresholds_and_audiences_are_derived_from_the_table() -> None:
    assert set(kb.BLOCK_CHANNELS) == {"web", "bot", "sms", "ivr", "operator", "internal", "email"}
    assert {"web", "bot", "sms", "ivr", "email"} == kb.PUBLIC_BLOCK_CHANNELS
    assert {"operator", "internal"} == kb.STAFF_BLOCK_CHANNELS
    assert dict(kb.THRESHOLDS) == {c.name: c.threshold for c in kb.CHANNELS}  # what the engine judges by


def test_the_check_returns_the_row_or_the_one_error_naming_the_known_channels() -> None:
    assert kb.check_channel("ivr").threshold == 0.75
    with pytest.raises(kb.UnknownChannel) as err:
        kb.check_channel("nosuch")
    assert isinstance(err.value, kb.IstokError)
    assert (err.value.status, err.value.slug) == (422, "unknown-channel")
    assert err.value.detail == f"no channel 'nosuch' (known channels: {KNOWN})"
    assert err.value.known == kb.CHANNEL_NAMES
    assert renderers.UnknownChannel is kb.UnknownChannel  # renderers raise kb's error, not one of their own


def test_a_renderer_module_for_a_channel_not_in_the_table_fails_at_import(tmp_path: Path) -> None:
    module = tmp_path / "shout_channel.py"
    module.write_text(
        "import renderers\n"
        "def render_shout(*, unit, facts, locale, options):\n"
        "    raise AssertionError('never called')\n"
        "renderers.register_renderer('shout', render_shout, formats=('plain',))\n",
        encoding="utf-8",
    )
    spec = importlib.util.spec_from_file_location("shout_channel", module)
    assert spec is not None and spec.loader is not None
    with pytest.raises(kb.UnknownChannel) as err:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
    sys.modules.pop("shout_channel", None)
    assert err.value.detail.startswith(f"no channel 'shout' (known channels: {KNOWN}); add the channel to kb/")
    assert "shout" not in renderers.RENDERERS and "shout" not in renderers.FORMATS


def test_every_channel_in_the_table_has_a_renderer_and_nothing_else_does() -> None:
    assert tuple(renderers.RENDERERS) == kb.CHANNEL_NAMES
