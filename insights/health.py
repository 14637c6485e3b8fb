"""Content health: what in the live knowledge base is broken or drifting, each with the action it needs.

Editors keep the single source true only if they are shown where it is not. These lists are
read from what clients are served now (every article's live revision), so a fix shows at once:

* **broken links**: a live article links to another (`kb:key`) that is not live in its locale,
  so the reader meets a dead end;
* **unused facts**: a fact no live article uses, kept and updated for nobody;
* **numbers by hand that contradict a fact**: a phone number or a USSD code written literally
  in an article while no fact says it (the fact was changed, the copy was not: clients dial the
  old number); a literal equal to a fact is only a risk, not yet wrong, and is not listed;
* **amounts by hand that a fact no longer says**: a price (an amount with a currency) or a
  limit (a number of days, hours or minutes) written literally that equals a value a fact of
  that unit had before and that no fact of that unit has now: the fact changed, the copy kept
  the old value. An article names many amounts no fact keeps (a tariff table), so an amount is
  judged only when a fact's own history ties it to that fact. A number fact's unit is the end
  of its key (`porting_days`: days);
* **verification due**: a live article past its `review_by` or its category's verification
  interval, exactly as the verification queue says (`kb.due_for_verification`, one path);
* **helpfulness fell** after a new revision: the live revision's helpful share is at least
  15 points below the revision before it that has votes, with at least 10 votes on each side;
* **translations** missing or behind their source (`kb.translation_report`, one path);
* **content gaps grouped**: questions no article answered, joined when the answer engine's best
  guess was the same article (its evidence) or when they share most words, each group with
  "create an article from this group".
"""

from __future__ import annotations

import re
import urllib.parse
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import phonenumbers
import sqlalchemy as sa
from sqlmodel import Session, col, select

import kb

#: A USSD or service code as clients dial it: *100#, *123*5#.
USSD_RE = re.compile(r"(?<![\w*#])\*\d{1,4}(?:\*\d{1,6})*#")


@dataclass(frozen=True)
class Finding:
    """One thing to fix, where it is and what to do about it."""

    kind: str  # see KINDS
    locale: str | None
    key: str | None  # the article (None for a fact)
    subject: str  # the link target, the fact, the number, the translation's state
    action: str

    link: str = ""  # where the action is taken (a page of the admin)

    @property
    def where(self) -> str:
        return f"{self.locale}/{self.key}" if self.key else str(self.subject)


_FACTS = "/admin/facts"
KINDS = (
    "broken-link",
    "unused-fact",
    "contradicting-number",
    "verification-due",
    "helpfulness-fell",
    "translation",
    "gap-group",
)
#: Votes each side of a revision needs before a fall in helpfulness is believed.
MIN_VOTES = 10
#: How far (a share, 0..1) the live revision's helpfulness must fall below the one before.
FALL = 0.15


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
        *old_amounts(live, facts, _history(session, facts)),
        *verification_due(session),
        *helpfulness_fell(session, live),
        *translations(session),
        *gap_groups(session),
    ]


def _live_units(session: Session) -> Iterable[_Live]:
    """Every published article with its live revision's parsed unit, read in one query."""
    live = sa.and_(
        col(kb.Revision.article_id) == col(kb.Article.id), col(kb.Revision.number) == col(kb.Article.published_revision)
    )
    stmt = select(kb.Article, kb.Revision).join(kb.Revision, live).order_by(col(kb.Article.locale), col(kb.Article.key))
    for article, revision in session.exec(stmt):
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
                        _edit(x.article),
                    )
                )
    return out


def unused_facts(live: Sequence[_Live], facts: Sequence[kb.Fact]) -> list[Finding]:
    """Facts no live article uses."""
    used = {key for x in live for key in x.unit.facts}
    return [
        Finding("unused-fact", None, None, f.key, f"use {{{{ {f.key} }}}} where it belongs, or delete it", _FACTS)
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
        _edit(x.article),
    )


def _edit(article: kb.Article) -> str:
    return f"/admin/articles/{article.locale}/{article.key}"


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
        link = f"/admin/translations/{t.key}"
        out.append(Finding("translation", t.locale, t.key, t.state.value, action, link))
    return out


# ---- amounts a fact no longer says ----

