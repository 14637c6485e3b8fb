"""SMS sizes counted by hand, the way the network bills them (3GPP TS 23.038 / 23.040)."""

from __future__ import annotations

import pytest

from renderers import fold_to_gsm, is_gsm7, measure


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        pytest.param("", "gsm7", 0, 1, id="empty"),
        pytest.param("a" * 160, "gsm7", 160, 1, id="gsm7-160-fits-one"),
        pytest.param("a" * 161, "gsm7", 161, 2, id="gsm7-161-splits"),
        pytest.param("a" * 306, "gsm7", 306, 2, id="gsm7-2x153"),
        pytest.param("a" * 307, "gsm7", 307, 3, id="gsm7-307"),
        pytest.param("a" * 158 + "[", "gsm7", 160, 1, id="bracket-counts-two-fits"),
        pytest.param("a" * 159 + "€", "gsm7", 161, 2, id="euro-counts-two-splits"),
        pytest.param("€" * 80, "gsm7", 160, 1, id="80-euros"),
        pytest.param("€" * 81, "gsm7", 162, 2, id="81-euros"),
        # 152 + € + 152 = 306 septets; the € may not straddle parts, so part 2 holds
        # € and 151 letters and one letter is left for a third part.
        pytest.param("a" * 152 + "€" + "a" * 152, "gsm7", 306, 3, id="escape-never-split"),
        pytest.param("Ж" * 70, "ucs2", 70, 1, id="cyrillic-70-fits-one"),
        pytest.param("Ж" * 71, "ucs2", 71, 2, id="cyrillic-71-splits"),
        pytest.param("Ж" * 134, "ucs2", 134, 2, id="cyrillic-134-2x67"),
        pytest.param("Ж" * 135, "ucs2", 135, 3, id="cyrillic-135"),
        pytest.param("a" * 100 + "ї", "ucs2", 101, 2, id="one-ukrainian-letter-switches"),
        pytest.param("😀" * 35, "ucs2", 70, 1, id="emoji-count-two"),
        pytest.param("a" * 66 + "😀" + "a" * 66, "ucs2", 134, 3, id="surrogate-never-split"),
    ],
)
def test_measure_counts_encoding_units_and_segments(text: str, encoding: str, units: int, segments: int) -> None:
    size = measure(text)
    assert (size.encoding, size.units, size.segments) == (encoding, units, segments)


def test_per_segment_is_the_single_limit_until_split() -> None:
    assert measure("a" * 160).per_segment == 160
    assert measure("a" * 161).per_segment == 153
    assert measure("я" * 70).per_segment == 70
    assert measure("я" * 71).per_segment == 67


def test_gsm7_alphabet_includes_extension_table_and_greek_capitals() -> None:
    assert is_gsm7("Price: 5€ [EU] {x} ~ ^ | \\ ΔΦΓΛΩΠΨΣΘΞ @£$¥ èéùìòÇØøÅåÆæßÉ ÄÖÑÜ§¿äöñüà¡")
    assert not is_gsm7("«quoted»")
    assert not is_gsm7("Привет")


def test_fold_makes_typographic_english_gsm7() -> None:
    assert fold_to_gsm("Roaming — “like at home” → 5 € … it’s") == ('Roaming - "like at home" -> 5 € ... it\'s')


def test_fold_leaves_cyrillic_exactly_as_written() -> None:
    text = "Роуминг — «как дома»"
    assert fold_to_gsm(text) == text
