"""Facts: typed values kept once, versioned, and referenced from articles as `{{ key }}`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
import sqlalchemy as sa
from babel.numbers import list_currencies
from sqlmodel import Session, col, select

from kb import events
from kb.audit import Actor, as_actor, record_action
from kb.errors import Conflict, FactNotFound, InvalidChange, RevisionConflict
from kb.models import Article, Fact, FactVersion, Revision, RevisionFact, utcnow
from kb.types import FactKey, FactType, Locale, LogKind

FACT_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$")
_MONEY_RE = re.compile(r"^\s*(-?\d+(?:\.\d{1,4})?)\s+([A-Z]{3})\s*$")
_CURRENCIES = frozenset(list_currencies())


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class FactValue:
    """A fact as renderers receive it: plain data, no database."""

    key: FactKey
    type: FactType
    value: Any
    locales: Mapping[Locale, Any] = field(default_factory=dict)
    version: int = 1

    def raw_for(self, locale: Locale) -> Any:
        """The stored value for `locale`, falling back to the default value."""
        return self.locales.get(locale, self.value)

    def has_locale_value(self, locale: Locale) -> bool:
        return locale in self.locales or self.value not in (None, "")

    def money(self, locale: Locale) -> Money:
        m = _MONEY_RE.match(str(self.raw_for(locale)))
        if m is None:  # validated on write, so this is a broken database
            raise ValueError(f"fact {self.key} holds no money value")
        return Money(Decimal(m.group(1)), m.group(2))

    def date(self, locale: Locale) -> dt.date:
        return dt.date.fromisoformat(str(self.raw_for(locale)))

    def number(self, locale: Locale) -> Decimal:
        return Decimal(str(self.raw_for(locale)))


def validate_value(fact_type: FactType, value: Any) -> Any:
    """The canonical stored form of `value`, or InvalidChange saying what is wrong."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidChange(f"a {fact_type} fact needs a value")
    if fact_type is FactType.TEXT:
        return str(value).strip()
    if fact_type is FactType.PHONE:
        try:
            parsed = phonenumbers.parse(str(value), None)
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is None or not phonenumbers.is_valid_number(parsed):
            raise InvalidChange(f"{value!r} is not a valid phone number in international form (+…)")
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if fact_type is FactType.MONEY:
        m = _MONEY_RE.match(str(value))
        if m is None or m.group(2) not in _CURRENCIES:
            raise InvalidChange(f"{value!r} is not money like '5.00 EUR' (amount and ISO currency)")
        return f"{Decimal(m.group(1))} {m.group(2)}"
    if fact_type is FactType.URL:
        text = str(value).strip()
        if not re.match(r"^https?://[^\s/]+\.[^\s]+$", text):
            raise InvalidChange(f"{value!r} is not an http(s) URL")
        return text
    if fact_type is FactType.DATE:
        if isinstance(value, dt.date):
            return value.isoformat()
        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise InvalidChange(f"{value!r} is not a date like 2026-09-01") from None
    if fact_type is FactType.NUMBER:
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise InvalidChange(f"{value!r} is not a number") from None
        return int(number) if number == number.to_integral_value() else str(number)
    raise InvalidChange(f"unknown fact type {fact_type!r}")


def parse_type(name: str) -> FactType:
    try:
        return FactType(name)
    except ValueError:
        allowed = ", ".join(t.value for t in FactType)
        raise InvalidChange(f"unknown fact type {name!r} (allowed: {allowed})") from None


def get_fact(*, session: Session, key: FactKey) -> Fact:
    fact = session.exec(select(Fact).where(Fact.key == key)).first()
    if fact is None:
        raise FactNotFound(key)
    return fact


def fact_values(*, session: Session) -> dict[FactKey, FactValue]:
    """Every fact as plain values, the form renderers take."""
    return {f.key: _as_value(f) for f in session.exec(select(Fact))}


def fact_keys(*, session: Session) -> set[FactKey]:
    return set(session.exec(select(Fact.key)))


def _as_value(fact: Fact) -> FactValue:
    return FactValue(
        key=fact.key,
        type=FactType(fact.type),
        value=fact.value,
        locales=dict(fact.locales),
        version=fact.version,
    )


def set_fact(
    *,
    session: Session,
    key: FactKey,
    type: str,
    value: Any,
    locales: Mapping[Locale, Any] | None = None,
    base_version: int | None,
    actor: Actor | str,
    audit: Mapping[str, Any] | None = None,
) -> Fact:
    """Create or change a fact; every published unit using it gets a log entry.

    `base_version` is the version the change was made from (None to create); a stale
    one raises RevisionConflict and nothing changes. Setting the same value again is
    not a change and records nothing, audit row included (a re-import stays a no-op).
    The audit row `fact.set` is written here, in the same transaction, whoever calls;
    `audit` adds to its detail (an emergency, the approved proposal: kb/fact_reviews.py).
    """
    fact = _set_fact(
        session=session,
        key=key,
        type=type,
        value=value,
        locales=locales,
        base_version=base_version,
        actor=as_actor(actor).name,
    )
    if fact.version != base_version:  # the same value again is no change, so no audit row
        record_action(
            session,
            actor,
            action="fact.set",
            target=key,
            base_revision=base_version,
            new_revision=fact.version,
            **(audit or {}),
        )
    return fact


