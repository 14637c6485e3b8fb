"""Synonym sets that editors keep per locale; search expands queries with them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from kb.audit import Actor, as_actor, record_action
from kb.errors import InvalidChange, NotFound, RevisionConflict
from kb.models import SynonymSet, utcnow
from kb.notify import SYNONYMS, announce
from kb.types import Locale


def normalise_terms(terms: Iterable[str]) -> list[str]:
    """Lowercased, trimmed, de-duplicated terms in their given order; at least two."""
    seen: list[str] = []
    for term in terms:
        t = " ".join(str(term).split()).lower()
        if t and t not in seen:
            seen.append(t)
    if len(seen) < 2:
        raise InvalidChange("a synonym set needs at least two different terms")
    return seen


def parse_synonyms_file(text: str) -> list[list[str]]:
    """Sets from the file format: one set a line, terms separated by commas, '#' comments.

    Raises InvalidChange naming the line of a set with fewer than two terms.
    """
    sets: list[list[str]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            sets.append(normalise_terms(line.split(",")))
        except InvalidChange as exc:
            raise InvalidChange(f"line {lineno}: {exc.detail}") from None
    return sets


def format_synonyms_file(sets: Sequence[Sequence[str]]) -> str:
    return "".join(", ".join(s) + "\n" for s in sets)


def list_sets(*, session: Session, locale: Locale | None = None) -> list[SynonymSet]:
    stmt = select(SynonymSet).order_by(col(SynonymSet.id))
    if locale:
        stmt = stmt.where(SynonymSet.locale == locale)
    return list(session.exec(stmt))


def get_set(*, session: Session, set_id: int) -> SynonymSet:
    found = session.get(SynonymSet, set_id)
    if found is None:
        raise NotFound(f"no synonym set {set_id}")
    return found


def create_set(*, session: Session, locale: Locale, terms: Iterable[str], actor: Actor | str) -> SynonymSet:
    """Add a set; audited as `synonyms.create` in the same transaction."""
    syn = SynonymSet(locale=locale, terms=normalise_terms(terms), updated_by=as_actor(actor).name)
    session.add(syn)
    session.flush()
    record_action(
        session, actor, action="synonyms.create", target=f"{locale}/{syn.id}", new_revision=syn.version, terms=syn.terms
    )
    announce(session, SYNONYMS)
    return syn


def update_set(
    *, session: Session, set_id: int, terms: Iterable[str], base_version: int | None, actor: Actor | str
) -> SynonymSet:
    """Change a set's terms from `base_version`; audited as `synonyms.update`, a stale base writes nothing."""
    syn = get_set(session=session, set_id=set_id)
    new_terms = normalise_terms(terms)
    moved = session.execute(
        sa.update(SynonymSet)
        .where(col(SynonymSet.id) == set_id, col(SynonymSet.version) == base_version)
        .values(terms=new_terms, version=(base_version or 0) + 1, updated_by=as_actor(actor).name, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise RevisionConflict(f"synonym set {set_id}", base=base_version, current=syn.version)
    session.refresh(syn)
    record_action(
        session,
        actor,
        action="synonyms.update",
        target=f"{syn.locale}/{set_id}",
        base_revision=base_version,
        new_revision=syn.version,
        terms=syn.terms,
    )
    announce(session, SYNONYMS)
    return syn


def delete_set(*, session: Session, set_id: int, base_version: int | None, actor: Actor | str) -> None:
    """Delete a set; audited as `synonyms.delete` in the same transaction, a stale base writes nothing."""
    syn = get_set(session=session, set_id=set_id)
    if syn.version != base_version:
        raise RevisionConflict(f"synonym set {set_id}", base=base_version, current=syn.version)
    target = f"{syn.locale}/{set_id}"
    session.delete(syn)
    session.flush()
    record_action(session, actor, action="synonyms.delete", target=target, base_revision=base_version)
    announce(session, SYNONYMS)


def replace_locale(*, session: Session, locale: Locale, sets: Sequence[Sequence[str]], actor: Actor | str) -> bool:
    """Make the locale's sets exactly `sets` (an import); True if anything changed.

    Audited as `synonyms.replace` in the same transaction when anything changed; the
    same sets again write nothing, audit row included (a re-import stays a no-op).
    """
    wanted = [normalise_terms(s) for s in sets]
    existing = list_sets(session=session, locale=locale)
    if [s.terms for s in existing] == wanted:
        return False
    record_action(session, actor, action="synonyms.replace", target=locale, sets=len(sets))
    for syn in existing:
        session.delete(syn)
    session.flush()
    for terms in wanted:
        session.add(SynonymSet(locale=locale, terms=terms, updated_by=as_actor(actor).name))
    session.flush()
    announce(session, SYNONYMS)
    return True
