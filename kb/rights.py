"""Edit and publish rights per category and locale: "an editor for billing, in uk only".

A person's role says what kind of thing they may do; their rights narrow where: to some
categories, to some locales, or both (an empty set is all of them). Rights travel with the
`Actor` every kb action is given, as the role does, and `check` is called by the actions
themselves (save, publish, unpublish, rollback), so the API, the CLI and the admin obey
alike and no door can forget. An uncategorised article counts as the category "" and is
reachable only by people not limited to categories.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from kb.errors import InvalidChange, IstokError
from kb.frontmatter import LOCALE_RE

CATEGORY_LIMIT = 100  # categories (or locales) one person may be limited to


class OutsideRights(IstokError):
    """The actor's rights do not reach this article's category or locale."""

    status = 403
    slug = "outside-rights"

    def __init__(self, *, who: str, action: str, category: str, locale: str, reason: str) -> None:
        super().__init__(
            f"{who} may not {action} articles in category {category or '(none)'!r}, locale {locale!r}: {reason}"
        )
        self.category = category
        self.locale = locale


@dataclass(frozen=True)
class Rights:
    """Where a person may change content; empty sets mean no limit."""

    categories: frozenset[str] = field(default_factory=frozenset)
    locales: frozenset[str] = field(default_factory=frozenset)

    @property
    def limited(self) -> bool:
        return bool(self.categories or self.locales)

    def allows(self, *, category: str | None, locale: str) -> bool:
        return self._category_ok(category or "") and self._locale_ok(locale)

    def _category_ok(self, category: str) -> bool:
        return not self.categories or category in self.categories

    def _locale_ok(self, locale: str) -> bool:
        return not self.locales or locale in self.locales

    def refusal(self, *, category: str | None, locale: str) -> str | None:
        """Why this category and locale are out of reach, or None when they are in it."""
        reasons = []
        if not self._category_ok(category or ""):
            reasons.append(f"categories {', '.join(sorted(self.categories))} only")
        if not self._locale_ok(locale):
            reasons.append(f"locales {', '.join(sorted(self.locales))} only")
        return "; ".join(reasons) or None

    def describe(self) -> str:
        if not self.limited:
            return "everything"
        cats = ", ".join(sorted(self.categories)) if self.categories else "every category"
        locs = ", ".join(sorted(self.locales)) if self.locales else "every locale"
        return f"{cats} in {locs}"


EVERYTHING = Rights()


def make_rights(*, categories: Iterable[str] = (), locales: Iterable[str] = ()) -> Rights:
    """Rights from typed names (the CLI's, a stored row's); a malformed locale is refused."""
    cats = frozenset(c.strip() for c in categories if c.strip())
    locs = frozenset(loc.strip() for loc in locales if loc.strip())
    bad = sorted(loc for loc in locs if not LOCALE_RE.match(loc))
    if bad:
        raise InvalidChange(f"not a locale: {', '.join(bad)}")
    if len(cats) > CATEGORY_LIMIT or len(locs) > CATEGORY_LIMIT:
        raise InvalidChange(f"at most {CATEGORY_LIMIT} categories and {CATEGORY_LIMIT} locales")
    return Rights(categories=cats, locales=locs)


def check(rights: Rights, *, who: str, action: str, category: str | None, locale: str) -> None:
    """Raise OutsideRights, naming the category and locale, when `rights` do not reach them."""
    reason = rights.refusal(category=category, locale=locale)
    if reason is not None:
        raise OutsideRights(who=who, action=action, category=category or "", locale=locale, reason=reason)