def _set_fact(
    *,
    session: Session,
    key: FactKey,
    type: str,
    value: Any,
    locales: Mapping[Locale, Any] | None,
    base_version: int | None,
    actor: str,
) -> Fact:
    if not FACT_KEY_RE.match(key):
        raise InvalidChange(f"fact key {key!r} must be letters, digits and '_' (e.g. support_phone)")
    fact_type = parse_type(type)
    canonical = validate_value(fact_type, value)
    per_locale = {loc: validate_value(fact_type, v) for loc, v in (locales or {}).items()}
    fact = session.exec(select(Fact).where(Fact.key == key)).first()
    if fact is None:
        if base_version not in (None, 0):
            raise FactNotFound(key)
        fact = Fact(key=key, type=fact_type.value, value=canonical, locales=per_locale, version=1, updated_by=actor)
        session.add(fact)
        session.flush()
    else:
        if base_version != fact.version:
            raise RevisionConflict(f"fact {key!r}", base=base_version, current=fact.version)
        if fact.type == fact_type.value and fact.value == canonical and fact.locales == per_locale:
            return fact
        updated = session.execute(
            sa.update(Fact)
            .where(col(Fact.id) == fact.id, col(Fact.version) == base_version)
            .values(
                type=fact_type.value,
                value=canonical,
                locales=per_locale,
                version=fact.version + 1,
                updated_by=actor,
                updated_at=utcnow(),
            )
        )
        if updated.rowcount != 1:  # type: ignore[attr-defined]
            raise RevisionConflict(f"fact {key!r}", base=base_version, current=None)
        session.refresh(fact)
    session.add(
        FactVersion(
            fact_id=fact.id or 0,
            version=fact.version,
            type=fact.type,
            value=fact.value,
            locales=fact.locales,
            author=actor,
        )
    )
    _announce_fact_change(session, fact_key=key, actor=actor)
    return fact


def _announce_fact_change(session: Session, *, fact_key: FactKey, actor: str) -> None:
    """A log entry for every published unit that shows this fact, so caches refresh."""
    stmt = (
        select(Article, Revision.content_hash)
        .join(
            Revision,
            (col(Revision.article_id) == col(Article.id)) & (col(Revision.number) == col(Article.published_revision)),
        )
        .join(RevisionFact, col(RevisionFact.revision_id) == col(Revision.id))
        .where(RevisionFact.fact_key == fact_key)
        .order_by(col(Article.id))
    )
    for article, digest in session.exec(stmt).all():
        events.append(
            session,
            kind=LogKind.FACT,
            actor=actor,
            article=article,
            revision=article.published_revision,
            content_hash=digest,
            fact_key=fact_key,
        )


def fact_history(*, session: Session, key: FactKey) -> list[FactVersion]:
    fact = get_fact(session=session, key=key)
    stmt = select(FactVersion).where(FactVersion.fact_id == fact.id).order_by(col(FactVersion.version))
    return list(session.exec(stmt))


def find_fact(*, session: Session, key: FactKey) -> Fact | None:
    return session.exec(select(Fact).where(Fact.key == key)).first()


def list_facts(*, session: Session) -> list[Fact]:
    return list(session.exec(select(Fact).order_by(col(Fact.key))))


def delete_fact(
    *,
    session: Session,
    key: FactKey,
    base_version: int | None,
    actor: Actor | str,
    audit: Mapping[str, Any] | None = None,
) -> None:
    """Delete a fact no current draft or live revision uses; its history goes with it.

    Audited as `fact.delete` in the same transaction; a refusal leaves no row.
    """
    fact = get_fact(session=session, key=key)
    if fact.version != base_version:
        raise RevisionConflict(f"fact {key!r}", base=base_version, current=fact.version)
    on_pointer = (col(Revision.number) == col(Article.draft_revision)) | (
        col(Revision.number) == col(Article.published_revision)
    )
    users = session.exec(
        select(Article.key, Article.locale)
        .join(Revision, (col(Revision.article_id) == col(Article.id)) & on_pointer)
        .join(RevisionFact, col(RevisionFact.revision_id) == col(Revision.id))
        .where(RevisionFact.fact_key == key)
        .distinct()
    ).all()
    if users:
        named = ", ".join(f"{loc}/{k}" for k, loc in users[:10])
        raise Conflict(f"fact {key!r} is still used by {len(users)} article(s): {named}")
    session.execute(sa.delete(FactVersion).where(col(FactVersion.fact_id) == fact.id))
    session.delete(fact)
    session.flush()
    record_action(session, actor, action="fact.delete", target=key, base_revision=base_version, **(audit or {}))
