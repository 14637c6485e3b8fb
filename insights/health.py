"""Content health: what in the live knowledge base is broken or drifting, each with the action it needs.

Editors keep the single source true only if they are shown where it is not. These lists are
read from what clients are served now (every article's live revision), so a fix shows at once:

* **broken links**: a live article links to another (`kb:key`) that is not live in its locale,
  so the reader meets a dead end;
* **unused facts**: a fact no live article uses, kept and updated for nobody;
* **numbers by hand that contradict a fact**: a phone number or a USSD code written literally
  in an article while no fact says it (the fact was changed, the copy was not: clients dial the
  old number); a literal equal to a fact is only a risk, not yet wrong, and is not listed;
* **translations** missing or behind their source (`kb.translation_report`, one path).

Prices and limits written by hand are not judged: an article may name several amounts, and
which fact one of them stands for cannot be read off the text reliably.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import phonenumbers
from sqlmodel import Session

import kb

#: A USSD or service code as clients dial it: *100#, *123*5#.
USSD_RE = re.compile(r"(?<![\w*#])\*\d{1,4}(?:\*\d{1,6})*#")


@dataclass(frozen=True)
class Finding:
    """One thing to fix, where it is and what to do about it."""

    kind: str  # broken-link, unused-fact, contradicting-number, translation
    locale: str | None
    key: str | None  # the article (None for a fact)
    subject: str  # the link target, the fact, the number, the translation's state
    action: str

    @property
    def where(self) -> str:
        return f"{self.locale}/{self.key}" if self.key else str(self.subject)


@dataclass(frozen=True)
class _Live:
    article: kb.Article
    unit: kb.tree.Unit


def check(*, session: Session, region: str = "LV") -> list[Finding]:
    """Every finding in the live knowledge base, grouped by kind, in a stable order."""
    live = list(_live_units(session))
    facts = kb.list_facts(session=session)
    return [
        *broken_links(live),
        *unused_facts(live, facts),
        *contradicting_numbers(live, facts, region=region),
        *translations(session),
    ]


def _live_units(session: Session) -> Iterable[_Live]:
    for article in kb.list_articles(session=session, status=kb.ArticleStatus.PUBLISHED):
        if article.published_revision is None:
            continue
        revision = kb.get_revision(session=session, article=article, number=article.published_revision)
        yield _Live(article, kb.load_unit(revision))


def broken_links(live: Sequence[_Live]) -> list[Finding]:
    """Links to articles that are not live in the linking article's locale."""
    there = {(x.article.locale, x.article.key) for x in live}
    out = []
    for x in sorted(live, key=lambda x: (x.article.locale, x.article.key)):
        for target in sorted(x.unit.links):
            if (x.article.locale, target) not in there:
                out.append(
                    Finding(
                        "broken-link",
                        x.article.locale,
                        x.article.key,
                        f"kb:{target}",
                        f"publish {x.article.locale}/{target}, or change or remove the link",
                    )
                )
    return out


def unused_facts(live: Sequence[_Live], facts: Sequence[kb.Fact]) -> list[Finding]:
    """Facts no live article uses."""
    used = {key for x in live for key in x.unit.facts}
    return [
        Finding("unused-fact", None, None, f.key, f"use {{{{ {f.key} }}}} where it belongs, or delete the fact")
        for f in sorted(facts, key=lambda f: f.key)
        if f.key not in used
    ]


def contradicting_numbers(live: Sequence[_Live], facts: Sequence[kb.Fact], *, region: str) -> list[Finding]:
    """Phone numbers and USSD codes written by hand that no fact says."""
    phones = {_e164(str(v), region) for f in facts if f.type == "phone" for v in _values(f)} - {None}
    codes = {str(v).strip() for f in facts if f.type == "text" for v in _values(f) if USSD_RE.fullmatch(str(v))}
    out = []
    for x in sorted(live, key=lambda x: (x.article.locale, x.article.key)):
        text = kb.tree.plain_text(x.unit.body, lambda _key: " ")  # a fact's own value is never "by hand"
        for match in phonenumbers.PhoneNumberMatcher(text, region):
            number = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            if number not in phones:
                said = ", ".join(sorted(p for p in phones if p)) or "no phone"
                out.append(_contradiction(x, match.raw_string, f"the facts say {said}"))
        for code in dict.fromkeys(USSD_RE.findall(text)):
            if code not in codes:
                said = ", ".join(sorted(codes)) or "no code"
                out.append(_contradiction(x, code, f"the facts say {said}"))
    return out


def _contradiction(x: _Live, written: str, said: str) -> Finding:
    return Finding(
        "contradicting-number",
        x.article.locale,
        x.article.key,
        written,
        f"{said}: write the fact ({{{{ … }}}}) instead, or correct the fact",
    )


def _values(fact: kb.Fact) -> list[object]:
    return [fact.value, *fact.locales.values()]


def _e164(value: str, region: str) -> str | None:
    try:
        return phonenumbers.format_number(phonenumbers.parse(value, region), phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        return None


def translations(session: Session) -> list[Finding]:
    """Translations missing or behind their source, as health findings."""
    out = []
    for t in kb.translation_report(session=session):
        if t.state is kb.TranslationState.MISSING:
            action = f"translate it from {t.source_locale}"
        elif t.state is kb.TranslationState.OUTDATED:
            action = f"carry over {t.behind} {t.source_locale} revision(s): /admin/translations/{t.key}"
        else:
            action = f"compare with {t.source_locale} and mark which revision it follows"
        out.append(Finding("translation", t.locale, t.key, t.state.value, action))
    return out
