"""Speech for phone menus: one pass that writes SSML 1.1 and a plain-words twin side by side.

Writing both at once keeps them saying the same thing; the plain form also measures
the duration (words at a speaking rate, plus the pauses). Web addresses are never
read out: the caller hears a pointer to "our website" instead, fitted to the words
before it ("на сайте sfera.example" → "на сайте", "at sfera.example" → "at our website").
"""

from __future__ import annotations

import re
from html import escape

from kb import Locale
from renderers.facts import spoken_digits
from renderers.numerals import spoken_numbers
from renderers.phrases import PREPOSITIONS, SITE_WORDS, language, phrase

SSML_NS = "http://www.w3.org/2001/10/synthesis"
VOICE_LANGS = {"ru": "ru-RU", "uk": "uk-UA", "en": "en-US"}
#: Words per second a phone voice speaks; Slavic words are longer than English ones.
WORDS_PER_SECOND = {"ru": 2.0, "uk": 2.0, "en": 2.5}

#: Characters XML 1.0 cannot hold: the document must stay well-formed whatever a fact or text holds.
_NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: An address, with the angle brackets of a Markdown autolink left unparsed (in code) around it.
_URL_RE = re.compile(
    r"<?(?:https?://|www\.)[^\s<>\"«»]+?>?(?=[.,;:!?)»\"]*(?:\s|$))"
    r"|(?<![@\w.-])<?(?:[a-z0-9][a-z0-9-]*\.)+[a-z]{2,24}(?:/[^\s<>\"«»]*?)?>?(?=[.,;:!?)»\"]*(?:\s|$))"
)
_DIAL_RE = re.compile(r"(?<![\w*#])[*#][\d*#]*\d[\d*#]*(?![\w*#])")
_WORD_RE = re.compile(r"\w+")
_SPEECH_FOLDS = str.maketrans({"→": ",", "←": ",", "•": ",", "|": ","})


def voice_lang(locale: Locale) -> str:
    """The xml:lang of the voice: ru-RU, uk-UA, en-US, or the locale itself."""
    return locale if "-" in locale else VOICE_LANGS.get(locale.lower(), locale)


def is_dial_code(text: str) -> bool:
    """A USSD code or short number a caller dials ("*100#", "555"): read digit by digit."""
    stripped = text.strip()
    return bool(re.fullmatch(r"[*#]?[\d*#]+", stripped)) and sum(c.isdigit() for c in stripped) >= 2


class Speech:
    """Accumulates SSML and plain words together; `document()` closes the SSML."""

    def __init__(self, locale: Locale) -> None:
        self.locale = locale
        self._ssml: list[str] = []
        self._plain: list[str] = []
        self._pause_ms = 0
        self._in_paragraph = False

    # ---- structure ---------------------------------------------------------------

    def open_paragraph(self) -> None:
        """Start a <p> (a no-op inside one: SSML paragraphs do not nest)."""
        if not self._in_paragraph:
            self._ssml.append("<p>")
            self._in_paragraph = True

    def close_paragraph(self) -> None:
        """End the sentence and the paragraph; the plain twin starts a new line."""
        if self._in_paragraph:
            self.end_sentence()
            self._ssml.append("</p>")
            self._plain.append("\n")
            self._in_paragraph = False

    def end_sentence(self) -> None:
        """A full stop if the words so far do not end a sentence, so the voice drops its pitch."""
        tail = "".join(self._plain[-3:]).rstrip()
        if tail and tail[-1] not in ".!?…:;":
            self._ssml.append(".")
            self._plain.append(".")

    def pause(self, ms: int) -> None:
        """A break of `ms` milliseconds, counted into the duration."""
        self._ssml.append(f'<break time="{ms}ms"/>')
        self._plain.append(" ")
        self._pause_ms += ms

    # ---- words ---------------------------------------------------------------------

    def text(self, text: str) -> None:
        """Words from the article: addresses become a pointer, dial codes digit by digit, numbers words."""
        text = re.sub(r"\s+,", ",", text.translate(_SPEECH_FOLDS))
        if text.startswith(".") and "".join(self._plain[-1:]).endswith("."):
            text = text[1:]  # "… ten p.m." from a fact, then the sentence's own full stop
        pos = 0
        for m in re.finditer(f"{_URL_RE.pattern}|{_DIAL_RE.pattern}", text):
            self._numbers(text[pos : m.start()])
            if _DIAL_RE.fullmatch(m.group(0)):
                self.words(spoken_digits(m.group(0), self.locale))
            else:
                self.website()
            pos = m.end()
        self._numbers(text[pos:])

    def _numbers(self, text: str) -> None:
        """Words with their numbers written out, in the case the words just said before govern."""
        self._words(spoken_numbers(text, self.locale, before="".join(self._plain[-4:])[-40:]))

    def words(self, words: str) -> None:
        """Words already fit for speaking (numbers written out, no addresses)."""
        self._words(words)

    def say_as(self, interpret_as: str, shown: str, spoken: str) -> None:
        """`shown` marked for the engine (a telephone, a cardinal); `spoken` in the plain twin."""
        shown = _NOT_XML_RE.sub(" ", shown)
        self._ssml.append(f'<say-as interpret-as="{interpret_as}">{escape(shown, quote=False)}</say-as>')
        self._plain.append(spoken)

    def emphasis_start(self) -> None:
        """Stress what follows (strong text in the article), until `emphasis_end()`."""
        self._ssml.append('<emphasis level="moderate">')

    def emphasis_end(self) -> None:
        """Close the stress opened by `emphasis_start()`."""
        self._ssml.append("</emphasis>")

    def website(self) -> None:
        """A pointer to the website, fitted to the word before it."""
        before = _WORD_RE.findall("".join(self._plain[-4:]).lower())
        last = before[-1] if before else ""
        lang = language(self.locale)
        if last in SITE_WORDS.get(lang, frozenset()):
            self._trim_space()  # "на сайте ." would be read with a gap
            return
        after_preposition = last in PREPOSITIONS.get(lang, frozenset())
        self._words(phrase(self.locale, "website_after_preposition" if after_preposition else "website"))

    def _trim_space(self) -> None:
        for parts in (self._ssml, self._plain):
            if parts and not parts[-1].endswith(">"):
                parts[-1] = parts[-1].rstrip(" ")

    def _words(self, text: str) -> None:
        text = _NOT_XML_RE.sub(" ", text)
        if text:
            self._ssml.append(escape(text, quote=False))
            self._plain.append(text)

    # ---- results -------------------------------------------------------------------

    def document(self) -> str:
        """The SSML 1.1 document."""
        self.close_paragraph()
        lang = voice_lang(self.locale)
        body = "".join(self._ssml)
        return f'<speak version="1.1" xmlns="{SSML_NS}" xml:lang="{escape(lang)}">{body}</speak>'

    def plain(self) -> str:
        """The same words as plain text, one paragraph a line, for engines without SSML."""
        self.close_paragraph()
        lines = (re.sub(r"\s+", " ", line).strip() for line in "".join(self._plain).split("\n"))
        return "\n".join(line for line in lines if line)

    def duration(self) -> float:
        """Estimated seconds to speak it: words at the locale's rate plus the pauses."""
        words = len(_WORD_RE.findall(self.plain()))
        rate = WORDS_PER_SECOND.get(language(self.locale), 2.0)
        return round(words / rate + self._pause_ms / 1000, 1)
