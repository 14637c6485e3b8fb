"""Istok's error hierarchy: each error carries its data and the HTTP status it maps to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class IstokError(Exception):
    """Base of every error Istok raises on purpose."""

    status: int = 400
    slug: str = "istok-error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(IstokError):
    status = 404
    slug = "not-found"


class ArticleNotFound(NotFound):
    slug = "article-not-found"

    def __init__(self, key: str, locale: str) -> None:
        super().__init__(f"no article {key!r} in locale {locale!r}")
        self.key = key
        self.locale = locale


class RevisionNotFound(NotFound):
    slug = "revision-not-found"

    def __init__(self, key: str, locale: str, number: int) -> None:
        super().__init__(f"article {key!r} ({locale}) has no revision {number}")
        self.key = key
        self.locale = locale
        self.number = number


class FactNotFound(NotFound):
    slug = "fact-not-found"

    def __init__(self, key: str) -> None:
        super().__init__(f"no fact {key!r}")
        self.key = key


class RevisionConflict(IstokError):
    """A change was based on a revision that is no longer the latest one."""

    status = 412
    slug = "revision-conflict"

    def __init__(self, what: str, *, base: int | None, current: int | None) -> None:
        super().__init__(
            f"{what} was changed meanwhile: your change is based on revision {base}, "
            f"the latest is {current}; reload, merge and save again"
        )
        self.base = base
        self.current = current


class InvalidChange(IstokError):
    """A change that is well-formed but not allowed (publishing nothing, bad fact value)."""

    status = 422
    slug = "invalid-change"


@dataclass(frozen=True)
class ContentProblem:
    """One problem found in a source, located by file and line."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class ContentError(IstokError):
    """A source that cannot be accepted; carries every problem found, not just the first."""

    status = 422
    slug = "content-error"

    def __init__(self, problems: Sequence[ContentProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class DatabaseNotMigrated(IstokError):
    status = 503
    slug = "database-not-migrated"


class Conflict(IstokError):
    """The change cannot be made in the current state (e.g. deleting a fact still in use)."""

    status = 409
    slug = "conflict"