_CURRENCY_WORDS = {"EUR": ("eur", "€", "euro", "euros", "евро", "євро"), "USD": ("usd", "$", "dollars", "долларов")}
_UNIT_WORDS = {
    "days": ("day", "days", "день", "дня", "дней", "дні", "днів"),
    "hours": ("hour", "hours", "час", "часа", "часов", "година", "години", "годин"),
    "minutes": ("minute", "minutes", "минута", "минуты", "минут", "хвилина", "хвилини", "хвилин"),
}
_AMOUNT_RE = re.compile(r"(?<![\w.,])(\d{1,7}(?:[.,]\d{1,2})?)\s?(€|\$|[^\W\d_]+)", re.UNICODE)
_SYMBOL_FIRST_RE = re.compile(r"(€|\$)\s?(\d{1,7}(?:[.,]\d{1,2})?)(?![\d])")


def _unit_of_word(word: str) -> str | None:
    w = word.lower()
    for code, words in _CURRENCY_WORDS.items():
        if w in words:
            return code
    for unit, words in _UNIT_WORDS.items():
        if w in words:
            return unit
    return None


def _fact_unit(fact_type: str, key: str, value: object) -> tuple[str, Decimal] | None:
    """A money or unit-keyed number fact's (unit, amount); None for other facts."""
    try:
        if fact_type == "money":
            amount, _, currency = str(value).partition(" ")
            return currency, Decimal(amount)
        if fact_type == "number":
            unit = key.rsplit("_", 1)[-1]
            return (unit, Decimal(str(value))) if unit in _UNIT_WORDS else None
    except InvalidOperation:
        return None
    return None


def _amounts(text: str) -> Iterable[tuple[str, str, Decimal]]:
    """(as written, unit, amount) of each price or limit written in the text."""
    for m in _AMOUNT_RE.finditer(text):
        unit = _unit_of_word(m.group(2))
        if unit is not None:
            yield m.group(0), unit, Decimal(m.group(1).replace(",", "."))
    for m in _SYMBOL_FIRST_RE.finditer(text):
        unit = _unit_of_word(m.group(1))
        if unit is not None:
            yield m.group(0), unit, Decimal(m.group(2).replace(",", "."))


def _history(session: Session, facts: Sequence[kb.Fact]) -> dict[str, list[object]]:
    """Every earlier value of each fact, oldest first (its current value left out)."""
    by_id = {f.id: f for f in facts}
    rows = session.exec(select(kb.FactVersion).order_by(col(kb.FactVersion.fact_id), col(kb.FactVersion.version)))
    out: dict[str, list[object]] = defaultdict(list)
    for v in rows:
        fact = by_id.get(v.fact_id)
        if fact is not None and v.version < fact.version:
            out[fact.key] += [v.value, *v.locales.values()]
    return out


def old_amounts(live: Sequence[_Live], facts: Sequence[kb.Fact], history: dict[str, list[object]]) -> list[Finding]:
    """Prices and limits written by hand at a value a fact had before and no fact of that unit has now."""
    now: set[tuple[str, Decimal]] = set()
    for f in facts:
        for v in _values(f):
            current = _fact_unit(f.type, f.key, v)
            if current is not None:
                now.add(current)
    before: dict[tuple[str, Decimal], str] = {}
    for f in sorted(facts, key=lambda f: f.key):
        for v in history.get(f.key, ()):
            was = _fact_unit(f.type, f.key, v)
            if was is not None and was not in now:
                before.setdefault(was, f.key)
    if not before:
        return []
    by_key = {f.key: f for f in facts}
    out = []
    for x in sorted(live, key=lambda x: (x.article.locale, x.article.key)):
        text = kb.tree.plain_text(x.unit.body, lambda _key: " ")
        seen: set[str] = set()
        for written, unit, amount in _amounts(text):
            fact_key = before.get((unit, amount))
            if fact_key is None or written in seen:
                continue
            seen.add(written)
            said = f"{fact_key} was {written.strip()} and now says {by_key[fact_key].value}"
            out.append(_contradiction(x, written, said))
    return out


# ---- verification, helpfulness ----


def verification_due(session: Session) -> list[Finding]:
    """Live articles due for verification, from the verification queue itself."""
    out = []
    for due in kb.due_for_verification(session):
        a = due.article
        why = ", ".join(f"{r.kind.value} since {r.since:%Y-%m-%d}" for r in due.reasons)
        action = "verify it (or edit and verify)" + (f"; owner {due.owner}" if due.owner else "")
        out.append(Finding("verification-due", a.locale, a.key, why, action, _edit(a)))
    out.sort(key=lambda f: (f.locale or "", f.key or ""))
    return out


