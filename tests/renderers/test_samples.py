"""Every sample article renders in every channel and format, cleanly, and keeps its secrets."""

from __future__ import annotations

import dataclasses
import email
from email import policy

import pytest
from lxml import etree

import kb
from renderers import FORMATS, RENDERERS, RenderOptions, render
from tests.renderers.support import CONTENT, load_facts, sample_units, slugs_by_locale

UNITS = sample_units()
FACTS = load_facts()
SLUGS = slugs_by_locale(UNITS)
PUBLIC = [c for c in RENDERERS if c != "operator"]


def _options(unit: kb.Unit, fmt: str | None = None) -> RenderOptions:
    return RenderOptions(format=fmt, articles=SLUGS[unit.locale], base_url="https://help.sfera.example")


def _id(unit: kb.Unit) -> str:
    return f"{unit.locale}/{unit.key}"


def test_there_are_samples_in_every_locale() -> None:
    assert {u.locale for u in UNITS} == {"ru", "uk", "en"}


@pytest.mark.parametrize("unit", UNITS, ids=_id)
def test_sample_renders_in_every_channel_without_warnings(unit: kb.Unit) -> None:
    problems = []
    for channel in RENDERERS:
        for fmt in FORMATS[channel]:
            out = render(channel, unit=unit, facts=FACTS, options=_options(unit, fmt))
            assert out.body.strip(), (channel, fmt)
            problems += [f"{channel}/{fmt}: {w}" for w in out.warnings]
    assert problems == []


@pytest.mark.parametrize("unit", UNITS, ids=_id)
def test_sample_fits_sms_and_ivr_caps(unit: kb.Unit) -> None:
    sms = render("sms", unit=unit, facts=FACTS, options=_options(unit))
    assert sms.meta["segments"] <= (3 if unit.block_for("sms") else 2)  # only an editor's block may take 3
    ivr = render("ivr", unit=unit, facts=FACTS, options=_options(unit))
    assert 0 < ivr.meta["duration_s"] <= 45
    spoken = "".join(etree.fromstring(ivr.body.encode()).itertext())  # the xmlns is itself http://…
    assert "http" not in spoken
    plain = render("ivr", unit=unit, facts=FACTS, options=_options(unit, "plain"))
    assert "http" not in plain.body


@pytest.mark.parametrize("unit", UNITS, ids=_id)
def test_sample_short_form_fits_two_sms_parts_with_the_whole_link(unit: kb.Unit) -> None:
    """Without its sms block every sample's derived form (summary, key step, link) takes two parts."""
    body = tuple(b for b in unit.body if not (isinstance(b, kb.tree.ChannelBlock) and b.channel == "sms"))
    derived = dataclasses.replace(unit, body=body, content_hash=f"{unit.content_hash}-without-sms")
    sms = render("sms", unit=derived, facts=FACTS, options=_options(unit))
    assert sms.meta["segments"] <= 2, sms.body
    assert sms.meta["source"] in ("general", "summary", "shortened"), sms.body
    url = f"https://help.sfera.example/help/{unit.locale}/{unit.slug}"
    assert sms.body.endswith(f": {url}")
    summary = kb.tree.plain_text(unit.summary)  # facts left out: the summary's own words
    assert sms.body.split()[0] == summary.split()[0], sms.body  # it starts with the summary, not the title


def _staff_phrases(unit: kb.Unit) -> list[str]:
    """A distinctive piece of each internal and operator block of the unit."""
    blocks = [b for b in unit.body if isinstance(b, kb.tree.ChannelBlock)]
    texts = [kb.tree.plain_text(b.children) for b in blocks if b.channel in ("internal", "operator")]
    return [" ".join(t.split())[:60] for t in texts if t.strip()]


STAFF = [u for u in UNITS if _staff_phrases(u)]


@pytest.mark.parametrize("unit", STAFF, ids=_id)
def test_internal_notes_reach_only_the_operator(unit: kb.Unit) -> None:
    phrases = _staff_phrases(unit)
    for channel in PUBLIC:
        for fmt in FORMATS[channel]:
            out = render(channel, unit=unit, facts=FACTS, options=_options(unit, fmt))
            shown = out.body + str(out.meta)
            if channel == "email":  # read the parts back, in case they were encoded
                message = email.message_from_bytes(out.body.encode(), policy=policy.default)
                shown += "".join(p.get_content() for p in message.iter_parts())  # type: ignore[attr-defined]
            for phrase in phrases:
                assert phrase not in " ".join(shown.split()), (channel, fmt, phrase)
    for fmt in FORMATS["operator"]:
        card = render("operator", unit=unit, facts=FACTS, options=_options(unit, fmt))
        flat = " ".join(card.body.replace("&nbsp;", " ").split())
        assert all(p.split()[0] in flat for p in phrases)


def _published() -> list[kb.Unit]:
    """The sample units an import with --publish makes live: those whose front matter says published."""
    files = sorted(CONTENT.glob("*/*/*.md"))
    fronts = [kb.split_source(kb.normalise_source(f.read_text(encoding="utf-8")), file=str(f)).front for f in files]
    live = {(f.locale, f.key) for f in fronts if f.status is kb.ArticleStatus.PUBLISHED}
    return [u for u in UNITS if (u.locale, u.key) in live]


@pytest.mark.parametrize("unit", _published(), ids=_id)
def test_every_published_sample_sms_fits_two_parts(unit: kb.Unit) -> None:
    """Whatever its source, the editor's block or a derived short form, no sample SMS takes a third part."""
    sms = render("sms", unit=unit, facts=FACTS, options=_options(unit))
    assert sms.meta["segments"] <= 2, (sms.meta["source"], sms.meta["length"], sms.body)
