"""Masking personal data in client words before anything stores them.

Content gaps, timeline questions and any other log of what a client typed go through
`mask_personal()`, the one function for the job, so a phone number, an e-mail address,
a card, an IBAN, a tax number or a passport number said in passing is not kept where
erasure and retention would have to chase it. Only what validates is masked: a phone
must be a real number for its region (phonenumbers), a card must pass Luhn, an IBAN its
checksum, a tax number its check digits (python-stdnum), so "tariff 300" or "*100#"
stay as they are. Names cannot be told from other words; those are found by contact id
on erasure instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Final

import phonenumbers
from stdnum import iban, luhn
from stdnum.ru import inn
from stdnum.ua import rntrc

PHONE: Final = "[phone]"
EMAIL: Final = "[email]"
CARD: Final = "[card]"
IBAN: Final = "[iban]"
TAX_ID: Final = "[tax-id]"
PASSPORT: Final = "[passport]"

#: Regions whose national forms are tried besides ISTOK_DEFAULT_REGION (`067 123 4567`, `8 800 …`).
PHONE_REGIONS: Final = ("UA", "RU", "GB")

_EMAIL_RE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}", re.UNICODE)
_IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){11,30}")
_CARD_RE = re.compile(r"(?<![\d+])\d(?:[ -]?\d){12,18}(?!\d)")
_TAX_RE = re.compile(r"(?<![\d+])(?:\d{12}|\d{10})(?!\d)")
_PASSPORT_RES: Final = (
    re.compile(r"(?<!\w)[A-ZА-ЯЁІЇЄҐ]{2}[ ]?№?[ ]?\d{6}(?!\d)"),  # Ukrainian booklet, АА 123456
    re.compile(r"(?<![\d+])\d{2}[ ]?\d{2}[ ]№?[ ]?\d{6}(?!\d)"),  # Russian series and number, 4510 123456
    re.compile(r"(?<![\d+])\d{9}(?!\d)"),  # Ukrainian ID card, 9 digits
)
#: Runs of text between `*` and `#`: phonenumbers' matcher takes a USSD code such as `*100#`
#: for the start of a number and then misses the real number right after it.
_OUTSIDE_CODES_RE = re.compile(r"[^*#]+")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")


def mask_personal(text: str, *, regions: Sequence[str] | None = None) -> str:
    """`text` with every phone, e-mail, card, IBAN, tax and passport number replaced by its kind.

    `regions` are the countries whose national phone forms are recognised (default:
    ISTOK_DEFAULT_REGION, then UA, RU and GB); numbers with `+` are found whatever the region.
    Masking what is already masked changes nothing.
    """
    if not text:
        return text
    text = _EMAIL_RE.sub(EMAIL, text)
    text = _replace_valid(_IBAN_RE, text, _iban_end, IBAN)
    text = _replace_valid(_CARD_RE, text, _card_end, CARD)
    text = _replace_valid(_TAX_RE, text, _tax_end, TAX_ID)
    text = _mask_phones(text, phone_regions() if regions is None else regions)
    for pattern in _PASSPORT_RES:
        text = pattern.sub(PASSPORT, text)
    return text


def phone_regions() -> tuple[str, ...]:
    """ISTOK_DEFAULT_REGION (as contact context reads it) first, then PHONE_REGIONS."""
    default = os.environ.get("ISTOK_DEFAULT_REGION", "LV").strip().upper()
    first = (default,) if default in phonenumbers.SUPPORTED_REGIONS else ()
    return tuple(dict.fromkeys((*first, *PHONE_REGIONS)))


def _replace_valid(pattern: re.Pattern[str], text: str, valid_end: Callable[[str], int], label: str) -> str:
    """Replace each candidate's longest valid prefix; `valid_end` gives its length (0: not valid)."""
    out: list[str] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() < pos:
            continue
        end = valid_end(m.group())
        if end:
            out.append(text[pos : m.start()])
            out.append(label)
            pos = m.start() + end
    out.append(text[pos:])
    return "".join(out)


def _compact_prefixes(candidate: str, lengths: Iterable[int]) -> Iterable[tuple[str, int]]:
    """For each length (in the order given), the first that many alphanumerics and where they end."""
    ends = [i + 1 for i, ch in enumerate(candidate) if ch.isalnum()]
    chars = [ch for ch in candidate if ch.isalnum()]
    for n in lengths:
        if n <= len(chars):
            yield "".join(chars[:n]).upper(), ends[n - 1]


def _iban_end(candidate: str) -> int:
    """An IBAN written with or without spaces may run into the next word: try the longest first."""
    for compact, end in _compact_prefixes(candidate, range(34, 14, -1)):
        if iban.is_valid(compact):
            return end
    return 0


def _card_end(candidate: str) -> int:
    """The whole run, or its longest prefix that ends a group of digits, when it passes Luhn."""
    for compact, end in _compact_prefixes(candidate, range(19, 12, -1)):
        if (end == len(candidate) or not candidate[end].isdigit()) and luhn.is_valid(compact):
            return end
    return 0


def _tax_end(candidate: str) -> int:
    """РНОКПП (10 digits) or ИНН (10 or 12); a 10-digit run starting with 0 is a phone, not a tax number."""
    if len(candidate) == 10 and candidate.startswith("0"):
        return 0
    return len(candidate) if rntrc.is_valid(candidate) or inn.is_valid(candidate) else 0


def _mask_phones(text: str, regions: Sequence[str]) -> str:
    if not any(ch.isdigit() for ch in text):
        return text
    for region in regions:
        spans = [
            (piece.start() + m.start, piece.start() + m.end)
            for piece in _OUTSIDE_CODES_RE.finditer(text)
            for m in phonenumbers.PhoneNumberMatcher(piece.group(), region, leniency=phonenumbers.Leniency.VALID)
            if not _DATE_RE.match(m.raw_string)
        ]
        for start, end in reversed(spans):
            text = text[:start] + PHONE + text[end:]
    return text