@dataclass(frozen=True)
class _Votes:
    helpful: int = 0
    total: int = 0

    @property
    def share(self) -> float:
        return self.helpful / self.total if self.total else 0.0


def _votes_per_revision(session: Session) -> dict[tuple[str, str], dict[int, _Votes]]:
    v = kb.HelpfulVote
    stmt = sa.select(
        col(v.key), col(v.locale), col(v.revision), sa.func.count(), sa.func.sum(sa.case((col(v.helpful), 1), else_=0))
    ).group_by(col(v.key), col(v.locale), col(v.revision))
    out: dict[tuple[str, str], dict[int, _Votes]] = defaultdict(dict)
    for key, locale, revision, total, helpful in session.connection().execute(stmt).all():
        out[(str(key), str(locale))][int(revision)] = _Votes(int(helpful or 0), int(total))
    return out


def helpfulness_fell(session: Session, live: Sequence[_Live]) -> list[Finding]:
    """Live revisions voted less helpful than the revision before them with votes (both with enough votes)."""
    votes = _votes_per_revision(session)
    out = []
    for x in sorted(live, key=lambda x: (x.article.locale, x.article.key)):
        a = x.article
        per = votes.get((a.key, a.locale), {})
        after = per.get(a.published_revision or 0)
        earlier = [r for r in sorted(per) if r < (a.published_revision or 0) and per[r].total >= MIN_VOTES]
        if after is None or after.total < MIN_VOTES or not earlier:
            continue
        before = per[earlier[-1]]
        if before.share - after.share >= FALL:
            said = (
                f"revision {earlier[-1]}: {before.helpful} of {before.total} helpful ({before.share:.0%}); "
                f"revision {a.published_revision}: {after.helpful} of {after.total} ({after.share:.0%})"
            )
            link = f"/admin/articles/{a.locale}/{a.key}/diff?from={earlier[-1]}&to={a.published_revision}"
            action = "compare the revisions and fix what the edit broke"
            out.append(Finding("helpfulness-fell", a.locale, a.key, said, action, link))
    return out


# ---- content gaps grouped ----

#: The answer engine's best guess counts as evidence from this confidence up.
EVIDENCE_CONFIDENCE = 0.25
#: Two questions sharing this share of their words (Jaccard) ask the same thing.
SAME_WORDS = 0.5


def _similar(a: kb.GapGroup, b: kb.GapGroup) -> bool:
    if a.locale != b.locale:
        return False
    evidence = (a.best_confidence or 0) >= EVIDENCE_CONFIDENCE and (b.best_confidence or 0) >= EVIDENCE_CONFIDENCE
    if evidence and a.best_key is not None and a.best_key == b.best_key:
        return True
    wa, wb = set(a.normalised.split()), set(b.normalised.split())
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= SAME_WORDS


def group_gaps(gaps: Sequence[kb.GapGroup]) -> list[list[kb.GapGroup]]:
    """Gaps joined into groups (a question is in the group of any question it is similar to), most asked first."""
    parent = list(range(len(gaps)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(gaps)):
        for j in range(i + 1, len(gaps)):
            if _similar(gaps[i], gaps[j]):
                parent[root(j)] = root(i)
    groups: dict[int, list[kb.GapGroup]] = defaultdict(list)
    for i, g in enumerate(gaps):
        groups[root(i)].append(g)
    out = [sorted(m, key=lambda g: (-g.count, g.question)) for m in groups.values()]
    out.sort(key=lambda m: (-sum(g.count for g in m), m[0].locale, m[0].question))
    return out


def gap_groups(session: Session, *, limit: int = 200) -> list[Finding]:
    """Open content gaps of two or more questions that ask the same thing, with a prefilled new article."""
    out = []
    for members in group_gaps(kb.list_gaps(session=session, limit=limit)):
        if len(members) < 2:
            continue
        lead = members[0]
        wordings = [g.question for g in members]
        query = urllib.parse.urlencode(
            [("locale", lead.locale), ("question", lead.question)] + [("wording", w) for w in wordings]
        )
        said = f"{sum(g.count for g in members)}× in {len(members)} wordings: " + " | ".join(wordings)
        action = "create an article from this group"
        out.append(Finding("gap-group", lead.locale, None, said, action, f"/admin/new?{query}"))
    return out
