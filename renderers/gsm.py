"""SMS encodings and segments, counted the way the network bills them (3GPP TS 23.038/23.040).

A text that fits the GSM 7-bit alphabet travels in septets: 160 in one SMS, 153 per
part once it is split (the rest of each part is the concatenation header). An
extension character (€, [, ], {, }, \\, ^, ~, |, form feed) costs two septets and is
never split across parts. Any other character (Cyrillic, «», emoji) switches the whole
message to UCS-2: 70 UTF-16 units in one SMS, 67 per part, surrogate pairs kept whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

#: Typography a GSM phone can show as plain signs; applied only when it saves UCS-2.
_FOLDS = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "—": "-",
        "–": "-",
        "‑": "-",
        "−": "-",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "…": "...",
        "→": "->",
        "←": "<-",
        "•": "-",
        "№": "No.",
    }
)

Encoding = Literal["gsm7", "ucs2"]


@dataclass(frozen=True, slots=True)
class SmsSize:
    """How a text travels: its encoding, its length in that encoding's units, and its parts."""

    encoding: Encoding
    units: int
    segments: int

    @property
    def per_segment(self) -> int:
        """Units one part holds at this size (the single-SMS limit when it fits in one)."""
        single, multi = (160, 153) if self.encoding == "gsm7" else (70, 67)
        return single if self.segments <= 1 else multi


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM 7-bit alphabet or its extension table."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def fold_to_gsm(text: str) -> str:
    """The text with typographic quotes, dashes and arrows made plain, if that makes it GSM-7.

    Cyrillic stays UCS-2 either way, so it is left exactly as written.
    """
    if is_gsm7(text):
        return text
    folded = text.translate(_FOLDS)
    return folded if is_gsm7(folded) else text


def measure(text: str) -> SmsSize:
    """The encoding, length and number of parts of `text` as one (possibly concatenated) SMS."""
    if is_gsm7(text):
        costs = [2 if c in GSM7_EXTENSION else 1 for c in text]
        return SmsSize("gsm7", sum(costs), _parts(costs, 160, 153))
    costs = [2 if ord(c) > 0xFFFF else 1 for c in text]
    return SmsSize("ucs2", sum(costs), _parts(costs, 70, 67))


def _parts(costs: list[int], single: int, multi: int) -> int:
    """Parts needed when no character (escape pair, surrogate pair) may straddle two parts."""
    total = sum(costs)
    if total <= single:
        return 1
    parts, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            parts, used = parts + 1, 0
        used += cost
    return parts
